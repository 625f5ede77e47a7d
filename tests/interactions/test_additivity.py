"""The additivity test: calibrated under the null, powerful on products, right on the synthetic sets."""

import numpy as np
import pytest
from scipy import stats

from polymodal.data.synthetic import load_bitwise, load_latent
from polymodal.errors import ConfigError, ShapeError
from polymodal.interactions.additivity import additivity_test


def test_f_test_rejects_at_the_nominal_rate_without_interaction():
    """Under the null the p-value is uniform: 400 data sets, rejections at 5% within a binomial 99.9% band."""
    rejections = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        a, b = rng.standard_normal((120, 2)), rng.standard_normal((120, 2))
        y = a[:, 0] - 2 * b[:, 1] + rng.standard_normal(120)
        rejections += additivity_test(a, b, y, task="regression", n_components=2, alpha=0.05, seed=seed).p_value < 0.05
    lo, hi = stats.binom.ppf([0.0005, 0.9995], 400, 0.05)
    assert lo <= rejections <= hi


def test_product_is_detected_in_regression():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 3)), rng.standard_normal((300, 3))
    y = a[:, 0] * b[:, 0] + 0.5 * rng.standard_normal(300)
    result = additivity_test(a, b, y, task="regression", n_components=3)
    assert result.non_additive and result.df == (9, 210 - 16)
    assert result.heldout_loss["full"] < result.heldout_loss["additive"]


@pytest.mark.parametrize("interaction,expected", [("redundancy", False), ("unique1", False), ("unique2", False), ("synergy", True)])
def test_synthetic_interactions(interaction, expected):
    split = load_latent(interaction, num_samples=4000).splits["train"]
    result = additivity_test(split.modality("x1").numpy(), split.modality("x2").numpy(), split.labels.numpy())
    assert result.non_additive == expected, result.as_dict()
    assert result.verdict().startswith("significant") == expected


def test_xor_of_bits_is_non_additive():
    split = load_bitwise("xor", num_samples=2000).splits["train"]
    result = additivity_test(split.modality("x1").numpy(), split.modality("x2").numpy(), split.labels.numpy(), n_components=1)
    assert result.non_additive and result.heldout_loss["full"] < 0.05


def test_errors():
    a = np.zeros((10, 2))
    with pytest.raises(ConfigError, match="task"):
        additivity_test(a, a, np.zeros(10), task="ranking")
    with pytest.raises(ShapeError, match="same N"):
        additivity_test(a, a[:5], np.zeros(10))
    with pytest.raises(ConfigError, match="alpha"):
        additivity_test(a, a, np.zeros(10), alpha=2)


def test_audit_inputs_get_named_errors():
    rng = np.random.default_rng(0)
    x_a, x_b = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    with pytest.raises(ConfigError, match="n_components must be a positive int, got 0"):
        additivity_test(x_a, x_b, rng.normal(size=40), task="regression", n_components=0)
    with pytest.raises(ConfigError, match="y must hold integer class labels.*regression"):
        additivity_test(x_a, x_b, rng.normal(size=40))
    bad = x_a.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ConfigError, match=r"x_a has NaN .* index \[7, 1\]"):
        additivity_test(bad, x_b, np.arange(40) % 2)
    with pytest.raises(ConfigError, match="single class"):
        additivity_test(x_a, x_b, np.ones(40, dtype=int))
    with pytest.raises(ConfigError, match="class 2 has 1 example"):
        additivity_test(x_a, x_b, np.r_[np.arange(39) % 2, 2])
    with pytest.raises(ConfigError, match="y is constant"):
        additivity_test(x_a, x_b, np.ones(40), task="regression")
    # integer-valued float labels are labels
    assert additivity_test(x_a, x_b, (np.arange(40) % 2).astype(float), n_components=2).task == "classification"
