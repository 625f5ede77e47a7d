"""OGM-GE's coefficients on given scores, against the paper's rule computed by hand."""

import math
from types import SimpleNamespace

import pytest
import torch

from polymodal.training.balance.ogm import (OGMBalancer, discrepancy_ratios, modality_scores, modulate_,
                                            ogm_coefficients)


def test_the_dominant_modality_is_damped_by_one_minus_tanh():
    # s_audio = 3, s_visual = 6: rho_visual = 2 (dominant), rho_audio = 0.5
    k = ogm_coefficients({"audio": 3.0, "visual": 6.0}, alpha=0.5)
    assert k["visual"] == pytest.approx(1 - math.tanh(0.5 * 2)) and k["audio"] == 1.0


def test_three_modalities_compare_with_the_mean_of_the_others():
    rho = discrepancy_ratios({"a": 2.0, "b": 4.0, "c": 6.0})
    assert rho == pytest.approx({"a": 2 / 5, "b": 4 / 4, "c": 6 / 3})
    k = ogm_coefficients({"a": 2.0, "b": 4.0, "c": 6.0}, alpha=0.1)
    assert k == pytest.approx({"a": 1.0, "b": 1.0, "c": 1 - math.tanh(0.2)})  # rho_b = 1 is not > 1


def test_scores_against_a_loop():
    g = torch.Generator().manual_seed(0)
    outputs = {"a": torch.randn(5, 3, generator=g), "b": torch.randn(5, 3, generator=g)}
    labels = torch.tensor([0, 2, 1, 1, 0])
    got = modality_scores(outputs, labels)
    for m, o in outputs.items():
        expected = sum(math.exp(o[i, labels[i]]) / sum(math.exp(v) for v in o[i]) for i in range(5))
        assert float(got[m]) == pytest.approx(expected, rel=1e-6)


def test_modulation_scales_and_ge_adds_noise_of_the_gradients_spread():
    p = torch.nn.Parameter(torch.zeros(200, 50))
    grad = torch.randn(200, 50, generator=torch.Generator().manual_seed(1))
    p.grad = grad.clone()
    modulate_([p], 0.25, noise=False)
    assert torch.allclose(p.grad, 0.25 * grad)
    p.grad = grad.clone()
    modulate_([p], 0.25, noise=True, generator=torch.Generator().manual_seed(2))
    added = p.grad - 0.25 * grad
    # the noise has the spread of the gradient before modulation, not that of 0.25 * grad
    assert float(added.std()) == pytest.approx(float(grad.std()), rel=0.05)
    assert abs(float(added.mean())) < 4 * float(grad.std()) / math.sqrt(grad.numel())  # 4 standard errors


def test_ge_noise_reaches_every_modality_and_only_the_dominant_one_is_damped():
    encoders = torch.nn.ModuleDict({"a": torch.nn.Linear(40, 30), "b": torch.nn.Linear(40, 30)})
    model = SimpleNamespace(encoders=encoders)
    grads = {m: torch.randn(30, 40, generator=torch.Generator().manual_seed(i)) for i, m in enumerate("ab")}
    for noise in (False, True):
        balancer = OGMBalancer(["a", "b"], alpha=0.5, noise=noise)
        balancer._coefficients = ogm_coefficients({"a": 6.0, "b": 3.0}, alpha=0.5)  # a dominates
        for m in "ab":
            encoders[m].weight.grad, encoders[m].bias.grad = grads[m].clone(), torch.ones(30)
        balancer.after_backward(model, epoch=0)
        k = 1 - math.tanh(0.5 * 2)
        added = {"a": encoders["a"].weight.grad - k * grads["a"], "b": encoders["b"].weight.grad - grads["b"]}
        for m in "ab":
            assert torch.equal(encoders[m].bias.grad, torch.ones(30))  # biases are left alone
            if noise:
                assert float(added[m].std()) == pytest.approx(float(grads[m].std()), rel=0.1)
            else:
                assert torch.allclose(added[m], torch.zeros(30, 40), atol=1e-7)


def test_bad_arguments():
    with pytest.raises(ValueError, match="alpha"):
        ogm_coefficients({"a": 1.0, "b": 2.0}, alpha=0)
    with pytest.raises(ValueError, match="at least two"):
        ogm_coefficients({"a": 1.0}, alpha=0.5)
