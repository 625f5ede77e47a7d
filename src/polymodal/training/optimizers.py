"""The optimizer and learning-rate schedule a :class:`~polymodal.training.config.TrainConfig` names."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import torch

from polymodal.errors import ConfigError

if TYPE_CHECKING:
    from polymodal.training.config import TrainConfig


def make_optimizer(name: str, parameters: Iterable[torch.nn.Parameter], lr: float, weight_decay: float,
                   momentum: float = 0.9) -> torch.optim.Optimizer:
    """``adam`` (L2 weight decay in the gradient), ``adamw`` (decoupled weight decay, Loshchilov and
    Hutter, ICLR 2019) or ``sgd`` (heavy-ball ``momentum``; 0 for plain SGD).

    Raises:
        ValueError: an unknown name (:class:`TrainConfig` checks it before).
    """
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay, momentum=momentum)
    raise ValueError(f"optimizer: {name!r} is unknown; choose from adam, adamw, sgd")


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    """The learning rate of epoch ``epoch`` (0-based) as a fraction of the base rate.

    ``constant``: 1. ``cosine``: cosine annealing to 0 over the run without restarts (Loshchilov
    and Hutter, "SGDR", ICLR 2017), :math:`\\tfrac12 (1 + \\cos(\\pi e / E))` for epoch ``e`` of ``E``,
    so the first epoch runs at the base rate and the last at :math:`\\tfrac12(1 + \\cos(\\pi (E-1)/E))`.

    Raises:
        ValueError: an unknown schedule (:class:`TrainConfig` checks it before).
    """
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(epoch, epochs) / epochs))
    raise ValueError(f"lr_schedule: {schedule!r} is unknown; choose from constant, cosine")


def configure_optimization(hparams: Mapping[str, Any], parameters: Iterable[torch.nn.Parameter]) -> Any:
    """What a LightningModule's ``configure_optimizers`` returns for its saved hyperparameters:
    the optimizer (``optimizer``, ``lr``, ``weight_decay``, ``momentum``), with a per-epoch
    learning-rate scheduler when ``lr_schedule`` is not ``constant`` (``epochs``: the run's length).
    Hyperparameters missing from an older checkpoint take :class:`TrainConfig`'s old behaviour
    (Adam, constant rate)."""
    optimizer = make_optimizer(hparams.get("optimizer", "adam"), parameters, hparams["lr"], hparams["weight_decay"],
                               hparams.get("momentum", 0.9))
    schedule, epochs = hparams.get("lr_schedule", "constant"), hparams.get("epochs")
    if schedule == "constant":
        return optimizer
    if epochs is None or int(epochs) < 1:
        raise ConfigError(f"lr_schedule {schedule!r} anneals over the run: give the module epochs (at least 1), got {epochs!r}")
    epochs = int(epochs)
    lr_factor(schedule, 0, epochs)  # an unknown name fails here, not at the first epoch's end
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: lr_factor(schedule, epoch, epochs))
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}


def optimizer_at_epoch(hparams: Mapping[str, Any], parameters: Iterable[torch.nn.Parameter],
                       epoch: int) -> torch.optim.Optimizer:
    """A fresh optimizer of the kind and settings :func:`configure_optimization` makes, at the
    learning rate its schedule gives epoch ``epoch`` (0-based), held constant: what a balancing
    method trains its own copies with (Gradient Blending's estimation)."""
    schedule, epochs = hparams.get("lr_schedule", "constant"), hparams.get("epochs")
    factor = 1.0 if schedule == "constant" else lr_factor(schedule, epoch, int(epochs))
    return make_optimizer(hparams.get("optimizer", "adam"), parameters, hparams["lr"] * factor, hparams["weight_decay"],
                          hparams.get("momentum", 0.9))


def optimization_settings(config: TrainConfig) -> dict[str, Any]:
    """The fields of a :class:`TrainConfig` a training module saves to build its optimizer and schedule."""
    return {name: getattr(config, name) for name in ("lr", "weight_decay", "optimizer", "momentum", "lr_schedule", "epochs")}
