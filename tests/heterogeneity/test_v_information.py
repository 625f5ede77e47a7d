"""Pointwise V-information against closed forms: 0 for a model that ignores its input, H(Y) for a perfect one."""

import math

import numpy as np
import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.heterogeneity import null_log_probs, pointwise_v_information, v_information


def entropy_bits(p):
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def test_null_model_is_the_training_frequencies():
    labels = torch.tensor([0, 0, 0, 1, 2, 2])
    null = null_log_probs(labels, 4, smoothing=0.0)
    assert torch.allclose(null.exp(), torch.tensor([3, 1, 2, 0], dtype=torch.float64) / 6)
    smoothed = null_log_probs(labels, 4)  # Jeffreys: (n + 0.5) / (6 + 2)
    assert torch.allclose(smoothed.exp(), torch.tensor([3.5, 1.5, 2.5, 0.5], dtype=torch.float64) / 8)


def test_a_model_that_ignores_its_input_has_zero_v_information():
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 5, 400), rng.integers(0, 5, 300)
    null = null_log_probs(torch.as_tensor(train), 5)
    # the same constant prediction for every input: the null model itself
    log_probs = null.float().expand(300, 5).clone()
    assert abs(v_information(log_probs, torch.as_tensor(test), null)) < 1e-6


def test_a_perfect_predictor_has_the_label_entropy():
    y = torch.arange(8).repeat(25)  # balanced: H(Y) = 3 bits
    null = null_log_probs(y, 8, smoothing=0.0)
    log_probs = torch.full((len(y), 8), -1e4)
    log_probs[torch.arange(len(y)), y] = 0.0
    log_probs = log_probs.log_softmax(-1)
    assert v_information(log_probs, y, null) == pytest.approx(3.0, abs=1e-6)
    skewed = torch.tensor([0] * 70 + [1] * 20 + [2] * 10)
    null = null_log_probs(skewed, 3, smoothing=0.0)
    perfect = torch.nn.functional.one_hot(skewed, 3).float().clamp_min(1e-12).log().log_softmax(-1)
    assert v_information(perfect, skewed, null) == pytest.approx(entropy_bits([0.7, 0.2, 0.1]), abs=1e-6)


def test_pointwise_values_match_a_loop():
    torch.manual_seed(0)
    log_probs = torch.randn(20, 4, dtype=torch.float64).log_softmax(-1)
    y = torch.randint(0, 4, (20,))
    null = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64).log()
    pvi = pointwise_v_information(log_probs, y, null)
    for i in range(20):
        expected = -math.log2([0.1, 0.2, 0.3, 0.4][y[i]]) + float(log_probs[i, y[i]]) / math.log(2)
        assert float(pvi[i]) == pytest.approx(expected, abs=1e-9)


def test_bad_input_is_named():
    null = torch.tensor([0.5, 0.5]).log()
    with pytest.raises(ShapeError, match="log_probs must be"):
        pointwise_v_information(torch.zeros(3, 3), torch.zeros(3, dtype=torch.long), null)
    with pytest.raises(ConfigError, match="log_softmax"):
        pointwise_v_information(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), null)  # raw logits
    with pytest.raises(ConfigError, match="label 2"):
        pointwise_v_information(torch.tensor([[0.5, 0.5]]).log(), torch.tensor([2]), null)
    with pytest.raises(ConfigError, match="smoothing"):
        null_log_probs(torch.tensor([0, 1]), 2, smoothing=-1)
