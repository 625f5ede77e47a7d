"""Symmetrising a heterogeneity matrix and grouping modalities by hierarchical clustering."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from polymodal.checks import finite_array
from polymodal.errors import ConfigError, ShapeError


def symmetrize(raw: np.ndarray) -> np.ndarray:
    """``D = (max(R, 0) + max(R, 0)^T) / 2`` with a zero diagonal: ``(M, M) -> (M, M)``.

    ``R[i, j]`` is the information (bits) lost by transferring from i to j instead of training on j
    from scratch. A negative entry (the transfer did better than scratch, within noise) is no
    heterogeneity at all, hence the clip at 0; the diagonal is 0 by definition.
    """
    r = finite_array(raw, "matrix_raw")
    if r.ndim != 2 or r.shape[0] != r.shape[1]:
        raise ShapeError(f"matrix_raw must be square, got shape {r.shape}")
    c = np.clip(r, 0.0, None)
    d = (c + c.T) / 2
    np.fill_diagonal(d, 0.0)
    return d


def format_groups(groups: Sequence[Sequence[str]]) -> str:
    """``[["a", "b"], ["c"]] -> "{a, b} {c}"`` (no ``|``, so it fits a Markdown table cell)."""
    return " ".join("{" + ", ".join(g) + "}" for g in groups)


def check_groups(n_groups: int | None, count: int) -> None:
    """Refuse a number of groups that is not an integer in ``1..count`` (``None``: choose it)."""
    if n_groups is not None and not (isinstance(n_groups, int) and not isinstance(n_groups, bool) and 1 <= n_groups <= count):
        raise ConfigError(f"n_groups must be an integer from 1 to the number of modalities or pairs ({count}), "
                          f"got {n_groups!r}")


def largest_gap_groups(heights: np.ndarray) -> int:
    """The number of groups where the dendrogram's merge heights jump most.

    With merge heights ``0 = h_0 <= h_1 <= ... <= h_{M-1}``, cutting between ``h_t`` and ``h_{t+1}``
    leaves ``M - t`` groups; the cut goes at the largest gap ``h_{t+1} - h_t`` (the earliest of
    equal gaps). All heights 0 (no heterogeneity anywhere) gives one group.
    """
    h = np.concatenate([[0.0], np.sort(np.asarray(heights, dtype=float))])
    if h[-1] <= 0:
        return 1
    t = int(np.argmax(np.diff(h)))
    return len(h) - t


def group_modalities(matrix: np.ndarray, names: Sequence[str], n_groups: int | None = None,
                     method: str = "average") -> tuple[list[list[str]], np.ndarray]:
    """Hierarchical clustering of a symmetric heterogeneity matrix into groups of modalities.

    Args:
        matrix: ``(M, M)`` symmetric, non-negative, zero diagonal (:func:`symmetrize`).
        names: the M modality names, in the matrix's order.
        n_groups: how many groups; ``None`` chooses by :func:`largest_gap_groups`.
        method: SciPy linkage method (``average``: UPGMA, mean distance between groups).

    Returns:
        ``(groups, Z)``: the groups as lists of names (each in the order of ``names``, groups by
        their first member), and SciPy's ``(M - 1, 4)`` linkage matrix for a dendrogram.

    Raises:
        ShapeError / ConfigError: a matrix that is not square, symmetric and non-negative, or a
            bad ``n_groups``.
    """
    d = finite_array(matrix, "matrix")
    names = list(names)
    if d.ndim != 2 or d.shape != (len(names), len(names)):
        raise ShapeError(f"matrix must be ({len(names)}, {len(names)}) for modalities {names}, got {d.shape}")
    if len(names) < 2:
        raise ConfigError(f"grouping needs at least two modalities, got {names}")
    if not np.allclose(d, d.T) or (d < 0).any() or not np.allclose(np.diag(d), 0):
        raise ConfigError("matrix must be symmetric, non-negative, with a zero diagonal; pass it through symmetrize()")
    check_groups(n_groups, len(names))
    z = linkage(squareform(d, checks=False), method=method)
    k = largest_gap_groups(z[:, 2]) if n_groups is None else n_groups
    labels = fcluster(z, t=k, criterion="maxclust")
    groups: dict[int, list[str]] = {}
    for name, label in zip(names, labels):
        groups.setdefault(int(label), []).append(name)
    return list(groups.values()), z
