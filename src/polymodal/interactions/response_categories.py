"""Response categories: how a multimodal prediction relates to the two unimodal ones, per example.

From the class probabilities of a model of modality A alone, of B alone and of the multimodal
model (``p_A``, ``p_B``, ``p_AB``) and the label ``y`` of each example, in this order:

* ``enhancement`` (redundancy with enhancement): A and B are both right, the combination is right
  and more confident in ``y`` than either, ``p_AB(y) > max(p_A(y), p_B(y))``;
* ``redundancy``: A and B are both right, the combination is right but not more confident;
* ``suppression``: A and B are both right, the combination is wrong;
* ``emergence``: neither A nor B is right, the combination is;
* ``dominance-A`` / ``dominance-B``: A and B predict different classes and the combination
  predicts the class of A (resp. B), right or wrong;
* ``other``: everything else (e.g. A and B agree on a wrong class and so does the combination).
"""

from __future__ import annotations

import numpy as np

from polymodal.checks import class_labels, finite_array
from polymodal.errors import ShapeError

CATEGORIES = ("enhancement", "redundancy", "suppression", "emergence", "dominance-A", "dominance-B", "other")


def response_categories(p_a: np.ndarray, p_b: np.ndarray, p_ab: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The category of every example: ``(N, C) x 3, (N,) -> (N,)`` strings from :data:`CATEGORIES`."""
    p_a, p_b, p_ab = (finite_array(p, name) for p, name in ((p_a, "p_a"), (p_b, "p_b"), (p_ab, "p_ab")))
    labels = np.asarray(labels)
    if not (p_a.shape == p_b.shape == p_ab.shape) or p_a.ndim != 2 or labels.ndim != 1 or len(labels) != len(p_a):
        raise ShapeError(f"need three (N, C) probability arrays and (N,) labels, got {p_a.shape}, {p_b.shape}, {p_ab.shape}, {labels.shape}")
    labels = class_labels(labels, "labels", p_a.shape[1])
    rows = np.arange(len(labels))
    pred_a, pred_b, pred_ab = p_a.argmax(1), p_b.argmax(1), p_ab.argmax(1)
    a_ok, b_ok, ab_ok = pred_a == labels, pred_b == labels, pred_ab == labels
    more_confident = p_ab[rows, labels] > np.maximum(p_a[rows, labels], p_b[rows, labels])
    both = a_ok & b_ok
    disagree = pred_a != pred_b
    conditions = [
        both & ab_ok & more_confident,
        both & ab_ok,
        both,
        ~a_ok & ~b_ok & ab_ok,
        disagree & (pred_ab == pred_a),
        disagree & (pred_ab == pred_b),
    ]
    return np.select(conditions, CATEGORIES[:-1], default=CATEGORIES[-1])


def category_fractions(categories: np.ndarray) -> dict[str, float]:
    """Share of examples in each category (all of :data:`CATEGORIES`, summing to 1)."""
    categories = np.asarray(categories)
    return {c: float((categories == c).mean()) if len(categories) else 0.0 for c in CATEGORIES}
