"""User-facing errors.

Every error a user can cause by bad input is a :class:`PolymodalError` whose message names
the argument, what was wrong and how to fix it. The command line prints such an error as one
line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class PolymodalError(Exception):
    """Base class for errors caused by bad input (arguments, files, shapes)."""


class ConfigError(PolymodalError, ValueError):
    """An argument or option has an invalid value (unknown name, out of range)."""


class DataFileError(PolymodalError, FileNotFoundError):
    """A data file is missing, truncated or not in the expected format."""


class ShapeError(PolymodalError, ValueError):
    """Tensors passed for the modalities do not have the declared shapes."""
