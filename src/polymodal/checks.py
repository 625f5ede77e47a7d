"""Argument checks shared by the public functions: each failure is one line naming the argument.

They turn what would be a raw NumPy, scikit-learn or torch error deep inside a computation (an
IndexError from a label out of range, a ZeroDivisionError from an empty size) into a
:class:`~polymodal.errors.ConfigError` or :class:`~polymodal.errors.ShapeError` at the call.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from polymodal.errors import ConfigError, ShapeError


def is_integer(value: Any) -> bool:
    """Python or NumPy integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as a Python int, if it is an integer (NumPy ones too) of at least ``minimum``."""
    if not is_integer(value) or value < minimum:
        what = "a positive int" if minimum == 1 else f"an integer >= {minimum}"
        raise ConfigError(f"{name} must be {what}, got {value!r}")
    return int(value)


def finite_array(x: Any, name: str) -> np.ndarray:
    """``x`` as a float64 array, rejecting NaN and infinity with the first bad row named.

    Raises:
        ConfigError: ``x`` is not numeric, or holds NaN or an infinity.
    """
    try:
        arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{name} must be a numeric array ({error})") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.argwhere(bad)[0].tolist()
        raise ConfigError(f"{name} has NaN or infinite values (first at index {where}); drop or impute those rows")
    return arr


def class_labels(y: Any, name: str, num_classes: int | None = None) -> np.ndarray:
    """Integer class labels ``(N,)`` in ``[0, num_classes)``; integer-valued floats are accepted.

    Args:
        y: the labels.
        name: the argument's name, for the message.
        num_classes: the number of classes, or ``None`` for any non-negative labels.

    Returns:
        ``y`` as an int64 array.

    Raises:
        ShapeError: ``y`` is not one-dimensional.
        ConfigError: non-integer, negative or out-of-range labels.
    """
    arr = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if arr.ndim != 1:
        raise ShapeError(f"{name} must be a 1-d array of class labels, got shape {arr.shape}")
    if arr.dtype.kind == "b" or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ConfigError(f"{name} must hold integer class labels 0..C-1, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        fractional = ~np.isfinite(arr) | (arr != np.round(arr))
        if fractional.any():
            i = int(np.flatnonzero(fractional)[0])
            raise ConfigError(f"{name} must hold integer class labels, got {arr[i].item()!r} at index {i}; "
                              "for a continuous target use a regression task")
    labels = arr.astype(np.int64)
    if len(labels) and labels.min() < 0:
        i = int(np.argmin(labels))
        raise ConfigError(f"{name} must hold class labels 0..C-1, got {labels[i]} at index {i}")
    if num_classes is not None and len(labels) and labels.max() >= num_classes:
        i = int(np.argmax(labels))
        raise ConfigError(f"{name} has label {labels[i]} at index {i}, but there are only {num_classes} classes "
                          f"(labels 0..{num_classes - 1})")
    return labels
