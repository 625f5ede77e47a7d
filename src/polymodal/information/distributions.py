"""Joint distributions as NumPy arrays, one axis per variable: validation and plug-in estimates from samples."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polymodal.errors import ConfigError

#: How far from 1 the total of a distribution may be before it is rejected.
SUM_TOLERANCE = 1e-6


class DistributionError(ConfigError):
    """A probability table that is not a distribution (negative, NaN, not summing to 1, bad axes)."""


def check_joint(p: np.ndarray | Sequence, name: str = "p", normalize: bool = False) -> np.ndarray:
    """Validate a joint distribution and return it as a float64 array.

    Args:
        p: probabilities, one axis per variable (any number of axes, at least one).
        name: the argument's name, used in error messages.
        normalize: accept any non-negative table with a positive total (e.g. counts) and divide
            it by its total.

    Returns:
        ``p`` as ``float64``, summing to 1.

    Raises:
        DistributionError: NaN or infinite entries, negative entries, an empty table, or a total
            that differs from 1 by more than :data:`SUM_TOLERANCE` (unless ``normalize``).
    """
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim == 0 or arr.size == 0:
        raise DistributionError(f"{name} must be an array with at least one axis and one entry, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DistributionError(f"{name} has NaN or infinite entries at {np.argwhere(~np.isfinite(arr))[0].tolist()}")
    if (arr < 0).any():
        where = np.argwhere(arr < 0)[0]
        raise DistributionError(f"{name} has a negative entry {arr[tuple(where)]:g} at {where.tolist()}")
    total = arr.sum()
    if normalize:
        if total <= 0:
            raise DistributionError(f"{name} sums to {total:g}; normalize needs a positive total")
        return arr / total
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise DistributionError(f"{name} sums to {total:.9g}, not 1; pass normalize=True to divide counts by their total")
    return arr


def check_axes(axes: int | Sequence[int], ndim: int, name: str = "axes") -> tuple[int, ...]:
    """Validate axis indices of an ``ndim``-variable joint (negative indices count from the end).

    Raises:
        DistributionError: an axis out of range or repeated.
    """
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, (bool, np.bool_)):
        items: tuple = (axes,)
    elif isinstance(axes, (list, tuple, range, np.ndarray)):
        items = tuple(axes.tolist() if isinstance(axes, np.ndarray) else axes)
    else:
        raise DistributionError(f"{name} must be an int or a sequence of ints (axis indices), got {axes!r}")
    out = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise DistributionError(f"{name}: axis {a!r} is out of range for a joint of {ndim} variables")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise DistributionError(f"{name}: axis repeated in {list(items)}")
    return tuple(out)


def empirical_joint(*samples: np.ndarray | Sequence[int]) -> np.ndarray:
    """Plug-in estimate of the joint of several discrete variables from paired samples.

    Args:
        *samples: one 1-D array of integer labels per variable, all of length N (labels need not
            be contiguous; each variable's axis follows the sorted distinct labels).

    Returns:
        The empirical joint, one axis per variable, of shape ``(k_1, ..., k_V)`` (k_v distinct labels).

    Raises:
        DistributionError: no variables, no samples, unequal lengths or non-integer labels.
    """
    if not samples:
        raise DistributionError("empirical_joint needs at least one variable")
    arrays = [np.asarray(s) for s in samples]
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if a.ndim != 1 or len(a) != n or n == 0:
            raise DistributionError(f"samples[{i}] has shape {a.shape}; every variable needs the same N > 0 samples")
        if not np.issubdtype(a.dtype, np.integer):
            raise DistributionError(f"samples[{i}] has dtype {a.dtype}; labels must be integers")
    codes = [np.unique(a, return_inverse=True) for a in arrays]
    shape = tuple(len(values) for values, _ in codes)
    counts = np.zeros(shape)
    np.add.at(counts, tuple(inverse for _, inverse in codes), 1.0)
    return counts / n
