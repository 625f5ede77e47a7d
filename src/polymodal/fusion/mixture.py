"""Mixture of fusions: several fusion modules side by side, weighed per example by a gate."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion
from polymodal.fusion.gates import check_gate, gate_weights


class MixtureOfFusions(Fusion):
    """Mixture of fusion experts: ``z = sum_k g_k(x) F_k(x)`` with
    ``g = gate(W_g [x_1; ...; x_M] + b_g)`` over the K experts ``F_k`` (a mixture of experts,
    Jacobs et al. 1991, whose experts are fusions).

    ``gate="softmax"`` blends the experts; ``gate="hard"`` picks one per example
    (straight-through Gumbel-softmax in training, argmax in evaluation; see
    :func:`~polymodal.fusion.gates.gate_weights`). :meth:`forward_with_gates` returns the gate
    weights with the output, and :attr:`last_gates` keeps the last ones, so one can see which
    fusion each example used.
    Parameters: the experts' plus ``(sum(d_m) + 1) K``.

    Args:
        input_dims: ``{name: d_m}``.
        experts: ``{expert name: fusion}``, at least two, all over ``input_dims`` and with one
            ``output_dim``.
        gate: ``"softmax"`` or ``"hard"``.
        temperature: gate temperature ``T > 0``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``; gates ``(B, K)``.
    """

    def __init__(self, input_dims: Mapping[str, int], experts: Mapping[str, Fusion], gate: str = "softmax",
                 temperature: float = 1.0) -> None:
        super().__init__(input_dims)
        check_gate(gate, temperature)
        if gate == "sigmoid":
            raise ConfigError("gate must be 'softmax' or 'hard' for a mixture (its weights must sum to 1)")
        if len(experts) < 2:
            raise ConfigError(f"experts: a mixture needs at least two fusions, got {list(experts)}")
        sizes = {name: f.output_dim for name, f in experts.items()}
        if len(set(sizes.values())) != 1 or any(f.outputs_logits for f in experts.values()):
            raise ConfigError(f"experts must share one output size and output features, not logits; got {sizes}")
        for name, f in experts.items():
            if f.input_dims != self.input_dims:
                raise ConfigError(f"expert {name!r} reads {f.input_dims}, the mixture {self.input_dims}")
        self.experts = nn.ModuleDict(dict(experts))
        self.output_dim = next(iter(sizes.values()))
        self.gate, self.temperature = gate, temperature
        self.gate_scores = nn.Linear(sum(self.input_dims.values()), len(experts))
        self.last_gates: torch.Tensor | None = None

    @property
    def supports_drop(self) -> bool:  # type: ignore[override]
        """A mixture can leave a modality out when at least one of its experts can."""
        return any(e.supports_drop for e in self.experts.values())

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """An example missing a modality is fused by the experts that can leave it out, each on the
        modalities present, with the gate renormalised over those experts (the others' scores are
        ``-inf``); a complete example is fused as by :meth:`fuse`."""
        able = torch.tensor([e.supports_drop for e in self.experts.values()], device=next(iter(inputs.values())).device)
        if not bool(able.any()):
            return super().fuse_present(inputs, masks)
        complete = torch.stack([masks[m] for m in inputs]).all(0)  # (B,)
        scores = self.gate_scores(torch.cat(list(inputs.values()), dim=-1))
        scores = scores.masked_fill(~able[None, :] & ~complete[:, None], float("-inf"))
        g = gate_weights(scores, self.gate, self.temperature, training=self.training)
        outputs = torch.stack([e.fuse_present(inputs, masks) if e.supports_drop else e.fuse(inputs)
                               for e in self.experts.values()], dim=-1)  # (B, o, K); unable experts weigh 0 where incomplete
        outputs = torch.where((able[None, :] | complete[:, None]).unsqueeze(1), outputs, torch.zeros((), device=outputs.device))
        self.last_gates = g.detach()
        return (outputs * g.unsqueeze(-2)).sum(-1)

    def forward_with_gates(self, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, g)``: the fused ``(B, output_dim)`` and the gate weights ``(B, K)``, experts in order."""
        return self._mix(self.check_inputs(inputs))

    def _mix(self, x: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        g = gate_weights(self.gate_scores(torch.cat(list(x.values()), dim=-1)), self.gate, self.temperature,
                         training=self.training)
        outputs = torch.stack([expert.fuse(x) for expert in self.experts.values()], dim=-1)  # (B, o, K)
        self.last_gates = g.detach()
        return (outputs * g.unsqueeze(-2)).sum(-1), g

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return self._mix(inputs)[0]
