import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy as scipy_entropy

from polymodal.information import (
    DistributionError,
    co_information,
    conditional_entropy,
    conditional_mutual_information,
    empirical_joint,
    entropy,
    kl_divergence,
    marginal,
    mutual_information,
)


def xor_joint() -> np.ndarray:
    p = np.zeros((2, 2, 2))
    for a in (0, 1):
        for b in (0, 1):
            p[a, b, a ^ b] = 0.25
    return p


@st.composite
def joints(draw, ndim=3):
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(int(np.prod(shape)), 0.5)).reshape(shape)
    p[rng.random(shape) < 0.2] = 0.0  # some zero-probability symbols
    return p / p.sum() if p.sum() > 0 else np.full(shape, 1 / np.prod(shape))


def test_against_scipy_and_closed_forms():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(12)).reshape(3, 4)
    assert entropy(p) == pytest.approx(scipy_entropy(p.ravel(), base=2))
    assert entropy(p, 0, base=np.e) == pytest.approx(scipy_entropy(p.sum(1)))
    q = rng.dirichlet(np.ones(12)).reshape(3, 4)
    assert kl_divergence(p, q) == pytest.approx(scipy_entropy(p.ravel(), q.ravel(), base=2))
    assert entropy(np.full(8, 1 / 8)) == pytest.approx(3.0)
    assert mutual_information(np.outer([0.3, 0.7], [0.5, 0.2, 0.3]), 0, 1) == pytest.approx(0.0, abs=1e-12)
    x = xor_joint()
    assert mutual_information(x, 0, 2) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(x, (0, 1), 2) == pytest.approx(1.0)
    assert conditional_mutual_information(x, 0, 2, given=1) == pytest.approx(1.0)
    assert co_information(x) == pytest.approx(-1.0)  # synergy
    copy = np.zeros((2, 2, 2))
    copy[0, 0, 0] = copy[1, 1, 1] = 0.5
    assert co_information(copy) == pytest.approx(1.0)  # redundancy
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == float("inf")


@settings(max_examples=60, deadline=None)
@given(joints())
def test_chain_rules_and_bounds(p):
    h = entropy(p)
    assert h == pytest.approx(entropy(p, (0,)) + conditional_entropy(p, (1, 2), 0), abs=1e-9)
    i_joint = mutual_information(p, 2, (0, 1))
    assert i_joint == pytest.approx(mutual_information(p, 2, 0) + conditional_mutual_information(p, 2, 1, 0), abs=1e-9)
    assert 0 <= i_joint <= min(entropy(p, 2), entropy(p, (0, 1))) + 1e-9
    assert co_information(p) == pytest.approx(mutual_information(p, 0, 1) - conditional_mutual_information(p, 0, 1, 2),
                                              abs=1e-9)
    assert entropy(p, base=np.e) == pytest.approx(h * np.log(2), abs=1e-9)
    assert marginal(p, (2, 0)).shape == (p.shape[2], p.shape[0])
    np.testing.assert_allclose(marginal(p, (2, 0)), p.sum(1).T)


def test_plug_in_estimates_from_samples():
    x = np.array([0, 0, 1, 1, 5, 5, 5, 5])
    y = np.array([1, 1, 0, 0, 0, 0, 2, 2])
    p = empirical_joint(x, y)
    assert p.shape == (3, 3) and p[2, 0] == 0.25 and p[2, 2] == 0.25
    assert mutual_information(p, 0, 1) == pytest.approx(entropy(p, 0) - conditional_entropy(p, 0, 1))


@pytest.mark.parametrize("bad,message", [
    (np.array([0.5, -0.1, 0.6]), "p has a negative entry -0.1 at \\[1\\]"),
    (np.array([0.5, np.nan]), "p has NaN or infinite entries"),
    (np.array([0.5, 0.6]), "p sums to 1.1, not 1; pass normalize=True"),
    (np.array([]), "at least one axis and one entry"),
])
def test_invalid_distributions_are_named(bad, message):
    with pytest.raises(DistributionError, match=message):
        entropy(bad)


def test_counts_axes_and_samples_are_checked():
    assert entropy([2, 2], normalize=True) == pytest.approx(1.0)
    p = np.full((2, 2), 0.25)
    with pytest.raises(DistributionError, match="a: axis 2 is out of range for a joint of 2 variables"):
        mutual_information(p, 2, 0)
    with pytest.raises(DistributionError, match="axis 0 repeats"):
        mutual_information(p, 0, 0)
    with pytest.raises(DistributionError, match=r"p has shape \(2, 2\) but q has \(2,\)"):
        kl_divergence(p, [0.5, 0.5])
    with pytest.raises(DistributionError, match="base must be > 1"):
        entropy(p, base=1)
    with pytest.raises(DistributionError, match="samples\\[1\\] has shape"):
        empirical_joint([0, 1], [0, 1, 1])
    with pytest.raises(DistributionError, match="labels must be integers"):
        empirical_joint([0.5, 1.0])


def test_a_float_axis_is_named_and_certain_entropy_is_plus_zero():
    p = np.full((2, 2), 0.25)
    with pytest.raises(DistributionError, match="axes must be an int or a sequence of ints"):
        entropy(p, axes=1.0)
    with pytest.raises(DistributionError, match="out of range"):
        entropy(p, axes=[True])
    h = entropy([1.0])
    assert h == 0.0 and np.copysign(1.0, h) == 1.0
