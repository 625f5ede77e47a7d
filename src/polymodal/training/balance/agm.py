"""AGM's gradient coefficients (Li, Li, Hu, Lei, Li and Zhou, "Boosting Multi-modal Model
Performance with Adaptive Gradient Modulation", ICCV 2023).

Each modality's mono-modal response is its Shapley value of the logits (:mod:`.shapley`, absent
modalities zeroed). With ``s_m`` the mean cross-entropy of modality m's response, the
discrepancy is ``r_m = exp(M / (M - 1) * (s_m - mean_n s_n))`` (a modality whose response is worse
than average has ``r_m > 1``). A running mean ``rbar_m`` of ``r_m`` tracks the competition-free
state, and modality m's encoder gradients are scaled by ``c_m = exp(alpha * min(rbar_m - r_m, 7))``:
a modality doing better than its running state is slowed, one doing worse is sped up.
"""

from __future__ import annotations

import math
from typing import Mapping


def discrepancies(losses: Mapping[str, float]) -> dict[str, float]:
    """``r_m = exp(M / (M - 1) * (s_m - mean_n s_n))`` from ``{m: s_m}`` (at least two modalities)."""
    m_count = len(losses)
    if m_count < 2:
        raise ValueError(f"losses: AGM needs at least two modalities, got {list(losses)}")
    mean = sum(losses.values()) / m_count
    return {m: math.exp(m_count / (m_count - 1) * (s - mean)) for m, s in losses.items()}


def agm_coefficients(r: Mapping[str, float], running: Mapping[str, float], alpha: float) -> dict[str, float]:
    """``c_m = exp(alpha * min(rbar_m - r_m, 7))``."""
    return {m: math.exp(alpha * min(running[m] - r[m], 7.0)) for m in r}


def update_running(running: Mapping[str, float] | None, r: Mapping[str, float], step: int) -> dict[str, float]:
    """The running mean after the ``step``-th value (counted from 1): ``rbar <- rbar + (r - rbar) / step``."""
    if running is None or step <= 1:
        return dict(r)
    return {m: running[m] + (r[m] - running[m]) / step for m in r}
