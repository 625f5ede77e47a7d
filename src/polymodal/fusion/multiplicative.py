"""Multiplicative (element-wise) fusion."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion


class MultiplicativeFusion(Fusion):
    """Element-wise multiplicative fusion ``z = prod_m (W_m x_m + b_m)``.

    Each modality is mapped to ``output_dim`` by its own affine map; the maps are multiplied
    element-wise, so every output unit is a product of one unit per modality (an M-way
    multiplicative interaction). Parameters: ``output_dim * sum_m (d_m + 1)``.

    The biases ``b_m`` start at 1 (as FiLM starts its scales at 1), so that at the start
    ``z = prod_m (1 + W_m x_m)`` is close to ``1 + sum_m W_m x_m``: the gradient of each factor
    is scaled by the others, and with biases at 0 a modality that is not yet informative
    would suppress the signal of every other one. On AV-MNIST, biases at 0 trained to 62.3%
    test accuracy, below the image-only baseline.
    See Liang et al., "Foundations and Trends in Multimodal Machine Learning" (2022), Sec. 3.1.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2
    supports_drop = True

    def __init__(self, input_dims: Mapping[str, int], output_dim: int) -> None:
        super().__init__(input_dims, output_dim)
        self.maps = nn.ModuleDict({m: nn.Linear(d, output_dim) for m, d in self.input_dims.items()})
        for layer in self.maps.values():
            nn.init.ones_(layer.bias)

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        z = None
        for m, x in inputs.items():
            h = self.maps[m](x)
            z = h if z is None else z * h
        return z

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """``z = prod_{m present} (W_m x_m + b_m)``: an absent modality's factor is 1."""
        z = None
        for m, x in inputs.items():
            h = torch.where(masks[m].unsqueeze(-1), self.maps[m](x), torch.ones((), dtype=x.dtype, device=x.device))
            z = h if z is None else z * h
        return z
