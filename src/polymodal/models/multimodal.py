"""Encode each modality, fuse, predict."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.errors import ShapeError
from polymodal.fusion.base import Fusion


class MultimodalModel(nn.Module):
    """``head(fusion({m: encoder_m(x_m)}))``.

    A unimodal baseline is the same model with one encoder and an identity fusion.

    Args:
        encoders: ``{modality: module (B, *shape_m) -> (B, d_m)}``; the keys are the modalities.
        fusion: maps ``{modality: (B, d_m)}`` to ``(B, fusion.output_dim)``.
        head: maps ``(B, fusion.output_dim)`` to ``(B, num_classes)`` logits.
    """

    def __init__(self, encoders: Mapping[str, nn.Module], fusion: Fusion, head: nn.Module) -> None:
        super().__init__()
        self.encoders = nn.ModuleDict(dict(encoders))
        self.fusion = fusion
        self.head = head

    @property
    def modalities(self) -> list[str]:
        """Names of the modalities the model reads, in order."""
        return list(self.encoders)

    def check_present(self, inputs: Mapping[str, torch.Tensor]) -> None:
        """Raise :class:`ShapeError` naming the first modality the model reads that ``inputs`` lacks."""
        missing = [m for m in self.encoders if m not in inputs]
        if missing:
            raise ShapeError(f"modality {missing[0]!r} is missing from the inputs (got {sorted(inputs)}); the model reads {self.modalities}")

    def auxiliary_loss(self) -> torch.Tensor | None:
        """The fusion's extra training-loss term for the last forward pass (see :meth:`Fusion.auxiliary_loss`)."""
        return self.fusion.auxiliary_loss()

    def encode(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Embed every modality: ``{m: (B, *shape_m)} -> {m: (B, d_m)}``."""
        self.check_present(inputs)
        return {m: enc(inputs[m]) for m, enc in self.encoders.items()}

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)`` logits."""
        return self.head(self.fusion(self.encode(inputs)))
