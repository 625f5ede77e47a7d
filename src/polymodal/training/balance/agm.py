"""AGM's gradient coefficients (Li, Li, Hu, Lei, Li and Zhou, "Boosting Multi-modal Model
Performance with Adaptive Gradient Modulation", ICCV 2023).

Each modality's mono-modal response is its Shapley value of the logits (:mod:`.shapley`, absent
modalities zeroed). With ``s_m`` the mean cross-entropy of modality m's response, the
discrepancy is ``r_m = exp(M / (M - 1) * (mean_n s_n - s_m))`` (a modality whose response is better
than average has ``r_m > 1``). The running mean ``sbar_m`` of ``s_m`` over the steps before tracks
the competition-free state, as in the authors' code and BalanceBenchmark's: its discrepancy
``rbar_m = exp(M / (M - 1) * (mean_n sbar_n - sbar_m))`` is the target, and modality m's encoder
gradients are scaled by ``c_m = exp(alpha * min(rbar_m - r_m, 7))`` (1 at the first step): a
modality doing better than its running state is slowed, one doing worse is sped up.

The sign is the authors' code's (lihong2303/AGM_ICCV2023: ``ratio_a = exp(score_v - score_a)`` with
cross-entropy scores for two modalities, ``exp((mean - score_m) * 3/2)`` for three).
BalanceBenchmark's ``AGM_trainer`` takes ``exp(M / (M - 1) * (s_m - mean))`` with the same
cross-entropy scores, the opposite sign: there a modality that falls behind has its gradients
scaled *down* and the one ahead *up*, so imbalance grows. Polymodal had that sign until
2026-12-06; on AV-MNIST's late fusion it scaled the lagging audio's gradients by 0.91 to 0.97 in
the first six epochs, and the image's by 1.00 to 1.02.

An absent modality's *embedding* is zeroed, as in the per-epoch contribution diagnostic
(:mod:`polymodal.training.imbalance`). The authors' code zeroes its *input* and runs its encoder
on the zeros. With an encoder whose bias or normalisation makes ``encoder(0) != 0`` the two
differ: a zero embedding leaves a product fusion (tensor, low-rank, with the appended 1) exactly
its other modalities' terms, where the encoder's answer to a zero input would add cross terms.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch
from torch import nn
import torch.nn.functional as F

from polymodal.training.balance.base import Balancer, encoder_weights, evaluating
from polymodal.training.balance.shapley import shapley_values


def discrepancies(losses: Mapping[str, float]) -> dict[str, float]:
    """``r_m = exp(M / (M - 1) * (mean_n s_n - s_m))`` from the response losses ``{m: s_m}`` (at
    least two modalities): above 1 for a modality whose loss is below the mean."""
    m_count = len(losses)
    if m_count < 2:
        raise ValueError(f"losses: AGM needs at least two modalities, got {list(losses)}")
    mean = sum(losses.values()) / m_count
    return {m: math.exp(m_count / (m_count - 1) * (mean - s)) for m, s in losses.items()}


def agm_coefficients(r: Mapping[str, float], target: Mapping[str, float], alpha: float) -> dict[str, float]:
    """``c_m = exp(alpha * min(rbar_m - r_m, 7))``, ``target`` being ``{m: rbar_m}``."""
    return {m: math.exp(alpha * min(target[m] - r[m], 7.0)) for m in r}


def update_running(running: Mapping[str, float] | None, r: Mapping[str, float], step: int) -> dict[str, float]:
    """The running mean after the ``step``-th value (counted from 1): ``mean <- mean + (value - mean) / step``."""
    if running is None or step <= 1:
        return dict(r)
    return {m: running[m] + (r[m] - running[m]) / step for m in r}


class AGMBalancer(Balancer):
    """AGM in training (see the module's docstring): works with any fusion.

    Each step evaluates the fusion and head on all ``2^M`` coalitions of the step's embeddings
    (absent modalities zeroed; no gradient), takes the Shapley values of the logits as the
    mono-modal responses (fusion and head in eval mode), and scales each modality's encoder weight gradients by ``c_m``; the
    whole gradient is then clipped to norm ``clip``.

    Args:
        modalities: the model's modalities (at least two).
        alpha: modulation strength ``alpha`` > 0 (0.1 in BalanceBenchmark).
        clip: gradient norm after modulation (5 in the paper's code); ``None`` for none.
    """

    def __init__(self, modalities: list[str], alpha: float = 0.1, clip: float | None = 5.0) -> None:
        super().__init__()
        self.modalities, self.alpha, self.clip = list(modalities), alpha, clip
        self._running: dict[str, float] | None = None
        self._steps = 0
        self._coefficients: dict[str, float] = {m: 1.0 for m in self.modalities}

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        with evaluating(model.fusion, model.head):
            detached = {m: e.detach() for m, e in embeddings.items()}

            def coalition_logits(present: frozenset[str]) -> torch.Tensor:
                return model.head(model.fuse({m: e if m in present else torch.zeros_like(e) for m, e in detached.items()}))

            responses = shapley_values(coalition_logits, self.modalities)
            losses = {m: float(F.cross_entropy(r, labels)) for m, r in responses.items()}
        r = discrepancies(losses)
        self._steps += 1
        target = discrepancies(self._running) if self._running is not None else r
        self._coefficients = agm_coefficients(r, target, self.alpha)
        self._running = update_running(self._running, losses, self._steps)
        for m in self.modalities:
            self.record(f"coef_{m}", self._coefficients[m])
            self.record(f"response_loss_{m}", losses[m])
        return loss

    def get_extra_state(self) -> dict[str, Any]:
        """The running mean ``sbar`` of the response losses and its step count, saved in checkpoints with the weights: a
        resumed run modulates as the uninterrupted one (a fresh mean would restart from the next ``s``)."""
        return {"running": dict(self._running) if self._running is not None else None, "steps": self._steps}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self._running, self._steps = state["running"], int(state["steps"])

    def after_backward(self, model: nn.Module, epoch: int) -> None:
        for m, c in self._coefficients.items():
            for p in encoder_weights(model, m):
                if p.grad is not None:
                    p.grad.mul_(c)
        if self.clip is not None:
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], self.clip)
