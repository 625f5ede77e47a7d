"""Uni-modal teachers (UMT; Du, Teng, Li, Liu, Yuan, Wang, Yuan and Zhao, "On Uni-Modal Feature
Learning in Supervised Multi-Modal Learning", ICML 2023): the fused model's encoders learn with
``CE + lambda sum_m ||e_m - t_m||^2 / d_m`` (the mean squared error), where ``t_m`` is the
embedding of a frozen encoder trained on modality m alone.

Inside the one training loop: a copy of every encoder (the teachers) trains with a linear head of
its own in epochs ``0..teacher_epochs-1`` while the fused model waits; then the teachers are
frozen and the fused model trains with the distillation term.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.unimodal_heads import UnimodalHeads


class UMTBalancer(Balancer):
    """Args: model, num_classes: copy the encoders, size the heads; teacher_epochs (>= 1); weight: lambda (10 in BalanceBenchmark)."""

    def __init__(self, model: nn.Module, num_classes: int, teacher_epochs: int = 3, weight: float = 10.0) -> None:
        super().__init__()
        self.teachers = copy.deepcopy(model.encoders)
        self.heads = UnimodalHeads.for_model(model, num_classes)
        self.teacher_epochs, self.weight = teacher_epochs, weight

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        if epoch < self.teacher_epochs:
            taught = {m: teacher(inputs[m]) for m, teacher in self.teachers.items()}
            unimodal = {m: F.cross_entropy(o, labels) for m, o in self.heads(taught).items()}
            for m, term in unimodal.items():
                self.record(f"teacher_loss_{m}", float(term.detach()))
            return sum(unimodal.values())
        self.teachers.eval()
        with torch.no_grad():
            targets = {m: teacher(inputs[m]) for m, teacher in self.teachers.items()}
        distill = {m: F.mse_loss(embeddings[m], targets[m]) for m in targets}
        for m, term in distill.items():
            self.record(f"distill_{m}", float(term.detach()))
        return loss + self.weight * sum(distill.values())
