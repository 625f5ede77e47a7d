"""The multimodal autoencoder: a fused representation trained to reconstruct every modality.

    z = fusion({m: encoder_m(x_m)}),   x_hat_m = D_m(z),
    L = CE(head(z), y) + lambda * sum_m MSE(x_hat_m, x_m)

(Ngiam et al., "Multimodal Deep Learning", ICML 2011, with a fused rather than a shared-layer
code). As a fusion method it trains with both terms; as pretraining, set ``classification_weight``
to 0 for a first run on unlabelled data (:func:`polymodal.fission.pretrain.pretrain_autoencoder`)
and fine-tune from its weights.
"""

from __future__ import annotations

import math
from typing import Mapping

import torch.nn.functional as F
from torch import Tensor, nn

from polymodal.fusion.base import Fusion
from polymodal.models.missing import Presence
from polymodal.models.multimodal import MultimodalModel


class MultimodalAutoencoder(MultimodalModel):
    """Encoders, any vector fusion, a head on the fused code, and a decoder per modality from it.

    Args:
        encoders, fusion, head: as :class:`MultimodalModel`; ``fusion.output_dim`` is the code size.
        shapes: ``{m: shape_m}`` of the raw inputs.
        hidden_dim: decoder hidden width.
        reconstruction_weight: ``lambda``.
    """

    def __init__(self, encoders: Mapping[str, nn.Module], fusion: Fusion, head: nn.Module,
                 shapes: Mapping[str, tuple[int, ...]], hidden_dim: int = 64, reconstruction_weight: float = 1.0) -> None:
        super().__init__(encoders, fusion, head)
        self.shapes = {m: tuple(s) for m, s in shapes.items()}
        self.decoders = nn.ModuleDict({
            m: nn.Sequential(nn.Linear(fusion.output_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, math.prod(s)))
            for m, s in self.shapes.items()
        })
        self.reconstruction_weight = reconstruction_weight
        self._aux: Tensor | None = None

    def code(self, inputs: Mapping[str, Tensor], presence: Presence | None = None) -> Tensor:
        """The shared code ``z = fusion(encoders(x))``: ``(B, fusion.output_dim)`` (absent modalities filled by ``presence``)."""
        embeddings, masks = self.encode_with_masks(inputs, presence)
        return self.fuse(embeddings, masks, presence.strategy if presence else None)

    def reconstruct(self, z: Tensor) -> dict[str, Tensor]:
        """``{m: (B, *shape_m)}`` decoded from ``z``."""
        return {m: dec(z).view(len(z), *self.shapes[m]) for m, dec in self.decoders.items()}

    def reconstruction_loss(self, inputs: Mapping[str, Tensor], z: Tensor | None = None) -> Tensor:
        """``sum_m MSE(x_hat_m, x_m)`` for a batch."""
        rec = self.reconstruct(self.code(inputs) if z is None else z)
        return sum(F.mse_loss(rec[m], inputs[m]) for m in self.decoders)

    def forward(self, inputs: Mapping[str, Tensor], presence: Presence | None = None) -> Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)``; in training also the reconstruction term."""
        z = self.code(inputs, presence)
        self._aux = self.reconstruction_weight * self.reconstruction_loss(inputs, z) if self.training else None
        return self.head(z)

    def auxiliary_loss(self) -> Tensor | None:
        """``lambda * reconstruction`` of the last training forward pass."""
        return self._aux
