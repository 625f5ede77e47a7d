"""Modality-shifting fusion: the Multimodal Adaptation Gate displaces a primary modality."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.data.padded import Padded
from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion.base import Fusion


class ModalityShiftingFusion(Fusion):
    """Multimodal Adaptation Gate (Rahman et al., "Integrating Multimodal Information in Large
    Pretrained Transformers", ACL 2020):

    ``g_m = ReLU(W_gm [z; x_m] + b_gm)``, ``H = sum_{m != p} g_m * (W_m x_m) + b_H``,
    ``alpha = min(beta ||z||_2 / ||H||_2, 1)``, ``z' = z + alpha H``,

    where ``z = x_p`` is the primary modality and the norms are per example (per position for
    sequences). The displacement H never outweighs the primary features by more than the factor
    ``beta``; where ``||H|| = 0``, ``alpha H = 0`` and the gradient stays finite (the norm is
    clamped at ``eps``). ``beta = 0`` returns ``z`` unchanged. MAG then applies layer
    normalisation, here optional (``layer_norm=True``).
    Parameters: ``sum_{m != p} ((d_p + d_m + 1) d_p + d_m d_p) + d_p`` (+ ``2 d_p`` with layer norm).

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        primary: the shifted modality (default: the first); the output has its size ``d_p``.
        beta: the bound ``beta >= 0`` on ``||alpha H|| / ||z||``.
        layer_norm: normalise ``z'`` as MAG does.
        eps: floor of ``||H||``.

    Shapes:
        inputs ``{name: (B, d_m)}`` or aligned sequences ``{name: (B, T, d_m)}`` (one T) ->
        ``(B, d_p)`` or ``(B, T, d_p)``; aligned :class:`~polymodal.data.padded.Padded` sequences
        (the same lengths) -> a :class:`Padded` with zeros at the padding.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], primary: str | None = None, beta: float = 1.0,
                 layer_norm: bool = False, eps: float = 1e-6) -> None:
        super().__init__(input_dims)
        self.primary = primary if primary is not None else next(iter(self.input_dims))
        if self.primary not in self.input_dims:
            raise ConfigError(f"primary {self.primary!r} is not a modality; choose from {list(self.input_dims)}")
        if not beta >= 0:
            raise ConfigError(f"beta must be >= 0, got {beta!r}")
        self.beta, self.eps = float(beta), eps
        dp = self.input_dims[self.primary]
        self.output_dim = dp
        others = {m: d for m, d in self.input_dims.items() if m != self.primary}
        self.gates = nn.ModuleDict({m: nn.Linear(dp + d, dp) for m, d in others.items()})
        self.shifts = nn.ModuleDict({m: nn.Linear(d, dp, bias=False) for m, d in others.items()})
        self.shift_bias = nn.Parameter(torch.zeros(dp))
        self.norm = nn.LayerNorm(dp) if layer_norm else nn.Identity()

    def fuse(self, inputs: dict[str, torch.Tensor | Padded]) -> torch.Tensor | Padded:
        if any(isinstance(x, Padded) for x in inputs.values()):
            return self._fuse_padded(inputs)
        z = inputs[self.primary]
        for m, x in inputs.items():
            if x.shape[:-1] != z.shape[:-1]:
                raise ShapeError(
                    f"modality {m!r} has shape {tuple(x.shape)}; modality shifting needs every modality "
                    f"aligned with the primary {self.primary!r}, i.e. of shape {tuple(z.shape[:-1])} + (d,)"
                )
        h = self.shift_bias
        for m, shift in self.shifts.items():
            x = inputs[m]
            h = h + torch.relu(self.gates[m](torch.cat([z, x], dim=-1))) * shift(x)
        h_norm = h.pow(2).sum(-1, keepdim=True).clamp_min(self.eps**2).sqrt()
        alpha = (self.beta * z.norm(dim=-1, keepdim=True) / h_norm).clamp(max=1.0)
        return self.norm(z + alpha * h)

    def _fuse_padded(self, inputs: dict[str, torch.Tensor | Padded]) -> Padded:
        """Aligned padded sequences: the shift step by step, the padding of the output zeroed."""
        lengths = {m: x.lengths for m, x in inputs.items() if isinstance(x, Padded)}
        if len(lengths) != len(inputs) or any(not torch.equal(v, lengths[self.primary]) for v in lengths.values()):
            raise ShapeError("modality shifting on sequences needs every modality padded and aligned with the primary "
                             f"{self.primary!r}: the same lengths in every example")
        z = self.fuse({m: x.values for m, x in inputs.items()})
        primary = inputs[self.primary]
        return Padded(z * primary.mask.unsqueeze(-1).to(z.dtype), primary.lengths)
