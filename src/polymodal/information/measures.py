"""Entropy, mutual information and their relatives for discrete joint distributions."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polymodal.information.distributions import DistributionError, check_axes, check_joint

Axes = int | Sequence[int]


def _log(x: np.ndarray, base: float) -> np.ndarray:
    return np.log(x) / np.log(base)


def _check_base(base: float) -> float:
    if not base > 1:
        raise DistributionError(f"base must be > 1 (2 for bits, e for nats), got {base!r}")
    return float(base)


def marginal(p: np.ndarray, axes: Axes) -> np.ndarray:
    """The joint of the variables ``axes`` (in that order), summing out the others."""
    keep = check_axes(axes, p.ndim)
    others = tuple(a for a in range(p.ndim) if a not in keep)
    m = p.sum(axis=others)
    order = np.argsort(np.argsort(keep))  # axes of m are the kept ones in increasing order
    return np.transpose(m, order)


def _h(p: np.ndarray, base: float) -> float:
    nz = p[p > 0]
    return 0.0 - float((nz * _log(nz, base)).sum())  # 0.0 - x: a certain variable has entropy 0.0, not -0.0


def entropy(p: np.ndarray, axes: Axes | None = None, base: float = 2, normalize: bool = False) -> float:
    """Shannon entropy ``H(X_A) = -sum p(x_A) log p(x_A)`` of the variables ``axes`` (all by default).

    Args:
        p: joint distribution, one axis per variable.
        axes: the variables A; ``None`` for the joint entropy of all.
        base: 2 for bits (default), ``np.e`` for nats.
        normalize: divide counts by their total (see :func:`check_joint`).

    Returns:
        ``H`` in the unit of ``base``; terms with ``p = 0`` contribute 0.
    """
    p = check_joint(p, normalize=normalize)
    return _h(p if axes is None else marginal(p, axes), _check_base(base))


def conditional_entropy(p: np.ndarray, target: Axes, given: Axes, base: float = 2, normalize: bool = False) -> float:
    """``H(X_T | X_G) = H(X_T, X_G) - H(X_G)``."""
    p = check_joint(p, normalize=normalize)
    t, g = check_axes(target, p.ndim, "target"), check_axes(given, p.ndim, "given")
    _disjoint(t, g)
    return entropy(p, t + g, base) - entropy(p, g, base)


def mutual_information(p: np.ndarray, a: Axes, b: Axes, base: float = 2, normalize: bool = False) -> float:
    """``I(X_A; X_B) = H(X_A) + H(X_B) - H(X_A, X_B)``."""
    p = check_joint(p, normalize=normalize)
    a_, b_ = check_axes(a, p.ndim, "a"), check_axes(b, p.ndim, "b")
    _disjoint(a_, b_)
    return max(0.0, entropy(p, a_, base) + entropy(p, b_, base) - entropy(p, a_ + b_, base))


def conditional_mutual_information(p: np.ndarray, a: Axes, b: Axes, given: Axes, base: float = 2,
                                   normalize: bool = False) -> float:
    """``I(X_A; X_B | X_C) = H(A, C) + H(B, C) - H(A, B, C) - H(C)``."""
    p = check_joint(p, normalize=normalize)
    a_, b_, c_ = (check_axes(x, p.ndim, n) for x, n in ((a, "a"), (b, "b"), (given, "given")))
    _disjoint(a_, b_, c_)
    h = lambda ax: entropy(p, ax, base)  # noqa: E731
    return max(0.0, h(a_ + c_) + h(b_ + c_) - h(a_ + b_ + c_) - h(c_))


def co_information(p: np.ndarray, axes: Sequence[int] | None = None, base: float = 2, normalize: bool = False) -> float:
    """Co-information ``-sum_{S subset of V, S nonempty} (-1)^{|S|} H(X_S)`` (Bell, 2003).

    For two variables it is ``I(X; Y)``; for three, ``I(X; Y) - I(X; Y | Z)`` (positive for
    redundancy, negative for synergy: ``-1`` bit for XOR).
    """
    p = check_joint(p, normalize=normalize)
    variables = check_axes(range(p.ndim) if axes is None else axes, p.ndim)
    total = 0.0
    for mask in range(1, 2 ** len(variables)):
        subset = tuple(v for i, v in enumerate(variables) if mask >> i & 1)
        total -= (-1) ** len(subset) * entropy(p, subset, base)
    return total


def kl_divergence(p: np.ndarray, q: np.ndarray, base: float = 2, normalize: bool = False) -> float:
    """``KL(p || q) = sum p log(p / q)``; infinite where ``q = 0 < p``.

    Raises:
        DistributionError: ``p`` and ``q`` of different shapes, or not distributions.
    """
    p, q = check_joint(p, "p", normalize), check_joint(q, "q", normalize)
    if p.shape != q.shape:
        raise DistributionError(f"p has shape {p.shape} but q has {q.shape}; KL needs distributions on one space")
    nz = p > 0
    if (q[nz] == 0).any():
        return float("inf")
    return float((p[nz] * _log(p[nz] / q[nz], _check_base(base))).sum())


def _disjoint(*groups: tuple[int, ...]) -> None:
    seen: set[int] = set()
    for g in groups:
        if seen & set(g):
            raise DistributionError(f"variables must be disjoint between arguments; axis {sorted(seen & set(g))[0]} repeats")
        seen |= set(g)
