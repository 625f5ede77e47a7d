"""Inferring a missing modality from the others: a translation network between embeddings."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.checks import positive_int
from polymodal.errors import ConfigError


class TranslationImputer(nn.Module):
    """Predict each modality's embedding from the modalities present, in the spirit of MCTN
    (Pham et al., "Found in Translation", AAAI 2019), which translates a source modality into
    the target so that the target is not needed at test time.

    For each target ``m``: ``e_hat_m = f_m([p_k e_k ; p_k]_{k != m})``, where ``p_k in {0, 1}``
    marks whether modality ``k`` is present, so one network serves every subset of sources.
    ``f_m`` is linear (``hidden_dim = 0``) or an MLP with one hidden ReLU layer.

    Args:
        dims: ``{m: size of the (flattened) embedding of m}``, at least two modalities.
        hidden_dim: hidden width of each ``f_m``; 0 for a linear map.

    Shapes:
        embeddings ``{m: (B, d_m)}``, masks ``{m: (B,)}`` -> ``{m: (B, d_m)}`` predictions.
    """

    def __init__(self, dims: Mapping[str, int], hidden_dim: int = 128) -> None:
        super().__init__()
        self.dims = {m: positive_int(d, f"dims[{m!r}]") for m, d in dict(dims).items()}
        if len(self.dims) < 2:
            raise ConfigError(f"dims: an imputer needs at least two modalities, got {list(self.dims)}")
        if not isinstance(hidden_dim, int) or hidden_dim < 0:
            raise ConfigError(f"hidden_dim must be a non-negative integer, got {hidden_dim!r}")

        def net(d_in: int, d_out: int) -> nn.Module:
            if hidden_dim == 0:
                return nn.Linear(d_in, d_out)
            return nn.Sequential(nn.Linear(d_in, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, d_out))

        self.nets = nn.ModuleDict({
            m: net(sum(d + 1 for k, d in self.dims.items() if k != m), d) for m, d in self.dims.items()
        })

    def forward(self, embeddings: Mapping[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``{m: (B, d_m)}`` predicted from the other modalities, each weighted by its mask."""
        present = {k: masks[k].to(embeddings[k].dtype).unsqueeze(-1) for k in self.dims}
        out = {}
        for m, f in self.nets.items():
            parts = [torch.cat([embeddings[k] * present[k], present[k]], dim=-1) for k in self.dims if k != m]
            out[m] = f(torch.cat(parts, dim=-1))
        return out
