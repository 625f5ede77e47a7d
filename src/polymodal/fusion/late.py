"""Late fusion: every modality predicts on its own, the predictions are combined."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion

COMBINES = ("mean", "learned")


class LateFusion(Fusion):
    """Late fusion: per-modality predictors ``f_m`` whose logits are combined.

    - ``combine="mean"``: ``z = (1/M) sum_m f_m(x_m)``, the average of the logits;
    - ``combine="learned"``: ``z = sum_m softmax(a)_m f_m(x_m)``, a learned weighted vote.

    Each ``f_m`` is an MLP ``d_m -> hidden_dim -> output_dim`` (ReLU). Trained end to end,
    the output is the model's prediction (``outputs_logits = True``).

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: number of classes (size of each predictor's logits).
        hidden_dim: hidden size of each predictor.
        combine: ``"mean"`` or ``"learned"``.
        dropout: dropout before each predictor's last layer.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)`` logits.
    """

    outputs_logits = True
    min_modalities = 2
    supports_drop = True
    decomposable = True

    def __init__(
        self,
        input_dims: Mapping[str, int],
        output_dim: int,
        hidden_dim: int = 64,
        combine: str = "mean",
        dropout: float = 0.0,
    ) -> None:
        super().__init__(input_dims, output_dim)
        if combine not in COMBINES:
            raise ConfigError(f"combine: {combine!r} is unknown; use one of {', '.join(COMBINES)}")
        self.predictors = nn.ModuleDict(
            {
                m: nn.Sequential(nn.Linear(d, hidden_dim), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden_dim, output_dim))
                for m, d in self.input_dims.items()
            }
        )
        self.combine = combine
        self.vote_logits = nn.Parameter(torch.zeros(len(self.input_dims))) if combine == "learned" else None

    def modality_logits(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each modality's own prediction ``{name: (B, output_dim)}``."""
        return {m: self.predictors[m](x) for m, x in self.check_inputs(inputs).items()}

    def logit_parts(self, inputs: dict[str, torch.Tensor], head: nn.Module) -> dict[str, torch.Tensor]:
        """``{m: w_m f_m(x_m)}``: the vote's terms, which add up to the prediction exactly (``head``
        is the identity after late fusion)."""
        parts = self.modality_logits(inputs)
        weights = (torch.full((len(parts),), 1.0 / len(parts)) if self.vote_logits is None
                   else torch.softmax(self.vote_logits, dim=0))
        return {m: head(weights[i] * z) for i, (m, z) in enumerate(parts.items())}

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = torch.stack([self.predictors[m](x) for m, x in inputs.items()])  # (M, B, C)
        if self.vote_logits is None:
            return logits.mean(dim=0)
        weights = torch.softmax(self.vote_logits, dim=0)
        return torch.einsum("m,mbc->bc", weights, logits)

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The vote of the heads present only: ``z_b = sum_m w_m p_mb f_m(x_m) / sum_m w_m p_mb``."""
        logits = torch.stack([self.predictors[m](x) for m, x in inputs.items()])  # (M, B, C)
        present = torch.stack([masks[m] for m in inputs]).to(logits.dtype)  # (M, B)
        weights = torch.ones(len(inputs), device=logits.device) if self.vote_logits is None else torch.softmax(self.vote_logits, 0)
        w = weights.unsqueeze(1) * present
        return torch.einsum("mb,mbc->bc", w / w.sum(0, keepdim=True), logits)
