"""MMPareto's combination of the multimodal and unimodal gradients (Wei and Hu, "MMPareto:
Boosting Multimodal Learning with Innocent Unimodal Assistance", ICML 2024).

For one encoder, ``g_mm`` is the gradient of the multimodal loss and ``g_uni`` that of its
modality's unimodal loss. When they agree (``cos > 0``) the weights are ``(1/2, 1/2)``; when they
conflict they are the two-task min-norm (MGDA) point's ``(gamma, 1 - gamma)``, the common descent
direction of both losses. Then, parameter tensor by parameter tensor as the authors' code does,
``d = 2 (k_mm g_mm + k_uni g_uni)`` is rescaled to at least the norm of the plain sum
``g_mm + g_uni`` and multiplied by ``boost`` (the paper's enlarged step, gamma = 1.5 there), in
every step: with agreeing gradients the update is ``boost (g_mm + g_uni)``.
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


def mmpareto_weights(g_mm: torch.Tensor, g_uni: torch.Tensor) -> tuple[float, float, bool]:
    """``(k_mm, k_uni, conflict)`` of one encoder's flattened gradients: ``(1/2, 1/2, False)``
    when ``cos(g_mm, g_uni) > 0`` (or either is zero), else the min-norm point's
    ``(gamma, 1 - gamma, True)`` (:func:`min_norm_weight`).

    Args:
        g_mm: ``(P,)`` gradient of the multimodal loss.
        g_uni: ``(P,)`` gradient of the unimodal loss.
    """
    if float(g_mm.norm() * g_uni.norm()) == 0.0 or float(g_mm @ g_uni) > 0.0:
        return 0.5, 0.5, False
    gamma = min_norm_weight(g_mm, g_uni)
    return gamma, 1.0 - gamma, True


def mmpareto_gradients(g_mm: list[torch.Tensor], g_uni: list[torch.Tensor], boost: float = 1.5
                       ) -> tuple[list[torch.Tensor], bool]:
    """One encoder's new gradients, tensor by tensor, and whether its two gradients conflicted.

    Args:
        g_mm: the multimodal loss's gradient of each parameter tensor (any shapes).
        g_uni: the unimodal loss's gradient of the same tensors.
        boost: the factor of every step, >= 1.

    Returns:
        ``([d_i], conflict)`` with ``d_i = boost * max(1, ||g_mm,i + g_uni,i|| / ||h_i||) * h_i``,
        ``h_i = 2 (k_mm g_mm,i + k_uni g_uni,i)`` and the weights of :func:`mmpareto_weights` on
        the flattened gradients.
    """
    k_mm, k_uni, conflict = mmpareto_weights(torch.cat([g.reshape(-1) for g in g_mm]),
                                             torch.cat([g.reshape(-1) for g in g_uni]))
    out = []
    for a, b in zip(g_mm, g_uni):
        h = 2.0 * (k_mm * a + k_uni * b)
        h_norm, sum_norm = float(h.norm()), float((a + b).norm())
        scale = sum_norm / h_norm if 0.0 < h_norm < sum_norm else 1.0
        out.append(h * (scale * boost))
    return out, conflict


class MMParetoBalancer(Balancer):
    """MMPareto in training: a linear unimodal head per modality; the loss is the fused loss plus
    every unimodal loss, and each encoder's gradients are replaced by :func:`mmpareto_gradients` of
    their multimodal part and their unimodal part (the latter taken by one extra backward pass per
    modality, through that encoder only).

    Args:
        model: the model (its embedding sizes size the heads).
        num_classes: classes of the heads.
        boost: magnitude factor of every step (1.5 in the paper).
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
            totals = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            g_uni = [g if g is not None else torch.zeros_like(p) for g, p in zip(uni, params)]
            new, conflict = mmpareto_gradients([t - u for t, u in zip(totals, g_uni)], g_uni, self.boost)
            for p, g in zip(params, new):
                p.grad = g
            self.record(f"conflict_{m}", float(conflict))
        self._unimodal = {}
