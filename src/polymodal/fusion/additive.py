"""Additive fusion: a sum of per-modality linear maps."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion


class AdditiveFusion(Fusion):
    """Additive fusion ``z = sum_m W_m x_m + b``.

    Each modality has its own weight ``W_m`` of shape ``(output_dim, d_m)``; one shared bias
    ``b``. Parameters: ``output_dim * (sum(d_m) + 1)``. It is early fusion followed by a linear
    layer written without forming the concatenation, and it models no interaction between
    modalities (see Liang et al., "Foundations and Trends in Multimodal Machine Learning", 2022).

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2
    supports_drop = True
    decomposable = True

    def __init__(self, input_dims: Mapping[str, int], output_dim: int) -> None:
        super().__init__(input_dims, output_dim)
        self.weights = nn.ModuleDict({m: nn.Linear(d, output_dim, bias=False) for m, d in self.input_dims.items()})
        self.bias = nn.Parameter(torch.zeros(output_dim))

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return sum(self.weights[m](x) for m, x in inputs.items()) + self.bias

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``z = sum_{m present} W_m x_m + b``."""
        return sum(self.weights[m](x) * masks[m].to(x.dtype).unsqueeze(-1) for m, x in inputs.items()) + self.bias
