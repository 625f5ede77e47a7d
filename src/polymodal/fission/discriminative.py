"""Discriminative fission: one representation per modality plus one of all modalities together.

    z_m = MLP_m(e_m)  for every modality m,     z_AB = MLP_joint([e_1; ...; e_M]),
    output = [z_1; ...; z_M; z_AB],   a head predicts from the output,

so a model has M + 1 representations where fusion has one (the fission of the multimodal
representation-learning lectures, Liang et al. 2022, Sec. 5). Each can be read with
:meth:`DiscriminativeFission.representations` and probed on its own.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polymodal.fusion.base import Fusion

JOINT = "joint"


class DiscriminativeFission(Fusion):
    """``{m: (B, d_m)} -> (B, (M + 1) * output_dim)``, the concatenation of the M + 1 representations.

    Args:
        input_dims: ``{modality: d_m}``.
        output_dim: size of each representation.
        hidden_dim: hidden width of the MLPs (default ``output_dim``).
    """

    min_modalities = 2

    def __init__(self, input_dims: dict[str, int], output_dim: int, hidden_dim: int | None = None) -> None:
        super().__init__(input_dims, None)
        hidden = hidden_dim or output_dim
        mlp = lambda d: nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, output_dim))  # noqa: E731
        self.unimodal = nn.ModuleDict({m: mlp(d) for m, d in self.input_dims.items()})
        self.joint = mlp(sum(self.input_dims.values()))
        self.representation_dim = output_dim
        self.output_dim = (len(self.input_dims) + 1) * output_dim

    def representations(self, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """``{m: (B, output_dim)}`` for every modality and ``"joint"``."""
        x = self.check_inputs(inputs)
        reps = {m: net(x[m]) for m, net in self.unimodal.items()}
        reps[JOINT] = self.joint(torch.cat([x[m] for m in self.input_dims], dim=-1))
        return reps

    def fuse(self, inputs: dict[str, Tensor]) -> Tensor:
        return torch.cat(list(self.representations(inputs).values()), dim=-1)
