"""PMR's class prototypes and prototypical loss (Fan, Xu, Wang, Wang and Guo, "PMR: Prototypical
Modal Rebalance for Multimodal Learning", CVPR 2023).

Each modality keeps one prototype per class: the mean of that class's training embeddings, updated
once per epoch with momentum, ``c_k <- mu c_k + (1 - mu) mean_{i: y_i = k} z_i`` (the mean alone the
first time). The prototype classifier's logits are the negative Euclidean distances
``-||z_i - c_k||`` (not squared, as the authors' code and BalanceBenchmark compute them); its
cross-entropy is the prototypical loss (PCE). With ``s_m = sum_i softmax(-||z_m,i - c_m||)[y_i]``,
modality m lags by ``rho_m = mean_{n != m} s_n / s_m``; the loss adds ``beta_m PCE_m`` with
``beta_m = alpha min(rho_m - 1, 1)`` for a lagging modality (``rho_m > 1``; the cap at ``alpha`` is
BalanceBenchmark's) and 0 for the others, so only the slower modality is pushed. The paper's
prototypical entropy regularisation (PER) keeps the leading modality from converging too early:
in the first epochs it subtracts ``mu_e * H(softmax(-||z_m - c_m||))`` (mean entropy over the
batch) for every modality with ``rho_m < 1``, which rewards spread-out prototype predictions of the
modality that is ahead.

The references recompute the prototypes after each epoch in an extra pass over a tenth of the
training data. Here the class means are summed from the embeddings of the epoch's own training
steps (detached), at no extra cost, and become the prototypes when the epoch ends. In the first
epoch, before any prototype exists, a class's prototype is the running mean of its embeddings so
far in that epoch, the current batch included.
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.ogm import discrepancy_ratios
from polymodal.training.balance.unimodal_heads import pooled, pooled_sizes


def add_class_sums(sums: torch.Tensor, counts: torch.Tensor, z: torch.Tensor, labels: torch.Tensor) -> None:
    """Add a batch's embeddings to per-class sums and counts, in place.

    Args:
        sums: ``(K, d)`` per-class sums of embeddings.
        counts: ``(K,)`` per-class numbers of embeddings.
        z: ``(B, d)`` embeddings (detached inside).
        labels: ``(B,)`` class indices.
    """
    z = z.detach().flatten(1)
    sums.index_add_(0, labels, z)
    counts.add_(torch.bincount(labels, minlength=counts.shape[0]).to(counts.dtype))


def update_prototypes(prototypes: torch.Tensor, seen: torch.Tensor, sums: torch.Tensor, counts: torch.Tensor,
                      momentum: float) -> None:
    """An epoch's end: ``c_k <- mu c_k + (1 - mu) sums_k / counts_k`` for the classes seen in the
    epoch (``c_k <- sums_k / counts_k`` for a class without a prototype yet), in place; the sums
    and counts are then reset to 0.

    Args:
        prototypes: ``(K, d)`` class prototypes.
        seen: ``(K,)`` bool, whether a class has a prototype (updated in place).
        sums: ``(K, d)`` the epoch's per-class sums.
        counts: ``(K,)`` the epoch's per-class counts.
        momentum: ``mu`` in ``[0, 1)``.
    """
    present = counts > 0
    means = sums[present] / counts[present, None]
    old = seen[present]
    prototypes[present] = torch.where(old[:, None], momentum * prototypes[present] + (1 - momentum) * means, means)
    seen |= present
    sums.zero_()
    counts.zero_()


def current_prototypes(prototypes: torch.Tensor, seen: torch.Tensor, sums: torch.Tensor, counts: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor]:
    """The prototypes a training step uses: a class's stored prototype where it has one, else the
    running mean of its embeddings in the current epoch.

    Returns:
        ``(prototypes (K, d), valid (K,) bool)``: classes with neither are not valid.
    """
    running = sums / counts.clamp_min(1)[:, None]
    return torch.where(seen[:, None], prototypes, running), seen | (counts > 0)


def prototype_logits(z: torch.Tensor, prototypes: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """``(B, d), (K, d) -> (B, K)``: ``-||z_i - c_k||`` (Euclidean distance); ``-inf`` for the
    classes that are not ``valid`` (``(K,)`` bool; all valid if ``None``)."""
    logits = -torch.cdist(z.flatten(1), prototypes, compute_mode="donot_use_mm_for_euclid_dist")
    return logits if valid is None else logits.masked_fill(~valid, float("-inf"))


def prototype_loss(z: torch.Tensor, prototypes: torch.Tensor, labels: torch.Tensor,
                   valid: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The prototypical cross-entropy and PMR's score of the batch.

    Args:
        z: ``(B, d)`` embeddings.
        prototypes: ``(K, d)`` class prototypes.
        labels: ``(B,)`` class indices.
        valid: ``(K,)`` bool, the classes with a prototype (all if ``None``).

    Returns:
        ``(pce, score)``: ``pce = mean_i -log softmax_k(-||z_i - c_k||)[y_i]``, a scalar with
        gradient; ``score = sum_i softmax_k(-||z_i - c_k||)[y_i]``, a detached scalar.
    """
    logits = prototype_logits(z, prototypes, valid)
    score = torch.softmax(logits.detach(), 1).gather(1, labels[:, None]).sum()
    return F.cross_entropy(logits, labels), score


def prototype_entropy(z: torch.Tensor, prototypes: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """PER's entropy: ``mean_i H(softmax_k(-||z_i - c_k||))`` in nats over the valid classes, a scalar."""
    log_p = torch.log_softmax(prototype_logits(z, prototypes if valid is None else prototypes[valid]), dim=1)
    return -(log_p.exp() * log_p).sum(1).mean()


def pmr_weights(scores: Mapping[str, float], alpha: float) -> dict[str, float]:
    """``beta_m = alpha * min(rho_m - 1, 1)`` if ``rho_m = mean_{n != m} s_n / s_m > 1``, else 0."""
    # rho_m is the inverse of OGM's ratio s_m / mean of the others
    return {m: alpha * min(1.0 / max(r, 1e-12) - 1.0, 1.0) if r < 1.0 else 0.0
            for m, r in discrepancy_ratios(scores).items()}


class PMRBalancer(Balancer):
    """PMR in training: prototypes of each modality's pooled embeddings (buffers, kept in
    checkpoints), updated at each epoch's end from the class means of its training steps, and
    ``sum_m beta_m PCE_m`` added to the fused loss (only the lagging modality has ``beta_m > 0``),
    minus ``entropy * H_m`` for the leading modalities in the epochs before ``entropy_epochs`` (PER,
    the module's docstring).

    Args:
        model: the model (its embedding sizes size the prototypes).
        num_classes: ``K``.
        alpha: strength (0.6 in BalanceBenchmark).
        momentum: prototype momentum ``mu``, the old prototype's share at an epoch's end (0.5 in
            BalanceBenchmark).
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
            self.register_buffer(f"sums_{m}", torch.zeros(num_classes, d))
            self.register_buffer(f"counts_{m}", torch.zeros(num_classes))

    def _state(self, m: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(prototypes, seen, sums, counts)`` of modality ``m``."""
        return tuple(getattr(self, f"{k}_{m}") for k in ("prototypes", "seen", "sums", "counts"))  # type: ignore[return-value]

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        z = {m: pooled(embeddings[m]) for m in self.modalities}
        scores, terms, used = {}, {}, {}
        for m, zm in z.items():
            prototypes, seen, sums, counts = self._state(m)
            add_class_sums(sums, counts, zm, labels)
            used[m] = current, valid = current_prototypes(prototypes, seen, sums, counts)
            terms[m], score = prototype_loss(zm, current, labels, valid)
            scores[m] = float(score)
        beta = pmr_weights(scores, self.alpha)
        for m in self.modalities:
            self.record(f"coef_{m}", beta[m])
            self.record(f"prototype_score_{m}", scores[m] / len(labels))
        loss = loss + sum(beta[m] * terms[m] for m in self.modalities if beta[m] > 0)
        if self.entropy > 0 and epoch < self.entropy_epochs:
            ratios = discrepancy_ratios(scores)  # s_m / mean of the others: > 1 for a leading modality
            for m in self.modalities:
                if ratios[m] > 1.0:
                    loss = loss - self.entropy * prototype_entropy(z[m], *used[m])
        return loss

    def finish_epoch(self, epoch: int) -> None:
        """Make each modality's prototypes from the epoch's class means (:func:`update_prototypes`)."""
        for m in self.modalities:
            update_prototypes(*self._state(m), self.momentum)
