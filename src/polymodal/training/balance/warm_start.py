"""Warm starting: each encoder first learns its modality alone, with a linear head of its own,
then the whole model trains jointly. A unimodal phase inside the one training loop: in epochs
``0..epochs-1`` the loss is ``sum_m CE(head_m(e_m), y)`` (the fusion and its head are not
trained), from epoch ``epochs`` on it is the fused loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.training.balance.base import Balancer
from polymodal.training.balance.unimodal_heads import UnimodalHeads


class WarmStartBalancer(Balancer):
    """Args: model, num_classes: size the heads; epochs: length of the unimodal phase (>= 1)."""

    def __init__(self, model: nn.Module, num_classes: int, epochs: int = 3) -> None:
        super().__init__()
        self.heads = UnimodalHeads.for_model(model, num_classes)
        self.epochs = epochs

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        if epoch >= self.epochs:
            return loss
        unimodal = {m: F.cross_entropy(o, labels) for m, o in self.heads(embeddings).items()}
        for m, term in unimodal.items():
            self.record(f"unimodal_loss_{m}", float(term.detach()))
        return sum(unimodal.values())
