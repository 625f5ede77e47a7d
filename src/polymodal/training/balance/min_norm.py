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
