"""AGM's discrepancies and coefficients against the rule computed by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from polymodal.training.balance.agm import AGMBalancer, agm_coefficients, discrepancies, update_running


def test_discrepancies_two_modalities():
    # mean loss 1.5, M / (M - 1) = 2
    r = discrepancies({"audio": 1.0, "image": 2.0})  # the audio's loss is lower: it is ahead
    assert r == pytest.approx({"audio": math.exp(1.0), "image": math.exp(-1.0)})


def test_discrepancies_three_modalities():
    r = discrepancies({"a": 0.0, "b": 3.0, "c": 6.0})  # mean 3, M / (M - 1) = 1.5
    assert r == pytest.approx({"a": math.exp(4.5), "b": 1.0, "c": math.exp(-4.5)})


def test_coefficients_and_the_cap_at_seven():
    c = agm_coefficients({"a": math.exp(-1), "b": math.exp(1)}, {"a": 1.0, "b": 1.0}, alpha=0.1)
    assert c == pytest.approx({"a": math.exp(0.1 * (1 - math.exp(-1))), "b": math.exp(0.1 * (1 - math.e))})
    assert agm_coefficients({"a": 1.0}, {"a": 100.0}, alpha=0.5)["a"] == pytest.approx(math.exp(3.5))


def test_running_mean_is_the_mean_of_the_values_so_far():
    values = [{"a": 1.0}, {"a": 4.0}, {"a": 7.0}, {"a": 0.0}]
    running = None
    for step, r in enumerate(values, start=1):
        running = update_running(running, r, step)
    assert running["a"] == pytest.approx(3.0)


def test_one_modality_is_refused():
    with pytest.raises(ValueError, match="at least two modalities"):
        discrepancies({"a": 1.0})


class _SumOfLogits(torch.nn.Module):
    """A model whose fused logits are the sum of its modalities' embeddings: each modality's Shapley
    response is then its own embedding, which a test sets at will."""

    def __init__(self) -> None:
        super().__init__()
        self.fusion, self.head = torch.nn.Identity(), torch.nn.Identity()

    def fuse(self, embeddings: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(embeddings.values())


def test_a_modality_falling_behind_is_sped_up_and_the_one_pulling_ahead_slowed():
    # the method's purpose (Li et al., ICCV 2023): while the image's response improves and the
    # audio's stays at chance, the audio's gradients are scaled up and the image's down
    model, balancer = _SumOfLogits(), AGMBalancer(["audio", "image"], alpha=0.1)
    labels = torch.arange(10)
    for step in range(6):
        embeddings = {"audio": torch.zeros(10, 10), "image": 0.5 * step * torch.eye(10)}
        logits = model.fuse(embeddings)
        balancer.training_loss(model, {}, embeddings, logits, labels, F.cross_entropy(logits, labels), 0)
        c = balancer._coefficients
        if step == 0:
            assert c == pytest.approx({"audio": 1.0, "image": 1.0})  # no running state yet
        else:
            assert c["audio"] > 1.0 > c["image"]
