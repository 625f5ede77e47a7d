"""Generative-discriminative fission: the factorized multimodal model (Tsai et al., ICLR 2019).

The representation is factorized into one *discriminative* factor shared by all modalities and
one *generative* factor per modality:

    F_y = MLP_y([e_1; ...; e_M])      (shared, predicts the label)
    F_m = MLP_m(e_m)                  (one per modality)
    x_hat_m = D_m([F_y; F_m])         (each modality reconstructed from the shared and its own factor)

    L = CE(head(F_y), y) + lambda_rec * sum_m MSE(x_hat_m, x_m) + lambda_prior * (MMD^2(F_y, N(0, I)) + sum_m MMD^2(F_m, N(0, I)))

with ``e_m`` the encoder embeddings and the MMD of :mod:`polymodal.fission.mmd` (Gaussian kernel,
bandwidth ``sqrt(dim)``). The classification term is the training pipeline's; this model adds the
other two through :meth:`FactorizedMultimodalModel.auxiliary_loss`.
"""

from __future__ import annotations

import math
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polymodal.fission.mmd import mmd_to_standard_normal
from polymodal.fusion.base import Fusion
from polymodal.models.missing import Presence
from polymodal.models.multimodal import MultimodalModel

SHARED = "shared"


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class FactorizedFusion(Fusion):
    """``{m: (B, d_m)} -> (B, shared_dim)`` the discriminative factor; :meth:`factors` gives all of them.

    Args:
        input_dims: ``{modality: d_m}``.
        shared_dim: size of ``F_y``.
        private_dim: size of each ``F_m``.
        hidden_dim: hidden width of the factor networks.
    """

    min_modalities = 2

    def __init__(self, input_dims: dict[str, int], shared_dim: int, private_dim: int, hidden_dim: int = 64) -> None:
        super().__init__(input_dims, shared_dim)
        self.shared = _mlp(sum(self.input_dims.values()), hidden_dim, shared_dim)
        self.private = nn.ModuleDict({m: _mlp(d, hidden_dim, private_dim) for m, d in self.input_dims.items()})
        self.private_dim = private_dim

    def fuse(self, inputs: dict[str, Tensor]) -> Tensor:
        return self.shared(torch.cat([inputs[m] for m in self.input_dims], dim=-1))

    def factors(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``{"shared": (B, shared_dim), m: (B, private_dim) for every modality}``."""
        x = self.check_inputs(inputs)
        return {SHARED: self.fuse(x), **{m: net(x[m]) for m, net in self.private.items()}}


class FactorizedMultimodalModel(MultimodalModel):
    """Encoders, :class:`FactorizedFusion`, a head on the shared factor, and one decoder per modality.

    Args:
        encoders: ``{m: (B, *shape_m) -> (B, d_m)}``.
        fusion: the factor networks.
        head: ``(B, shared_dim) -> (B, num_classes)``.
        shapes: ``{m: shape_m}`` of the raw inputs the decoders reconstruct.
        hidden_dim: decoder hidden width.
        reconstruction_weight: ``lambda_rec``.
        prior_weight: ``lambda_prior``.
    """

    fusion: FactorizedFusion

    def __init__(self, encoders: Mapping[str, nn.Module], fusion: FactorizedFusion, head: nn.Module,
                 shapes: Mapping[str, tuple[int, ...]], hidden_dim: int = 64, reconstruction_weight: float = 1.0,
                 prior_weight: float = 1.0) -> None:
        super().__init__(encoders, fusion, head)
        code = fusion.output_dim + fusion.private_dim
        self.shapes = {m: tuple(s) for m, s in shapes.items()}
        self.decoders = nn.ModuleDict({m: _mlp(code, hidden_dim, math.prod(s)) for m, s in self.shapes.items()})
        self.reconstruction_weight, self.prior_weight = reconstruction_weight, prior_weight
        self._aux: Tensor | None = None

    def factors(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """All factors of raw inputs: ``{"shared": (B, shared_dim), m: (B, private_dim)}``."""
        return self.fusion.factors(self.encode(inputs))

    def reconstruct(self, factors: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``x_hat_m = D_m([F_y; F_m])``: ``{m: (B, *shape_m)}``."""
        shared = factors[SHARED]
        return {m: dec(torch.cat([shared, factors[m]], dim=-1)).view(len(shared), *self.shapes[m])
                for m, dec in self.decoders.items()}

    def forward(self, inputs: Mapping[str, Tensor], presence: Presence | None = None) -> Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)``; in training also computes the auxiliary terms.

        With ``presence`` (missing modalities), the absent embeddings are filled by its strategy;
        the reconstruction term then needs every input key (masks, not absent keys)."""
        encoded = self.encode(inputs, presence)
        factors = self.fusion.factors(encoded)
        if self.training:
            rec = self.reconstruct(factors)
            reconstruction = sum(F.mse_loss(rec[m], inputs[m]) for m in self.decoders)
            prior = sum(mmd_to_standard_normal(z) for z in factors.values()) if len(inputs[self.modalities[0]]) > 1 else 0.0
            self._aux = self.reconstruction_weight * reconstruction + self.prior_weight * prior
        else:
            self._aux = None
        return self.head(factors[SHARED])

    def auxiliary_loss(self) -> Tensor | None:
        """``lambda_rec * reconstruction + lambda_prior * MMD`` of the last training forward pass."""
        return self._aux
