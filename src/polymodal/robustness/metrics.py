"""MultiBench's two robustness metrics, without its min-max normalisation over a fixed table of methods.

Both integrate over the noise level with the trapezoid rule (MultiBench's
``relative_robustness_helper`` and ``effective_robustness_helper`` use steps of 0.1):

- relative robustness ``RR = int_0^pmax acc(p) dp``, the area under the accuracy-level curve;
- effective robustness ``ER = int_0^pmax [acc(p) - (acc_LF(p) + acc(0) - acc_LF(0))] dp``, the
  excess over a late-fusion baseline shifted to the same clean accuracy (Taori et al., 2020).

MultiBench then min-max normalises both over the methods stored in its script, which makes
them ranks within that set; here they are absolute, in accuracy x level units.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polymodal.errors import ConfigError


def _curve(levels: Sequence[float], accuracies: Sequence[float], name: str) -> tuple[np.ndarray, np.ndarray]:
    p, a = np.asarray(levels, dtype=float), np.asarray(accuracies, dtype=float)
    if p.ndim != 1 or p.shape != a.shape or len(p) < 2:
        raise ConfigError(f"{name}: levels and accuracies must be two 1-D sequences of one length >= 2")
    if p[0] != 0.0 or np.any(np.diff(p) <= 0):
        raise ConfigError(f"{name}: levels must start at 0 and increase, got {p.tolist()}")
    return p, a


def relative_robustness(levels: Sequence[float], accuracies: Sequence[float]) -> float:
    """The area under the accuracy-level curve, by the trapezoid rule."""
    p, a = _curve(levels, accuracies, "relative_robustness")
    return float(np.trapezoid(a, p))


def effective_robustness(levels: Sequence[float], accuracies: Sequence[float], late_fusion: Sequence[float]) -> float:
    """The area between the curve and late fusion's curve shifted to the same clean accuracy."""
    p, a = _curve(levels, accuracies, "effective_robustness")
    _, lf = _curve(levels, late_fusion, "effective_robustness (late fusion)")
    return round(float(np.trapezoid(a - (lf + a[0] - lf[0]), p)), 12) + 0.0  # no -0.0 from rounding noise
