"""Gradient Blending's loss weights (Wang, Tran and Feiszli, "What Makes Training Multi-modal
Classification Networks Hard?", CVPR 2020).

The model has one head per modality and the fused head; training minimises ``sum_k w_k L_k``.
Every super-epoch, each head's losses on training data and on held-out training data are
measured at its start (``0``) and end (``1``): the generalisation gain is
``G_k = L_val,0 - L_val,1`` and the change in overfitting ``O_k = (L_val,1 - L_train,1) -
(L_val,0 - L_train,0)``; the weights are ``w_k = (G_k / O_k^2) / sum_j (G_j / O_j^2)``. A head
that did not generalise (``G_k <= 0``) gets weight 0; if none did, the weights are uniform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

EPS = 1e-8


@dataclass(frozen=True)
class HeadLosses:
    """One head's mean losses at the start and the end of a super-epoch."""

    train_start: float
    train_end: float
    val_start: float
    val_end: float

    @property
    def gain(self) -> float:
        """``G = L_val,start - L_val,end``."""
        return self.val_start - self.val_end

    @property
    def overfitting(self) -> float:
        """``O = (L_val,end - L_train,end) - (L_val,start - L_train,start)``."""
        return (self.val_end - self.train_end) - (self.val_start - self.train_start)


def blend_weights(losses: Mapping[str, HeadLosses]) -> dict[str, float]:
    """``{head: w_k}``, summing to 1 (see the module's docstring); ``O_k^2`` is floored at 1e-8."""
    if not losses:
        raise ValueError("losses: at least one head is needed")
    raw = {k: max(h.gain, 0.0) / max(h.overfitting ** 2, EPS) for k, h in losses.items()}
    total = sum(raw.values())
    if total <= 0.0:
        return {k: 1.0 / len(raw) for k in raw}
    return {k: v / total for k, v in raw.items()}
