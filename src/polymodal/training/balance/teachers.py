"""Uni-modal teachers (UMT; Du, Teng, Li, Liu, Yuan, Wang, Yuan and Zhao, "On Uni-Modal Feature
Learning in Supervised Multi-Modal Learning", ICML 2023): the fused model's encoders learn with

    L = CE(f(x), y) + lambda sum_m ||e_m(x_m) - t_m(x_m)||^2 / d_m

(the mean squared error of each embedding, ``d_m`` its size), where ``t_m`` is the encoder of a
unimodal model trained on modality m alone, then frozen.

The teachers are trained first and apart, as the paper's and BalanceBenchmark's are (BalanceBenchmark
loads unimodal models trained beforehand): at the start of the run, before the fused model's first
step, a copy of each encoder (from the same initialisation) with a linear head of its own trains
alone for ``teacher_epochs`` epochs on the training data, with an optimizer of the run's kind at its
first learning rate and the run's gradient clipping. Every epoch of the run then trains the fused
model with the distillation term. The teachers' weights are saved in the run's checkpoints, so a
resumed run keeps them.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.data.loader import loader_like
from polymodal.training.balance.alone import UnimodalNetwork, separate_randomness, train_epoch
from polymodal.training.balance.base import Balancer, TrainingRun, evaluating
from polymodal.training.balance.unimodal_heads import UnimodalHeads


def distillation_losses(embeddings: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``{m: mean((e_m - t_m)^2)}`` over every element of modality m's embedding.

    Args:
        embeddings: ``{m: (B, *e_m)}`` the student's.
        targets: ``{m: (B, *e_m)}`` the teachers', for the modalities to distil.
    """
    return {m: F.mse_loss(embeddings[m], t) for m, t in targets.items()}


class UMTBalancer(Balancer):
    """Uni-modal teachers in training (see the module's docstring).

    Args:
        model, num_classes: the teachers copy the model's encoders; their heads are sized for them.
        teacher_epochs: epochs each teacher trains alone before the run (>= 1).
        weight: ``lambda`` (10 as in BalanceBenchmark).
        seed: the teachers' shuffling, augmentation and dropout.
    """

    def __init__(self, model: nn.Module, num_classes: int, teacher_epochs: int = 10, weight: float = 10.0,
                 seed: int = 0) -> None:
        super().__init__()
        heads = UnimodalHeads.for_model(model, num_classes).heads
        self.teachers = nn.ModuleDict({m: UnimodalNetwork(m, copy.deepcopy(model.encoders[m]), head)
                                       for m, head in heads.items()})
        self.teachers.requires_grad_(False)  # frozen, but while they train alone
        self.teacher_epochs, self.weight, self.seed = teacher_epochs, weight, seed

    def train_teachers(self, run: TrainingRun) -> dict[str, float]:
        """Train every teacher alone (see the module's docstring); ``{m: its last epoch's mean training loss}``."""
        last = {}
        for i, (m, teacher) in enumerate(self.teachers.items()):
            seed = self.seed * 100003 + i
            teacher.requires_grad_(True)
            with separate_randomness(seed, run.device):  # the teacher's dropout
                optimizer = run.make_optimizer(teacher.parameters())
                batches = loader_like(run.loader, shuffle=True, generator=torch.Generator().manual_seed(seed),
                                      transform_seed=seed + 1)
                for epoch in range(self.teacher_epochs):
                    run.report(f"uni-modal teachers: {m} alone, epoch {epoch + 1}/{self.teacher_epochs}")
                    last[m] = train_epoch(teacher, batches, None, optimizer, run.grad_clip, run.device)
            teacher.requires_grad_(False)
        return last

    def before_epoch(self, model: nn.Module, epoch: int, run: TrainingRun) -> None:
        if epoch == 0:  # a resumed run starts later, with the teachers of its checkpoint
            for m, loss in self.train_teachers(run).items():
                self.record(f"teacher_loss_{m}", loss)

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        with evaluating(self.teachers):
            targets = {m: teacher.encoder(inputs[m]) for m, teacher in self.teachers.items()}
        distill = distillation_losses(embeddings, targets)
        for m, term in distill.items():
            self.record(f"distill_{m}", float(term.detach()))
        return loss + self.weight * sum(distill.values())
