import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polymodal.information import DistributionError, mutual_information, pid


def gate(function) -> np.ndarray:
    """Two fair independent bits and Y = function(a, b); Y's axis has max(function) + 1 values."""
    values = {(a, b): function(a, b) for a in (0, 1) for b in (0, 1)}
    p = np.zeros((2, 2, max(values.values()) + 1))
    for (a, b), y in values.items():
        p[a, b, y] = 0.25
    return p


def copy_joint() -> np.ndarray:
    return gate(lambda a, b: 2 * a + b)


def rdn_joint() -> np.ndarray:
    p = np.zeros((2, 2, 2))
    p[0, 0, 0] = p[1, 1, 1] = 0.5
    return p


# Closed forms: Bertschinger et al. (2014), Table 1, and Griffith and Koch (2014).
TEXTBOOK = {
    "AND": (gate(lambda a, b: a & b), {"R": 0.311278124459133, "U1": 0, "U2": 0, "S": 0.5}),
    "OR": (gate(lambda a, b: a | b), {"R": 0.311278124459133, "U1": 0, "U2": 0, "S": 0.5}),
    "XOR": (gate(lambda a, b: a ^ b), {"R": 0, "U1": 0, "U2": 0, "S": 1}),
    "COPY": (copy_joint(), {"R": 0, "U1": 1, "U2": 1, "S": 0}),
    "UNQ": (gate(lambda a, b: a), {"R": 0, "U1": 1, "U2": 0, "S": 0}),
    "RDN": (rdn_joint(), {"R": 1, "U1": 0, "U2": 0, "S": 0}),
}


@pytest.mark.parametrize("name", TEXTBOOK)
def test_textbook_decompositions(name):
    p, expected = TEXTBOOK[name]
    result = pid(p)
    got = result.as_dict()
    for term, value in expected.items():
        assert got[term] == pytest.approx(value, abs=1e-6), (name, term)
    assert result.gap <= 1e-9


def test_and_redundancy_closed_form():
    # R(AND) = I(Y; X1) = h(1/4) - 1/2 (the sources are independent, so the optimum keeps U = 0)
    h = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    assert pid(TEXTBOOK["AND"][0]).redundancy == pytest.approx(h - 0.5, abs=1e-9)


def test_zero_probability_symbols_change_nothing():
    p, expected = TEXTBOOK["AND"]
    padded = np.zeros((4, 3, 5))
    padded[1:3, :2, 2:4] = p  # unused symbols on every axis
    got = pid(padded).as_dict()
    for term, value in expected.items():
        assert got[term] == pytest.approx(value, abs=1e-6)


@st.composite
def joints(draw):
    shape = (draw(st.integers(1, 6)), draw(st.integers(1, 6)), draw(st.integers(1, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    p = rng.dirichlet(np.full(int(np.prod(shape)), draw(st.sampled_from([0.1, 0.5, 1.0, 5.0])))).reshape(shape)
    p[rng.random(shape) < draw(st.sampled_from([0.0, 0.3, 0.6]))] = 0.0
    if p.sum() == 0:
        p.flat[0] = 1.0
    return p / p.sum()


@settings(max_examples=150, deadline=None)
@given(joints())
def test_invariants_on_random_joints(p):
    result = pid(p)
    tol = 1e-6
    for term in (result.redundancy, result.unique1, result.unique2, result.synergy):
        assert term >= -tol
    i1 = mutual_information(p, (0,), (2,))
    i2 = mutual_information(p, (1,), (2,))
    i12 = mutual_information(p, (0, 1), (2,))
    assert result.redundancy + result.unique1 == pytest.approx(i1, abs=tol)
    assert result.redundancy + result.unique2 == pytest.approx(i2, abs=tol)
    assert result.redundancy + result.unique1 + result.unique2 + result.synergy == pytest.approx(i12, abs=tol)
    swapped = pid(p.transpose(1, 0, 2))
    assert swapped.unique1 == pytest.approx(result.unique2, abs=tol)
    assert swapped.unique2 == pytest.approx(result.unique1, abs=tol)
    assert swapped.redundancy == pytest.approx(result.redundancy, abs=tol)
    assert swapped.synergy == pytest.approx(result.synergy, abs=tol)
    assert result.gap <= 1e-7


REFERENCE_SHAPES = [(2, 2, 2), (3, 3, 2), (2, 4, 3), (4, 4, 4), (5, 3, 4), (3, 6, 2), (6, 6, 3)]


@pytest.mark.parametrize("shape", REFERENCE_SHAPES)
def test_agrees_with_exponential_cone_reference(shape, reference_pid):
    """16 random joints per shape, 112 in all, some with zero entries, against cvxpy + Clarabel."""
    rng = np.random.default_rng(sum(shape))
    for trial in range(16):
        p = rng.dirichlet(np.full(int(np.prod(shape)), [0.5, 1.0][trial % 2])).reshape(shape)
        if trial % 4 == 3:
            p[rng.random(shape) < 0.3] = 0.0
            p /= p.sum()
        expected = reference_pid(p)
        got = pid(p).as_dict()
        for term in ("R", "U1", "U2", "S"):
            assert got[term] == pytest.approx(expected[term], abs=1e-5), (shape, trial, term)


def test_units_counts_and_result_object():
    p, _ = TEXTBOOK["AND"]
    bits, nats = pid(p), pid(p, base=math.e)
    assert nats.synergy == pytest.approx(bits.synergy * math.log(2), abs=1e-9)
    assert nats.unit == "nats" and bits.unit == "bits"
    counts = pid(p * 40, normalize=True)
    assert counts.redundancy == pytest.approx(bits.redundancy, abs=1e-9)
    np.testing.assert_allclose(bits.q.sum(1), p.sum(1), atol=1e-15)
    assert "S=0.5" in str(bits)


@pytest.mark.parametrize(
    "bad, kwargs, message",
    [
        (np.ones((2, 2)) / 4, {}, "three axes"),
        (np.full((2, 2, 2), 0.2), {}, "sums to"),
        (-np.ones((2, 2, 2)), {}, "negative"),
        (np.full((2, 2, 2), np.nan), {}, "NaN"),
        (np.full((2, 2, 2), 0.125), {"tol": 0}, "tol"),
        (np.full((2, 2, 2), 0.125), {"base": 1}, "base"),
        (np.full((2, 2, 2), 0.125), {"max_iterations": 0}, "max_iterations"),
    ],
)
def test_bad_input_is_named(bad, kwargs, message):
    with pytest.raises(DistributionError, match=message):
        pid(bad, **kwargs)


FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def test_near_deterministic_fixture_reaches_its_tolerance(reference_pid):
    """The audit's joint (10 x 6 x 7, entries down to 1e-12) stopped at a gap of 1.2e-8 > 1e-8 before."""
    path = FIXTURES / "pid_near_deterministic_10x6x7.npy"
    assert path.is_file(), f"fixture missing at {path}"
    p = np.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning
        result = pid(p, tol=1e-8)
    assert result.converged and result.gap <= 1e-8
    expected = reference_pid(p)
    for term in ("R", "U1", "U2", "S"):
        assert result.as_dict()[term] == pytest.approx(expected[term], abs=1e-5)


def near_deterministic_joint(rng: np.random.Generator, shape: tuple[int, int, int], leak: float,
                             concentration: float = 1.0) -> np.ndarray:
    """Y a function of (X1, X2) up to a leak of about ``leak`` spread over the other labels; the
    pair masses p(x1, x2) drawn from Dirichlet(concentration)."""
    n1, n2, k = shape
    pair = rng.dirichlet(np.full(n1 * n2, concentration)).reshape(n1, n2)
    conditional = leak * np.exp(rng.normal(size=(n1, n2, k)))
    conditional[np.arange(n1)[:, None], np.arange(n2)[None, :], rng.integers(0, k, (n1, n2))] = 1.0
    p = pair[..., None] * conditional / conditional.sum(2, keepdims=True)
    return p / p.sum()


@st.composite
def near_deterministic_joints(draw):
    """Leaks of 1e-12 .. 1e-5."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (draw(st.integers(2, 10)), draw(st.integers(2, 7)), draw(st.integers(2, 7)))
    return near_deterministic_joint(rng, shape, 10.0 ** draw(st.floats(-12, -5)))


@settings(max_examples=60, deadline=None)
@given(near_deterministic_joints(), st.sampled_from([1e-6, 1e-8, 1e-9]))
def test_near_deterministic_joints_are_certified_to_the_requested_tolerance(p, tol):
    result = pid(p, tol=tol)
    assert result.converged and result.gap <= tol
    assert result.as_dict()["tolerance"] == tol


def test_skewed_near_deterministic_joints_are_certified_to_1e_8():
    """Leaks of 1e-12 to 1e-11 on pair masses drawn from Dirichlet(0.3) (entries down to 1e-19):
    before the barrier method refined its Newton solves, seed 204 of these stopped at a gap of
    4.5e-8 bits."""
    for seed in range(300):
        rng = np.random.default_rng(seed)
        shape = (int(rng.integers(2, 11)), int(rng.integers(2, 8)), int(rng.integers(2, 8)))
        result = pid(near_deterministic_joint(rng, shape, 10.0 ** rng.uniform(-12, -11), concentration=0.3), tol=1e-8)
        assert result.converged and result.gap <= 1e-8, (seed, result.gap)


@settings(max_examples=30, deadline=None)
@given(joints(), st.integers(1, 3))
def test_a_missed_tolerance_is_said_plainly(p, max_iterations):
    """With too few iterations the result names the gap it reached; converged is exactly gap <= tol."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pid(p, tol=1e-12, max_iterations=max_iterations)
    assert result.converged == (result.gap <= 1e-12)
    if not result.converged:
        assert "NOT the requested 1.0e-12" in str(result) and f"{result.gap:.1e}" in str(result)
        assert any("certified gap" in str(w.message) for w in caught)
        assert result.as_dict()["converged"] is False
