"""The interface between a balancing method and the training step."""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import torch
from torch import nn
from torch.utils.data import DataLoader


@dataclass(frozen=True)
class TrainingRun:
    """What a method may use of the run around it, at the start of an epoch.

    Attributes:
        loader: the training data loader.
        make_optimizer: ``parameters -> optimizer`` of the run's kind and settings, at this epoch's
            learning rate.
        grad_clip: the run's bound on the gradient's global L2 norm (``None``: no clipping).
        device: where the model is.
        report: shows a line of progress (e.g. on the run's progress bar) while a method works
            between steps.
    """

    loader: DataLoader
    make_optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
    grad_clip: float | None
    device: torch.device
    report: Callable[[str], None] = lambda text: None


class Balancer(nn.Module):
    """A balancing method's state and its two places in a training step.

    The training step of :class:`~polymodal.training.module.ClassificationModule` with a balancer
    encodes the batch, fuses and predicts as ``model.head(model.fuse(embeddings))`` (the
    training-time forward of every fusion model), then calls :meth:`training_loss`; after the
    backward pass it calls :meth:`after_backward`. Parameters a method adds (unimodal heads) are
    submodules, trained by the same optimizer and stored in checkpoints apart from the model.
    """

    def __init__(self) -> None:
        super().__init__()
        self._epoch: dict[str, list[float]] = defaultdict(list)

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        """The loss to minimise, from the fused prediction's ``loss`` (a scalar).

        Args:
            model: the :class:`~polymodal.models.multimodal.MultimodalModel`.
            inputs: ``{m: (B, *shape_m)}`` the batch.
            embeddings: ``{m: (B, *e_m)}`` this step's embeddings.
            logits: ``(B, C)`` the fused prediction.
            labels: ``(B,)``.
            loss: cross-entropy of ``logits``.
            epoch: the current epoch, from 0.
            index: ``(B,)`` the examples' indices in the data set.
        """
        return loss

    @property
    def fused_weight(self) -> float:
        """The weight the method gives the fused prediction's loss; the model's own auxiliary loss
        (e.g. dynamic fusion's resource penalty) is part of that objective and gets the same
        weight, so a method that shrinks the fused loss does not let the auxiliary loss dominate."""
        return 1.0

    def before_epoch(self, model: nn.Module, epoch: int, run: TrainingRun) -> None:
        """Called at the start of every training epoch, before its first step (e.g. Gradient
        Blending estimates its weights here)."""

    def after_backward(self, model: nn.Module, epoch: int) -> None:
        """Change the gradients (``p.grad``) before the optimizer steps."""

    def finish_epoch(self, epoch: int) -> None:
        """Called at the end of every training epoch, before :meth:`epoch_metrics`."""

    def random_generators(self) -> dict[str, torch.Generator]:
        """``{name: generator}`` the method draws from (none by default), saved in checkpoints so
        that a resumed run draws as the uninterrupted one
        (:class:`~polymodal.training.random_state.RandomStateCheckpoint`)."""
        return {}

    def record(self, name: str, value: float) -> None:
        """Keep a value whose epoch mean :meth:`epoch_metrics` reports (e.g. a modality's coefficient)."""
        self._epoch[name].append(float(value))

    def epoch_metrics(self) -> dict[str, float]:
        """``{name: mean}`` of the values recorded since the last call, e.g. ``balance_coef_audio``."""
        out = {f"balance_{k}": sum(v) / len(v) for k, v in self._epoch.items() if v}
        self._epoch.clear()
        return out


def encoder_weights(model: nn.Module, modality: str) -> list[nn.Parameter]:
    """The weight tensors (no biases, no normalisation scales) of ``modality``'s encoder."""
    return [p for p in model.encoders[modality].parameters() if p.dim() > 1]


@contextmanager
def evaluating(*modules: nn.Module) -> Iterator[None]:
    """Run ``modules`` in eval mode (no dropout, normalisation by running statistics) and without
    gradients, then restore their modes: a method's extra passes (coalitions, per-modality parts)
    measure the model and neither draw dropout nor update normalisation statistics."""
    modes = [[m.training for m in module.modules()] for module in modules]
    for module in modules:
        module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, mode in zip(modules, modes):
            for m, training in zip(module.modules(), mode):
                m.training = training
