"""One linear classifier per modality on its embedding: the unimodal heads that Gradient
Blending, MMPareto and warm starting train beside the fused head."""

from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import nn


def pooled(embedding: torch.Tensor) -> torch.Tensor:
    """``(B, d) -> (B, d)``; tokens ``(B, L, d) -> (B, d)`` by their mean; other shapes flattened."""
    return embedding.mean(dim=1) if embedding.dim() == 3 else embedding.flatten(1)


def pooled_sizes(model: nn.Module) -> dict[str, int]:
    """``{m: size of modality m's pooled embedding}`` (see :func:`pooled`), from the model's
    embedding shapes (:func:`~polymodal.models.build.embedding_shapes`)."""
    from polymodal.models.build import embedding_shapes

    with torch.no_grad():
        shapes = embedding_shapes(model)
    return {m: s[-1] if len(s) == 2 else math.prod(s) for m, s in shapes.items()}


class UnimodalHeads(nn.Module):
    """``{m: (B, *e_m)} -> {m: (B, C)}``, a linear classifier on each modality's pooled embedding.

    Args:
        sizes: ``{m: pooled embedding size}``.
        num_classes: ``C``.
    """

    def __init__(self, sizes: Mapping[str, int], num_classes: int) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({m: nn.Linear(d, num_classes) for m, d in sizes.items()})

    @classmethod
    def for_model(cls, model: nn.Module, num_classes: int) -> "UnimodalHeads":
        """Heads sized from the model's embeddings (:func:`pooled_sizes`)."""
        return cls(pooled_sizes(model), num_classes)

    def forward(self, embeddings: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {m: head(pooled(embeddings[m])) for m, head in self.heads.items()}
