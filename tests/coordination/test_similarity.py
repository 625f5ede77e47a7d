"""Every similarity against a plain double loop over pairs, in float32 and float64."""

import math

import pytest
import torch

from polymodal.coordination.similarity import SIMILARITIES, make_similarity
from polymodal.errors import ConfigError, ShapeError


def _pair(a, b, name, opts):
    """The textbook formula for one pair, written with Python floats."""
    a, b = a.double().tolist(), b.double().tolist()
    dot = sum(x * y for x, y in zip(a, b))
    l2 = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))
    l1 = sum(abs(x - y) for x, y in zip(a, b))
    if name == "dot":
        return dot
    if name == "cosine":
        return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))
    if name == "euclidean":
        return l2
    if name == "linear":
        return dot + opts.get("c", 0.0)
    if name == "polynomial":
        return (opts["gamma"] * dot + opts["c"]) ** opts["degree"]
    if name == "rbf":
        return math.exp(-(l2**2) / (2 * opts["sigma"] ** 2))
    if name in ("laplacian", "exponential"):
        return math.exp(-l1 / opts["sigma"])
    raise AssertionError(name)


OPTIONS = {
    "dot": {}, "cosine": {}, "euclidean": {}, "linear": {"c": 0.5},
    "polynomial": {"degree": 3, "gamma": 0.2, "c": 1.0}, "rbf": {"sigma": 2.0},
    "laplacian": {"sigma": 3.0}, "exponential": {"sigma": 3.0},
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(SIMILARITIES))
def test_matches_double_loop(name, dtype):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(7, 5, generator=g, dtype=dtype)
    b = torch.randn(4, 5, generator=g, dtype=dtype)
    sim = make_similarity(name, **OPTIONS[name])
    got = sim(a, b)
    assert got.shape == (7, 4) and got.dtype == dtype
    want = torch.tensor([[_pair(a[i], b[j], name, OPTIONS[name]) for j in range(4)] for i in range(7)], dtype=torch.float64)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(got.double(), want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(SIMILARITIES))
def test_direction_attribute(name):
    """An item is closer to itself than to a far-away item, in the direction the attribute says."""
    sim = make_similarity(name, **OPTIONS[name])
    x = torch.tensor([[1.0, 2.0, 0.5]])
    far = -3 * x
    s_self, s_far = float(sim(x, x)), float(sim(x, far))
    assert (s_self > s_far) == sim.higher_is_closer


def test_errors_name_the_problem():
    with pytest.raises(ConfigError, match="similarity 'cosin' is unknown"):
        make_similarity("cosin")
    with pytest.raises(ConfigError, match="sigma must be positive"):
        make_similarity("rbf", sigma=0)
    with pytest.raises(ConfigError, match="degree"):
        make_similarity("polynomial", degree=1.5)
    with pytest.raises(ShapeError, match="a has 3 features and b has 4"):
        make_similarity("cosine")(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ShapeError, match=r"\(N, D\)"):
        make_similarity("dot")(torch.zeros(3), torch.zeros(2, 3))
