"""Networks a balancing method trains on their own, beside the run: a modality's encoder with its
head (:class:`UnimodalNetwork`), the whole multimodal network (:class:`FusedNetwork`), one epoch
of such a network (:func:`train_epoch`), and the random state it draws from
(:func:`separate_randomness`). Gradient Blending trains copies of them to estimate its weights;
uni-modal teachers train their teachers this way."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.unimodal_heads import pooled
from polymodal.training.complexity import to_device

#: ``(B,) indices -> (B,) bool``: which examples are held out of training
HeldOut = Callable[[torch.Tensor], torch.Tensor]


class UnimodalNetwork(nn.Module):
    """Modality ``m``'s encoder and linear head on their own: ``{m: (B, *shape_m)} -> (B, C)``."""

    def __init__(self, modality: str, encoder: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.modality, self.encoder, self.head = modality, encoder, head

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.head(pooled(self.encoder(inputs[self.modality])))

    def auxiliary_loss(self) -> torch.Tensor | None:
        return None


class FusedNetwork(nn.Module):
    """The multimodal network as a balanced training step runs it: ``head(fuse(encode(x)))``, ``(B, C)``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.model.head(self.model.fuse(self.model.encode(inputs)))

    def auxiliary_loss(self) -> torch.Tensor | None:
        """The fusion's own loss term (e.g. dynamic fusion's resource penalty), part of its objective."""
        return self.model.auxiliary_loss()


def train_epoch(network: nn.Module, batches: Iterable[dict], held_out: HeldOut | None, optimizer: torch.optim.Optimizer,
                grad_clip: float | None, device: torch.device) -> float:
    """One epoch of ``network`` alone on the examples kept for training (held-out ones weigh
    nothing; ``held_out=None`` keeps every example), minimising the mean cross-entropy plus the
    network's auxiliary loss. Returns the epoch's mean training loss (over its steps)."""
    network.train()
    total, steps = 0.0, 0
    for batch in batches:
        batch = to_device(batch, device)
        kept = None if held_out is None else ~held_out(torch.as_tensor(batch["index"], device=batch["label"].device))
        if kept is not None and not kept.any():
            continue  # before the forward pass: a skipped batch draws no dropout, moves no batch norm
        per_example = F.cross_entropy(network(batch["inputs"]), batch["label"], reduction="none")
        loss = (per_example if kept is None else per_example[kept]).mean()
        extra = network.auxiliary_loss()
        if extra is not None:
            loss = loss + extra
        optimizer.zero_grad()
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(network.parameters(), grad_clip)
        optimizer.step()
        total, steps = total + float(loss.detach()), steps + 1
    return total / max(steps, 1)


@contextmanager
def separate_randomness(seed: int, device: torch.device) -> Iterator[None]:
    """Inside, the global PyTorch generator (dropout's) starts from ``seed``; after, it is where it
    was: a network trained here draws apart from the run, whose own draws go on as without it."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
