"""PMR's class prototypes and prototypical loss (Fan, Xu, Wang, Wang and Guo, "PMR: Prototypical
Modal Rebalance for Multimodal Learning", CVPR 2023).

Each modality keeps one prototype per class, a momentum average of the embeddings of that class:
``c_k <- mu c_k + (1 - mu) mean_{i: y_i = k} z_i`` (set to the mean on the class's first batch).
The prototype classifier's logits are ``-||z_i - c_k||^2``; its cross-entropy is the prototypical
loss (PCE). With ``s_m = sum_i softmax(-||z_m,i - c_m||^2)[y_i]``, modality m lags by
``rho_m = mean_{n != m} s_n / s_m``; the loss adds ``beta_m PCE_m`` with
``beta_m = alpha (rho_m - 1)`` for a lagging modality (``rho_m > 1``) and 0 for the others, so
only the slower modality is pushed. The paper's prototypical entropy regularisation (PER) keeps the
leading modality from converging too early: in the first epochs it subtracts
``mu_e * H(softmax(-||z_m - c_m||^2))`` (mean entropy over the batch) for every modality with
``rho_m < 1``, which rewards spread-out prototype predictions of the modality that is ahead.
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.ogm import discrepancy_ratios
from polymodal.training.balance.unimodal_heads import pooled, pooled_sizes


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


def prototype_entropy(z: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """PER's entropy: ``mean_i H(softmax_k(-||z_i - c_k||^2))`` in nats, a scalar."""
    log_p = torch.log_softmax(prototype_logits(z, prototypes), dim=1)
    return -(log_p.exp() * log_p).sum(1).mean()


def pmr_weights(scores: Mapping[str, float], alpha: float) -> dict[str, float]:
    """``beta_m = alpha * (rho_m - 1)`` if ``rho_m = mean_{n != m} s_n / s_m > 1``, else 0."""
    # rho_m is the inverse of OGM's ratio s_m / mean of the others
    return {m: alpha * (1.0 / max(r, 1e-12) - 1.0) if r < 1.0 else 0.0 for m, r in discrepancy_ratios(scores).items()}


class PMRBalancer(Balancer):
    """PMR in training: momentum prototypes of each modality's pooled embeddings (buffers, kept in
    checkpoints), and ``sum_m beta_m PCE_m`` added to the fused loss (only the lagging modality has
    ``beta_m > 0``), minus ``entropy * H_m`` for the leading modalities in the epochs before
    ``entropy_epochs`` (PER, the module's docstring).

    Args:
        model: the model (its embedding sizes size the prototypes).
        num_classes: ``K``.
        alpha: strength (0.6 in BalanceBenchmark).
        momentum: prototype momentum ``mu`` (0.5 in BalanceBenchmark).
        entropy: PER's weight (0: no PER, the default; our sources give no value).
        entropy_epochs: the epochs (from 0) in which PER applies.
    """

    def __init__(self, model: nn.Module, num_classes: int, alpha: float = 0.6, momentum: float = 0.5,
                 entropy: float = 0.0, entropy_epochs: int = 10) -> None:
        super().__init__()
        sizes = pooled_sizes(model)
        self.alpha, self.momentum, self.modalities = alpha, momentum, list(sizes)
        self.entropy, self.entropy_epochs = entropy, entropy_epochs
        for m, d in sizes.items():
            self.register_buffer(f"prototypes_{m}", torch.zeros(num_classes, d))
            self.register_buffer(f"seen_{m}", torch.zeros(num_classes, dtype=torch.bool))

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        z = {m: pooled(embeddings[m]) for m in self.modalities}
        scores, terms = {}, {}
        for m, zm in z.items():
            prototypes, seen = getattr(self, f"prototypes_{m}"), getattr(self, f"seen_{m}")
            update_prototypes(prototypes, seen, zm, labels, self.momentum)
            terms[m] = prototype_loss(zm, prototypes, labels)
            with torch.no_grad():
                scores[m] = float(torch.softmax(prototype_logits(zm, prototypes), 1).gather(1, labels[:, None]).sum())
        beta = pmr_weights(scores, self.alpha)
        for m in self.modalities:
            self.record(f"coef_{m}", beta[m])
            self.record(f"prototype_score_{m}", scores[m] / len(labels))
        loss = loss + sum(beta[m] * terms[m] for m in self.modalities if beta[m] > 0)
        if self.entropy > 0 and epoch < self.entropy_epochs:
            ratios = discrepancy_ratios(scores)  # s_m / mean of the others: > 1 for a leading modality
            for m in self.modalities:
                if ratios[m] > 1.0:
                    loss = loss - self.entropy * prototype_entropy(z[m], getattr(self, f"prototypes_{m}"))
        return loss
