"""PMR's class prototypes and prototypical loss (Fan, Xu, Wang, Wang and Guo, "PMR: Prototypical
Modal Rebalance for Multimodal Learning", CVPR 2023).

Each modality keeps one prototype per class, a momentum average of the embeddings of that class:
``c_k <- mu c_k + (1 - mu) mean_{i: y_i = k} z_i`` (set to the mean on the class's first batch).
The prototype classifier's logits are ``-||z_i - c_k||^2``; its cross-entropy is the prototypical
loss (PCE). With ``s_m = sum_i softmax(-||z_m,i - c_m||^2)[y_i]``, modality m lags by
``rho_m = mean_{n != m} s_n / s_m``; the loss adds ``beta_m PCE_m`` with
``beta_m = alpha (rho_m - 1)`` for a lagging modality (``rho_m > 1``) and 0 for the others, so
only the slower modality is pushed.
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F


def update_prototypes(prototypes: torch.Tensor, seen: torch.Tensor, z: torch.Tensor, labels: torch.Tensor,
                      momentum: float) -> None:
    """Momentum update of the classes present in a batch, in place.

    Args:
        prototypes: ``(K, d)`` class prototypes.
        seen: ``(K,)`` bool, whether a class has a prototype yet (updated in place).
        z: ``(B, d)`` embeddings (detached inside).
        labels: ``(B,)`` class indices.
        momentum: ``mu`` in ``[0, 1)``.
    """
    z = z.detach().flatten(1)
    sums = torch.zeros_like(prototypes).index_add_(0, labels, z)
    counts = torch.bincount(labels, minlength=prototypes.shape[0]).to(z.dtype)
    present = counts > 0
    means = sums[present] / counts[present, None]
    fresh = present & ~seen
    old = present & seen
    prototypes[fresh] = means[fresh[present]]
    prototypes[old] = momentum * prototypes[old] + (1 - momentum) * means[old[present]]
    seen |= present


def prototype_logits(z: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """``(B, d), (K, d) -> (B, K)``: ``-||z_i - c_k||^2``."""
    return -torch.cdist(z.flatten(1), prototypes).pow(2)


def prototype_loss(z: torch.Tensor, prototypes: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The prototypical cross-entropy, a scalar (mean over the batch)."""
    return F.cross_entropy(prototype_logits(z, prototypes), labels)


def pmr_weights(scores: Mapping[str, float], alpha: float) -> dict[str, float]:
    """``beta_m = alpha * (rho_m - 1)`` if ``rho_m = mean_{n != m} s_n / s_m > 1``, else 0."""
    if len(scores) < 2:
        raise ValueError(f"scores: PMR needs at least two modalities, got {list(scores)}")
    out = {}
    for m, s in scores.items():
        others = [float(v) for n, v in scores.items() if n != m]
        rho = (sum(others) / len(others)) / max(float(s), 1e-12)
        out[m] = alpha * (rho - 1.0) if rho > 1.0 else 0.0
    return out
