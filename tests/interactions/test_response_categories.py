"""Response categories against a per-example loop written from the definitions."""

import numpy as np
import pytest

from polymodal.errors import ConfigError, ShapeError
from polymodal.interactions.response_categories import CATEGORIES, category_fractions, response_categories


def _one(pa, pb, pab, y):
    a, b, ab = pa.argmax(), pb.argmax(), pab.argmax()
    if a == y and b == y:
        if ab == y:
            return "enhancement" if pab[y] > max(pa[y], pb[y]) else "redundancy"
        return "suppression"
    if a != y and b != y and ab == y:
        return "emergence"
    if a != b:
        if ab == a:
            return "dominance-A"
        if ab == b:
            return "dominance-B"
    return "other"


def test_matches_loop_on_random_predictions():
    rng = np.random.default_rng(0)
    n, c = 2000, 3
    p = [rng.dirichlet(np.ones(c), size=n) for _ in range(3)]
    y = rng.integers(0, c, n)
    got = response_categories(*p, y)
    want = [_one(p[0][i], p[1][i], p[2][i], y[i]) for i in range(n)]
    assert got.tolist() == want
    frac = category_fractions(got)
    assert set(frac) == set(CATEGORIES) and sum(frac.values()) == pytest.approx(1.0)
    assert all(frac[k] > 0 for k in CATEGORIES)  # every branch is exercised


def test_hand_made_cases():
    y = np.array([0, 0, 0, 0])
    pa = np.array([[0.6, 0.4], [0.6, 0.4], [0.4, 0.6], [0.6, 0.4]])
    pb = np.array([[0.7, 0.3], [0.7, 0.3], [0.3, 0.7], [0.3, 0.7]])
    pab = np.array([[0.9, 0.1], [0.65, 0.35], [0.8, 0.2], [0.2, 0.8]])
    assert response_categories(pa, pb, pab, y).tolist() == ["enhancement", "redundancy", "emergence", "dominance-B"]


def test_shape_errors():
    with pytest.raises(ShapeError, match="three"):
        response_categories(np.zeros((3, 2)), np.zeros((3, 3)), np.zeros((3, 2)), np.zeros(3, dtype=int))


@pytest.mark.parametrize("labels, message", [([0, 3], "label 3 at index 1, but there are only 3 classes"),
                                             ([0, -1], "got -1"), ([0.0, 1.5], "got 1.5")])
def test_labels_out_of_range_are_named(labels, message):
    p = np.full((2, 3), 1 / 3)
    with pytest.raises(ConfigError, match=message):
        response_categories(p, p, p, np.array(labels))


def test_nan_probabilities_are_named():
    p = np.full((2, 3), 1 / 3)
    bad = p.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ConfigError, match="p_ab has NaN"):
        response_categories(p, p, bad, np.array([0, 1]))
