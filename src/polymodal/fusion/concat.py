"""Early fusion: concatenate the modality features, optionally project."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion


class ConcatFusion(Fusion):
    """Early fusion by concatenation: ``z = [x_1; ...; x_M]``, or ``z = W [x_1; ...; x_M] + b``.

    With one modality it is the identity, which is how unimodal baselines share the model code.

    Args:
        input_dims: ``{name: d_m}``.
        output_dim: if given, a linear layer maps the ``sum(d_m)`` features to this size.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim or sum(d_m))``.
    """

    decomposable = True

    def __init__(self, input_dims: Mapping[str, int], output_dim: int | None = None) -> None:
        super().__init__(input_dims, output_dim)
        total = sum(self.input_dims.values())
        self.projection = nn.Linear(total, output_dim) if output_dim is not None else None
        self.output_dim = output_dim if output_dim is not None else total

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        z = torch.cat(list(inputs.values()), dim=-1)
        return self.projection(z) if self.projection is not None else z
