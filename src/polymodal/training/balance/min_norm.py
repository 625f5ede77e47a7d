"""MMPareto's combination of the multimodal and unimodal gradients (Wei and Hu, "MMPareto:
Boosting Multimodal Learning with Innocent Unimodal Assistance", ICML 2024).

For one encoder, ``g_mm`` is the gradient of the multimodal loss and ``g_uni`` that of its
modality's unimodal loss. When they agree (``cos >= 0``) the update is their sum. When they
conflict it is the two-task min-norm (MGDA) point ``d = 2 (gamma g_mm + (1 - gamma) g_uni)``, the
common descent direction of both losses, rescaled to at least the norm of the plain sum and then
multiplied by ``boost`` (the paper's enlarged step, 1.5 by default).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.unimodal_heads import UnimodalHeads


def min_norm_weight(g1: torch.Tensor, g2: torch.Tensor) -> float:
    """``gamma* = argmin_{gamma in [0, 1]} ||gamma g1 + (1 - gamma) g2||``, in closed form:
    ``clip(((g2 - g1) . g2) / ||g1 - g2||^2, 0, 1)`` (0.5 when ``g1 == g2``).

    Args:
        g1, g2: ``(P,)`` flattened gradients.
    """
    diff = g1 - g2
    denominator = float(diff @ diff)
    if denominator == 0.0:
        return 0.5
    return min(max(float((g2 - g1) @ g2) / denominator, 0.0), 1.0)


def mmpareto_direction(g_mm: torch.Tensor, g_uni: torch.Tensor, boost: float = 1.5) -> tuple[torch.Tensor, bool]:
    """The encoder's update direction and whether the two gradients conflicted.

    Args:
        g_mm: ``(P,)`` gradient of the multimodal loss.
        g_uni: ``(P,)`` gradient of the unimodal loss.
        boost: magnitude factor applied in the conflicting case, >= 1.

    Returns:
        ``(d (P,), conflict)``.
    """
    total = g_mm + g_uni
    norms = float(g_mm.norm() * g_uni.norm())
    if norms == 0.0 or float(g_mm @ g_uni) >= 0.0:
        return total, False
    gamma = min_norm_weight(g_mm, g_uni)
    d = 2.0 * (gamma * g_mm + (1.0 - gamma) * g_uni)
    d_norm, total_norm = float(d.norm()), float(total.norm())
    if 0.0 < d_norm < total_norm:
        d = d * (total_norm / d_norm)
    return d * boost, True


class MMParetoBalancer(Balancer):
    """MMPareto in training: a linear unimodal head per modality; the loss is the fused loss plus
    every unimodal loss, and each encoder's gradient is replaced by :func:`mmpareto_direction` of
    its multimodal part and its unimodal part (the latter taken by one extra backward pass per
    modality, through that encoder only).

    Args:
        model: the model (its embedding sizes size the heads).
        num_classes: classes of the heads.
        boost: magnitude factor in conflicting steps (1.5 in the paper).
    """

    def __init__(self, model: nn.Module, num_classes: int, boost: float = 1.5) -> None:
        super().__init__()
        self.heads = UnimodalHeads.for_model(model, num_classes)
        self.boost = boost
        self._unimodal: dict[str, tuple[list[nn.Parameter], tuple[torch.Tensor | None, ...]]] = {}

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        unimodal = {m: F.cross_entropy(o, labels) for m, o in self.heads(embeddings).items()}
        self._unimodal = {}
        for m, term in unimodal.items():
            params = [p for p in model.encoders[m].parameters() if p.requires_grad]
            grads = torch.autograd.grad(term, params, retain_graph=True, allow_unused=True)
            self._unimodal[m] = (params, grads)
            self.record(f"unimodal_loss_{m}", float(term.detach()))
        return loss + sum(unimodal.values())

    def after_backward(self, model: nn.Module, epoch: int) -> None:
        for m, (params, uni) in self._unimodal.items():
            total = _flat([p.grad for p in params], params)
            g_uni = _flat(list(uni), params)
            d, conflict = mmpareto_direction(total - g_uni, g_uni, self.boost)
            offset = 0
            for p in params:
                n = p.numel()
                p.grad = d[offset:offset + n].view_as(p).clone()
                offset += n
            self.record(f"conflict_{m}", float(conflict))
        self._unimodal = {}


def _flat(grads: list[torch.Tensor | None], params: list[nn.Parameter]) -> torch.Tensor:
    """One vector of the gradients, zeros where a parameter has none."""
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])
