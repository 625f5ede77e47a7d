"""Concatenation plus cross-modal pair layers shared within groups of pairs (HighMMT's cross-modal sharing)."""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import nn

from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion


class GroupedPairFusion(Fusion):
    """``z = [x_1; ...; x_M; g_1; ...; g_K]`` with one cross-modal layer per group of modality pairs.

    For group k of pairs, ``g_k = mean_{(i, j) in group k} ReLU(W_k [x_i + x_j; x_i * x_j] + b_k)``:
    the pairs of a group share the layer (its input is symmetric in i and j and holds their
    element-wise interaction). Without groups it is early fusion, ``z = [x_1; ...; x_M]``.

    Args:
        input_dims: ``{name: d}``, one size d for all modalities when there are pair groups.
        pair_groups: groups of pairs, each pair a 2-sequence of modality names.
        hidden_dim: size of each ``g_k``.

    Shapes:
        inputs ``{name: (B, d)}`` -> ``(B, M d + K hidden_dim)``.
    """

    def __init__(self, input_dims: Mapping[str, int], pair_groups: Sequence[Sequence[Sequence[str]]] = (),
                 hidden_dim: int = 64) -> None:
        super().__init__(input_dims)
        self.pair_groups = [[tuple(p) for p in g] for g in pair_groups]
        sizes = set(self.input_dims.values())
        if self.pair_groups and len(sizes) != 1:
            raise ConfigError(f"pair_groups need one embedding size for every modality, got {self.input_dims}")
        for group in self.pair_groups:
            for pair in group:
                if len(pair) != 2 or pair[0] == pair[1] or any(m not in self.input_dims for m in pair):
                    raise ConfigError(f"pair_groups: {list(pair)} is not a pair of two modalities of {list(self.input_dims)}")
        d = next(iter(sizes))
        self.layers = nn.ModuleList(nn.Linear(2 * d, hidden_dim) for _ in self.pair_groups)
        self.output_dim = sum(self.input_dims.values()) + hidden_dim * len(self.pair_groups)

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        parts = list(inputs.values())
        for layer, group in zip(self.layers, self.pair_groups):
            outs = [torch.relu(layer(torch.cat([inputs[i] + inputs[j], inputs[i] * inputs[j]], -1))) for i, j in group]
            parts.append(torch.stack(outs).mean(0))
        return torch.cat(parts, dim=-1)
