"""Nonlinear fusion: concatenate, then let an MLP learn the interactions."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.checks import positive_int
from polymodal.fusion.base import Fusion


class NonlinearFusion(Fusion):
    """Nonlinear fusion: ``z = MLP([x_1; ...; x_M])``.

    Concatenation is the earliest point at which vector features meet; the MLP (``layers``
    linear layers with ReLU between them, none after the last) can then represent any
    interaction given enough width (Liang et al., "Foundations and Trends in Multimodal
    Machine Learning", 2022, Sec. 3.1). With ``layers=1`` it is additive fusion.
    Parameters: ``(sum(d_m) + 1) h + (layers - 2) (h + 1) h + (h + 1) output_dim`` for
    ``layers >= 2`` and hidden size ``h``.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.
        hidden_dim: hidden size ``h`` (default ``output_dim``).
        layers: number of linear layers, at least 1.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, hidden_dim: int | None = None,
                 layers: int = 2) -> None:
        super().__init__(input_dims, output_dim)
        layers = positive_int(layers, "layers")
        hidden = hidden_dim or output_dim
        sizes = [sum(self.input_dims.values())] + [hidden] * (layers - 1) + [output_dim]
        modules: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            modules += [nn.Linear(a, b)] + ([nn.ReLU()] if i < layers - 1 else [])
        self.mlp = nn.Sequential(*modules)

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.mlp(torch.cat(list(inputs.values()), dim=-1))
