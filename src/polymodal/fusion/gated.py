"""Gated fusion: per-modality gates, computed from all modalities, weigh per-modality features."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion
from polymodal.fusion.gates import check_gate, gate_weights


class GatedFusion(Fusion):
    """Gated fusion: ``z = sum_m g_m(x_1, ..., x_M) * h_m(x_m)``, with ``h_m = tanh(W_m x_m + c_m)``
    and gates ``g = gate(W_g [x_1; ...; x_M] + c_g)`` of shape ``(B, M, output_dim)``: one gate
    per modality and output unit.

    With two modalities and ``gate="softmax"`` this is the Gated Multimodal Unit (Arevalo et al.,
    "Gated Multimodal Units for Information Fusion", ICLR workshop 2017): a softmax over two
    scores is ``sigmoid(s_1 - s_2)`` and its complement, GMU's ``z * h_1 + (1 - z) * h_2``.
    ``"sigmoid"`` gates each modality independently; ``"hard"`` picks one modality per output
    unit with the straight-through Gumbel-softmax while training and the argmax at evaluation
    (see :func:`~polymodal.fusion.gates.gate_weights`). The last gates are kept in
    :attr:`last_gates` for inspection.
    Parameters: ``sum_m (d_m + 1) output_dim + (sum_m d_m + 1) M output_dim``.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.
        gate: ``"softmax"``, ``"sigmoid"`` or ``"hard"``.
        temperature: gate temperature ``T > 0``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``; :attr:`last_gates` ``(B, M, output_dim)``.
    """

    min_modalities = 2
    supports_drop = True

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, gate: str = "softmax",
                 temperature: float = 1.0) -> None:
        super().__init__(input_dims, output_dim)
        check_gate(gate, temperature)
        self.gate, self.temperature = gate, temperature
        self.transforms = nn.ModuleDict({m: nn.Linear(d, output_dim) for m, d in self.input_dims.items()})
        self.gate_scores = nn.Linear(sum(self.input_dims.values()), len(self.input_dims) * output_dim)
        self.last_gates: torch.Tensor | None = None

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self._gated(inputs, None)

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Gates over the modalities present only: softmax and hard gates are renormalised over
        them (the absent modalities' scores are ``-inf``), sigmoid gates of absent modalities are 0."""
        return self._gated(inputs, torch.stack([masks[m] for m in inputs], dim=-1))

    def _gated(self, inputs: dict[str, torch.Tensor], present: torch.Tensor | None) -> torch.Tensor:
        h = torch.stack([torch.tanh(self.transforms[m](x)) for m, x in inputs.items()], dim=-2)  # (B, M, o)
        scores = self.gate_scores(torch.cat(list(inputs.values()), dim=-1)).unflatten(-1, h.shape[-2:])
        keep = None if present is None else present.unsqueeze(-1)  # (B, M, 1)
        if keep is not None and self.gate != "sigmoid":
            scores = scores.masked_fill(~keep, float("-inf"))
        g = gate_weights(scores, self.gate, self.temperature, dim=-2, training=self.training)
        if keep is not None and self.gate == "sigmoid":
            g = g * keep
        self.last_gates = g.detach()
        return (g * h).sum(dim=-2)
