"""Bilinear fusion: a bilinear form per output unit, for every pair of modalities."""

from __future__ import annotations

from itertools import combinations
from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion


class BilinearFusion(Fusion):
    """Bilinear fusion ``z_k = x_A^T W_k x_B + b_k``.

    For two modalities this is the bilinear model of Tenenbaum and Freeman (2000) as used for
    multimodal pooling; for ``M > 2`` modalities the pairwise terms are summed,
    ``z_k = sum_{i<j} x_i^T W^{(ij)}_k x_j + b_k``. Parameters:
    ``output_dim * (sum_{i<j} d_i d_j + 1)``. It models only second-order (pairwise)
    interactions and no unimodal term.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int) -> None:
        super().__init__(input_dims, output_dim)
        self.pairs = list(combinations(self.input_dims, 2))
        self.forms = nn.ModuleList(
            nn.Bilinear(self.input_dims[a], self.input_dims[b], output_dim, bias=False) for a, b in self.pairs
        )
        self.bias = nn.Parameter(torch.zeros(output_dim))

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(form(inputs[a], inputs[b]) for (a, b), form in zip(self.pairs, self.forms)) + self.bias
