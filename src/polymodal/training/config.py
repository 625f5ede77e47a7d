"""How a model is trained: :class:`TrainConfig`, a plain dataclass (no Lightning import).

The command line takes its defaults from here, so ``polymodal train``, ``bench`` and
``coordinate`` and the Python API share one set.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, get_args

from polymodal.errors import ConfigError

AugmentSchedule = Literal["constant", "linear"]
TrainStrategy = Literal["zero", "token", "drop", "impute"]
ImputeMode = Literal["joint", "after"]
OptimizerName = Literal["adam", "adamw", "sgd"]
OPTIMIZERS = get_args(OptimizerName)
LRSchedule = Literal["constant", "cosine"]
LR_SCHEDULES = get_args(LRSchedule)
AUGMENT_SCHEDULES = get_args(AugmentSchedule)
#: fields added to :class:`TrainConfig` after runs were recorded, with the behaviour such runs had
#: (a bench recorded without ``lr_schedule`` resumes as one with ``constant``)
BEFORE_TRAIN_FIELDS: dict[str, Any] = {"lr_schedule": "constant"}
TRAIN_STRATEGIES = get_args(TrainStrategy)
IMPUTE_MODES = get_args(ImputeMode)


@dataclass
class TrainConfig:
    """How to train.

    Attributes:
        epochs: maximum number of epochs.
        batch_size: samples per batch and process.
        optimizer: ``adam``, ``adamw`` (decoupled weight decay) or ``sgd`` (with ``momentum``).
        lr: learning rate.
        weight_decay: weight decay (an L2 term in the gradient for ``adam`` and ``sgd``, decoupled
            for ``adamw``).
        momentum: SGD momentum (``sgd`` only; 0 for plain SGD).
        lr_schedule: ``constant``, or ``cosine`` (annealed to 0 over ``epochs``, stepped once per
            epoch; :func:`~polymodal.training.optimizers.lr_factor`).
        grad_clip: clip the gradient's global L2 norm to this before every step; ``None`` for no clipping.
        patience: epochs without a better validation accuracy before stopping.
        seed: seed of weights, shuffling and dropout.
        accelerator, devices, strategy, num_nodes: passed to ``lightning.Trainer`` unchanged
            (e.g. ``devices=2, strategy="ddp"`` for data-parallel training).
        num_workers: data-loader worker processes.
        augment: noise added to the training batches, ``{modality: "PERTURBATION:LEVEL"}``
            (e.g. ``{"image": "gaussian:0.3"}``; see :mod:`polymodal.robustness.perturbations`).
        augment_schedule: ``constant`` (every epoch at the level) or ``linear`` (the level
            ramps up, ``level * epoch / epochs`` in epoch ``1..epochs``).
        modality_dropout: probability ``q`` that a modality is dropped from a training example
            (one modality always stays); the model learns to fill it by ``missing_strategy``.
        missing_strategy: the strategy applied to dropped modalities in training: ``zero``,
            ``token`` (a model with ``missing_token``), ``drop`` (a fusion that supports it) or
            ``impute`` (a model with an ``imputer``).
        impute: train the model's imputer ``joint`` (with the model, on detached embeddings) or
            ``after`` (on the frozen best model); ``None`` with a model without imputer.
        balance: a balanced multimodal learning method (:mod:`polymodal.training.balance`), or
            ``none`` for plain joint training.
        balance_options: the method's options (``polymodal.training.balance.methods.OPTIONS``).
    """

    epochs: int = 30
    batch_size: int = 64
    optimizer: OptimizerName = "adam"
    lr: float = 1e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    lr_schedule: LRSchedule = "constant"
    grad_clip: float | None = None
    patience: int = 8
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = 1
    strategy: str = "auto"
    num_nodes: int = 1
    num_workers: int = 0
    augment: dict[str, str] = field(default_factory=dict)
    augment_schedule: AugmentSchedule = "constant"
    modality_dropout: float = 0.0
    missing_strategy: TrainStrategy = "zero"
    impute: ImputeMode | None = None
    balance: str = "none"
    balance_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from polymodal.robustness.corrupt import parse_augment
        from polymodal.training.balance.choices import check_balance

        for name in _INTEGERS + _NUMBERS:
            value = getattr(self, name)
            kind = int if name in _INTEGERS else (int, float)
            if (value is not None or name not in _OPTIONAL) and (isinstance(value, bool) or not isinstance(value, kind)):
                raise ConfigError(f"{name}: {value!r} is not {'an integer' if kind is int else 'a number'}; "
                                  f"e.g. --option {name}={2 if kind is int else 0.5}")
        settings = check_balance(self.balance, self.balance_options)
        if self.balance == "warmstart" and settings["epochs"] >= self.epochs:
            raise ConfigError(f"--balance-option epochs={settings['epochs']}: warmstart's unimodal phase would take "
                              f"all {self.epochs} epochs and leave none for joint training; give fewer, or more --epochs")
        if self.balance != "none" and self.modality_dropout > 0:
            raise ConfigError(f"--balance {self.balance} and --modality-dropout {self.modality_dropout}: train with one "
                              "or the other")

        parse_augment(self.augment)
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"--optimizer: {self.optimizer!r} is unknown; choose from {', '.join(OPTIMIZERS)}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"--lr-schedule: {self.lr_schedule!r} is unknown; choose from {', '.join(LR_SCHEDULES)}")
        if not 0.0 <= self.momentum < 1.0:
            raise ConfigError(f"momentum: {self.momentum!r} must be in [0, 1)")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ConfigError(f"--grad-clip: {self.grad_clip!r} must be positive (omit it for no clipping)")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay: {self.weight_decay!r} must be non-negative")
        if self.augment_schedule not in AUGMENT_SCHEDULES:
            raise ConfigError(f"--augment-schedule: {self.augment_schedule!r} is unknown; choose from {', '.join(AUGMENT_SCHEDULES)}")
        if not 0.0 <= self.modality_dropout < 1.0:
            raise ConfigError(f"--modality-dropout: {self.modality_dropout!r} must be in [0, 1)")
        if self.missing_strategy not in TRAIN_STRATEGIES:
            raise ConfigError(f"--missing-strategy: {self.missing_strategy!r} cannot be trained; choose from "
                              f"{', '.join(TRAIN_STRATEGIES)} ('mean' needs no training: evaluate with it)")
        if self.impute not in (None, *IMPUTE_MODES):
            raise ConfigError(f"--imputer: {self.impute!r} is unknown; choose from {', '.join(IMPUTE_MODES)}")
        for name in ("epochs", "batch_size", "num_nodes"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if self.patience < 0 or self.num_workers < 0:
            raise ConfigError("patience and num_workers must be non-negative")
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"seed must be in [0, 2**32), got {self.seed}")


#: TrainConfig fields that hold a whole number, a number, and may be None
_INTEGERS = ("epochs", "batch_size", "patience", "seed", "num_nodes", "num_workers")
_NUMBERS = ("lr", "weight_decay", "momentum", "grad_clip", "modality_dropout")
_OPTIONAL = frozenset({"grad_clip"})


def train_defaults() -> dict[str, Any]:
    """``{field: default}`` of :class:`TrainConfig`, for the command line's help."""
    return {f.name: f.default for f in fields(TrainConfig)}
