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
from typing import Any, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.unimodal_heads import UnimodalHeads

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


class GradientBlendingBalancer(Balancer):
    """Online Gradient Blending in training (see the module's docstring).

    A linear unimodal head per modality beside the fused head; the loss is ``sum_k w_k L_k`` over
    the heads. A fixed ``holdout`` share of the training examples (chosen by their index and
    ``seed``) is never trained on: its losses, taken in the same forward passes, are the
    held-out losses of G and O. The weights start uniform and are re-estimated at the end of
    every super-epoch of ``super_epoch`` epochs, from its first and last epochs' mean losses.

    Args:
        model, num_classes: size the heads.
        super_epoch: epochs per re-estimation (>= 1).
        holdout: share of training examples held out, in (0, 0.5].
        seed: which examples are held out.
    """

    def __init__(self, model: nn.Module, num_classes: int, super_epoch: int = 5, holdout: float = 0.1,
                 seed: int = 0) -> None:
        super().__init__()
        self.heads = UnimodalHeads.for_model(model, num_classes)
        self.super_epoch, self.holdout, self.seed = super_epoch, holdout, seed
        names = [*self.heads.heads, "fused"]
        self.weights: dict[str, float] = {k: 1.0 / len(names) for k in names}
        self._sums: dict[str, list[float]] = {}
        self._start: dict[str, tuple[float, float]] | None = None

    @property
    def fused_weight(self) -> float:
        """``w_fused``: the fused head's current weight."""
        return self.weights["fused"]

    def held_out(self, index: torch.Tensor) -> torch.Tensor:
        """``(B,) -> (B,) bool``: whether each example is held out (a fixed hash of its index)."""
        mixed = (index.long() * 2654435761 + self.seed * 40503) % 4294967296
        return (mixed % 10007).float() < self.holdout * 10007

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        if index is None:
            raise ValueError("index: Gradient Blending needs the examples' indices to hold some out")
        held = self.held_out(torch.as_tensor(index, device=labels.device))
        outputs = {**self.heads(embeddings), "fused": logits}
        total = logits.new_zeros(())
        for k, out in outputs.items():
            per_example = F.cross_entropy(out, labels, reduction="none")
            sums = self._sums.setdefault(k, [0.0, 0, 0.0, 0])
            kept = ~held
            if kept.any():
                train = per_example[kept].mean()
                total = total + self.weights[k] * train
                sums[0] += float(train.detach()) * int(kept.sum())
                sums[1] += int(kept.sum())
            if held.any():
                sums[2] += float(per_example[held].detach().sum())
                sums[3] += int(held.sum())
        return total

    def get_extra_state(self) -> dict[str, Any]:
        """The current weights and the super-epoch's first-epoch losses, saved in checkpoints with
        the heads: a run resumed inside a super-epoch re-estimates the weights as the uninterrupted one."""
        return {"weights": dict(self.weights),
                "start": {k: tuple(v) for k, v in self._start.items()} if self._start is not None else None}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.weights = dict(state["weights"])
        self._start = {k: tuple(v) for k, v in state["start"].items()} if state["start"] is not None else None

    def finish_epoch(self, epoch: int) -> None:
        means = {k: (s[0] / max(s[1], 1), s[2] / max(s[3], 1)) for k, s in self._sums.items()}
        self._sums = {}
        if not means:
            return
        if epoch % self.super_epoch == 0:
            self._start = means
        if (epoch + 1) % self.super_epoch == 0 and self._start is not None:
            self.weights = blend_weights({k: HeadLosses(self._start[k][0], means[k][0], self._start[k][1], means[k][1])
                                          for k in means})
        for k, w in self.weights.items():
            self.record(f"weight_{k}", w)
