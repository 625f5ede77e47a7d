"""Gated coordination: each modality's representation is gated by both modalities.

    z_A = g_A(x_A, x_B) * f_A(x_A),   z_B = g_B(x_A, x_B) * f_B(x_B),
    g_m = sigmoid(W_m [e_A; e_B] + b_m),

with ``e_m`` the encoder embeddings and ``f_m`` the towers' projections; ``z_A`` and ``z_B`` are
then tied by any similarity (the coordinated gated representations of the multimodal
representation-learning lectures, after the gated multimodal unit of Arevalo et al. 2017).
Because each ``z_m`` depends on the other modality, it exists only for pairs: the model cannot
embed one modality alone.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor, nn

from polymodal.coordination.towers import Tower, TwoTowerModel
from polymodal.errors import ConfigError


class GatedCoordination(TwoTowerModel):
    """Two towers whose outputs are gated by both modalities: ``{m: (B, *shape_m)} -> {m: (B, out_dim)}``.

    Args:
        towers: ``{modality: Tower}``, exactly two.
        embed_dim: size of both encoders' embeddings (the gates read ``[e_A; e_B]``).
        out_dim: size of the representations.
        decoders, initial_temperature: as :class:`TwoTowerModel`.
    """

    def __init__(self, towers: Mapping[str, Tower], embed_dim: int, out_dim: int,
                 decoders: Mapping[str, nn.Module] | None = None, initial_temperature: float = 0.07) -> None:
        super().__init__(towers, decoders, initial_temperature)
        self.gates = nn.ModuleDict({m: nn.Linear(2 * embed_dim, out_dim) for m in self.towers})

    def gate_values(self, inputs: Mapping[str, Tensor]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """``(gates {m: (B, out_dim)} in (0, 1), ungated projections {m: (B, out_dim)})``."""
        self._check(inputs)
        e = {m: t.encoder(inputs[m]) for m, t in self.towers.items()}
        both = torch.cat([e[m] for m in self.towers], dim=1)
        gates = {m: torch.sigmoid(self.gates[m](both)) for m in self.towers}
        return gates, {m: t.projection(e[m]) for m, t in self.towers.items()}

    def forward(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``{m: (B, *shape_m)} -> {m: g_m * f_m (B, out_dim)}``."""
        gates, proj = self.gate_values(inputs)
        return {m: gates[m] * proj[m] for m in self.towers}

    def embed(self, modality: str, x: Tensor) -> Tensor:
        raise ConfigError("a gated coordination model embeds pairs only (each gate reads both modalities); use model(inputs)")

    @property
    def needs_both_modalities(self) -> bool:
        return True
