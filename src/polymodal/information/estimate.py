"""What a PID estimator returns, and the sample matrices every estimator reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polymodal.information.distributions import DistributionError
from polymodal.information.pid import PIDResult


@dataclass(frozen=True)
class PIDEstimate:
    """A PID estimated from samples, with the settings that produced it.

    Attributes:
        pid: the decomposition (R, U1, U2, S in bits, certificate, optimal q).
        estimator: ``"cluster"`` or ``"batch"``.
        num_samples: samples used.
        settings: the estimator's settings and what it ended up using (e.g. clusters per modality).
    """

    pid: PIDResult
    estimator: str
    num_samples: int
    settings: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready: the terms, the estimator, the sample count and the settings."""
        return {**self.pid.as_dict(), "estimator": self.estimator, "num_samples": self.num_samples,
                "settings": self.settings}


def as_features(x, name: str) -> np.ndarray:
    """Samples as a float64 matrix ``(N, D)`` (images and spectrograms are flattened)."""
    arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim < 2 or len(arr) == 0:
        raise DistributionError(f"{name} must hold at least one sample, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise DistributionError(f"{name} has NaN or infinite values")
    return arr.reshape(len(arr), -1)


def as_labels(y, name: str) -> np.ndarray:
    """Integer labels as a 1-d array ``(N,)``."""
    arr = np.asarray(y.detach().cpu() if hasattr(y, "detach") else y)
    if arr.ndim != 1:
        raise DistributionError(f"{name} must be a 1-d array of labels, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise DistributionError(f"{name} must hold integer labels, got dtype {arr.dtype}")
    return arr
