"""The optimizer a :class:`~polymodal.training.config.TrainConfig` names."""

from __future__ import annotations

from typing import Iterable

import torch


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
