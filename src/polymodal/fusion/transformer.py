"""Transformer fusion: self-attention over the tokens of every modality together."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.checks import is_integer, positive_int
from polymodal.errors import ConfigError
from polymodal.data.padded import Padded, masked_mean
from polymodal.fusion.base import Fusion


def as_sequence(x: torch.Tensor) -> torch.Tensor:
    """``(B, d) -> (B, 1, d)``; a sequence ``(B, T, d)`` is returned as it is."""
    return x.unsqueeze(1) if x.dim() == 2 else x


def steps_and_mask(x: torch.Tensor | Padded) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(steps (B, T, d), mask (B, T) bool or None)``: a :class:`Padded` gives its values and
    mask, a tensor :func:`as_sequence` and ``None`` (every step is data)."""
    if isinstance(x, Padded):
        return x.values, x.mask
    return as_sequence(x), None


def full_mask(steps: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``mask``, or all ``True`` of ``steps``' ``(B, T)`` when it is ``None``."""
    return mask if mask is not None else torch.ones(steps.shape[:2], dtype=torch.bool, device=steps.device)


#: how :class:`TransformerFusion` pools its output tokens
TRANSFORMER_POOLS = ("joint", "per-modality")


def check_heads(d_model: int, heads: int, layers: int) -> None:
    """Raise :class:`ConfigError` unless ``heads`` divides ``d_model`` and ``layers >= 1``."""
    if not is_integer(heads) or heads < 1 or d_model % heads:
        raise ConfigError(f"heads must be a positive int dividing d_model={d_model}, got {heads!r}")
    positive_int(layers, "layers")


class TransformerFusion(Fusion):
    """Transformer fusion: every modality becomes tokens, the tokens of all modalities go
    through one Transformer encoder (Vaswani et al., NeurIPS 2017) together, and the mean of
    its outputs is projected:

    ``s_m = x_m W_m + e_m``, ``Y = Encoder([s_1; ...; s_M])``, ``z = mean_t(Y) W_o + b_o``,

    where ``e_m`` is a learned modality embedding. With ``pool="per-modality"`` each modality's
    outputs are averaged apart and the means concatenated, ``z = [mean_t Y_1; ...; mean_t Y_M] W_o
    + b_o``: the head reads each modality's share of the sequence in its own coordinates, as
    cross-modal-transformer fusion pools its streams and as MBT (Nagrani et al., "Attention
    Bottlenecks for Multimodal Fusion", NeurIPS 2021) classifies one token per modality. The
    joint mean is the special case ``W_o = [W; ...; W] / M`` when every modality has as many
    tokens. A vector ``(B, d_m)`` is one token, so on
    encoded features this is attention over one token per modality; on a sequence
    ``(B, T_m, d_m)`` (for example the patches of a raw image) every step is a token, the
    sequences may have different lengths, and every token attends to every other, within and
    across modalities (no causal mask). A :class:`~polymodal.data.padded.Padded` sequence's
    padding is neither attended to nor averaged (key padding mask, masked mean).
    Pre-norm layers, GELU, feed-forward size ``2 d_model``.

    Args:
        input_dims: ``{name: d_m}``, at least one modality.
        output_dim: size of ``z``.
        d_model: token size; ``heads`` must divide it.
        heads: attention heads.
        layers: encoder layers.
        dropout: dropout inside the encoder.
        pool: ``"joint"`` (the mean of every output token) or ``"per-modality"`` (see above).

    Shapes:
        inputs ``{name: (B, d_m)}`` or ``{name: (B, T_m, d_m)}`` -> ``(B, output_dim)``.
    """

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, d_model: int = 64, heads: int = 4,
                 layers: int = 2, dropout: float = 0.1, pool: str = "joint") -> None:
        super().__init__(input_dims, output_dim)
        check_heads(d_model, heads, layers)
        if pool not in TRANSFORMER_POOLS:
            raise ConfigError(f"pool: {pool!r} is unknown; choose from {', '.join(TRANSFORMER_POOLS)}")
        self.pool = pool
        self.projections = nn.ModuleDict({m: nn.Linear(d, d_model) for m, d in self.input_dims.items()})
        self.modality_embeddings = nn.Parameter(torch.randn(len(self.input_dims), d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model, heads, 2 * d_model, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        pooled_dim = d_model * (len(self.input_dims) if pool == "per-modality" else 1)
        self.output = nn.Linear(pooled_dim, output_dim)

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        tokens, masks = [], []
        for i, (m, x) in enumerate(inputs.items()):
            steps, mask = steps_and_mask(x)
            tokens.append(self.projections[m](steps) + self.modality_embeddings[i])
            masks.append(mask)
        padded = any(mask is not None for mask in masks)
        valid = torch.cat([full_mask(t, mask) for t, mask in zip(tokens, masks)], dim=1) if padded else None
        y = self.encoder(torch.cat(tokens, dim=1), src_key_padding_mask=None if valid is None else ~valid)
        if self.pool == "joint":
            return self.output(y.mean(dim=1) if valid is None else masked_mean(y, valid))
        lengths = [t.shape[1] for t in tokens]
        parts = zip(y.split(lengths, dim=1), valid.split(lengths, dim=1) if padded else [None] * len(lengths))
        return self.output(torch.cat([p.mean(dim=1) if v is None else masked_mean(p, v) for p, v in parts], dim=-1))
