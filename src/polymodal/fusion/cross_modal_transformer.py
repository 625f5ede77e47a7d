"""Cross-modal transformer fusion (MulT): each modality attends to every other."""

from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import nn

from polymodal.fusion.base import Fusion
from polymodal.data.padded import masked_mean
from polymodal.fusion.transformer import check_heads, full_mask, steps_and_mask


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """Fixed sinusoidal position encodings ``(length, dim)`` (Vaswani et al., 2017)."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return pe


def cross_causal_mask(target_len: int, source_len: int, device: torch.device | None = None) -> torch.Tensor:
    """``(T_t, T_s)`` boolean mask, ``True`` where attention is *not* allowed.

    Both sequences are taken to span the same time: target step i (ending at ``(i+1)/T_t``)
    may attend to source step j when it ends no later, ``(j+1) T_t <= (i+1) T_s``; step 0 of the
    source is always allowed, so no row is empty.
    """
    i = torch.arange(1, target_len + 1, device=device).unsqueeze(1)
    j = torch.arange(1, source_len + 1, device=device).unsqueeze(0)
    mask = j * target_len > i * source_len
    mask[:, 0] = False
    return mask


def padded_cross_causal_mask(target_lengths: torch.Tensor, source_lengths: torch.Tensor, target_steps: int,
                             source_steps: int) -> torch.Tensor:
    """:func:`cross_causal_mask` per example, from the true lengths of padded sequences: ``(B, T_t, T_s)``.

    Example b's mask equals ``cross_causal_mask(Lt_b, Ls_b)`` on its first ``Lt_b x Ls_b`` entries;
    padded source steps beyond ``Ls_b`` are left to the key padding mask.
    """
    i = torch.arange(1, target_steps + 1, device=target_lengths.device)[None, :, None]
    j = torch.arange(1, source_steps + 1, device=target_lengths.device)[None, None, :]
    mask = j * target_lengths[:, None, None] > i * source_lengths[:, None, None]
    mask[:, :, 0] = False
    return mask


class CrossModalBlock(nn.Module):
    """One cross-modal attention layer: queries from the target, keys and values from the source.

    ``Y = X_t + MHA(LN(X_t), LN(X_s), LN(X_s))``, ``out = Y + FFN(LN(Y))`` (Tsai et al., 2019, Sec. 3.2).

    Shapes:
        target ``(B, T_t, d)``, source ``(B, T_s, d)`` -> ``(B, T_t, d)``.
    """

    def __init__(self, d_model: int, heads: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.norm_target, self.norm_source, self.norm_ff = (nn.LayerNorm(d_model) for _ in range(3))
        self.attention = nn.MultiheadAttention(d_model, heads, dropout=dropout, batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, 2 * d_model), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * d_model, d_model)
        )

    def forward(self, target: torch.Tensor, source: torch.Tensor, mask: torch.Tensor | None = None,
                source_padding: torch.Tensor | None = None) -> torch.Tensor:
        """Attend from ``target (B, T_t, d)`` to ``source (B, T_s, d)``.

        Args:
            mask: ``(T_t, T_s)`` or per example ``(B, T_t, T_s)``, True = blocked.
            source_padding: ``(B, T_s)``, True at padded source steps (never attended to).
        """
        s = self.norm_source(source)
        if mask is not None and mask.dim() == 3:
            mask = mask.repeat_interleave(self.attention.num_heads, dim=0)
        y = target + self.attention(self.norm_target(target), s, s, attn_mask=mask, key_padding_mask=source_padding,
                                    need_weights=False)[0]
        return y + self.feed_forward(self.norm_ff(y))


class CrossModalTransformerFusion(Fusion):
    """Multimodal Transformer fusion (MulT; Tsai et al., "Multimodal Transformer for Unaligned
    Multimodal Language Sequences", ACL 2019).

    Each modality is projected to ``d_model`` with sinusoidal positions. For every ordered pair
    (source s -> target t), ``layers`` :class:`CrossModalBlock` s let the target's steps attend to
    the source's steps, so the sequences need not be aligned or of equal length. The M-1
    outputs for target t are concatenated, averaged over t's steps, and the M results are
    concatenated and projected: ``z = [pool(Y_{.->1}); ...; pool(Y_{.->M})] W_o + b_o``.
    No causal mask unless ``causal=True`` (see :func:`cross_causal_mask`). The padding of a
    :class:`~polymodal.data.padded.Padded` sequence is never attended to and never pooled, and
    the causal alignment uses each example's true lengths.
    Cost: ``M (M - 1)`` cross-modal stacks.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.
        d_model: attention size; ``heads`` must divide it.
        heads: attention heads.
        layers: cross-modal layers per ordered pair.
        dropout: attention and feed-forward dropout.
        causal: mask out source steps later than the target step.

    Shapes:
        inputs ``{name: (B, T_m, d_m)}`` (a vector ``(B, d_m)`` is a sequence of one) -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, d_model: int = 64, heads: int = 4,
                 layers: int = 1, dropout: float = 0.1, causal: bool = False) -> None:
        super().__init__(input_dims, output_dim)
        check_heads(d_model, heads, layers)
        self.d_model, self.causal = d_model, causal
        self.projections = nn.ModuleDict({m: nn.Linear(d, d_model) for m, d in self.input_dims.items()})
        self.pairs = nn.ModuleDict({
            f"{s}->{t}": nn.ModuleList(CrossModalBlock(d_model, heads, dropout) for _ in range(layers))
            for t in self.input_dims for s in self.input_dims if s != t
        })
        n = len(self.input_dims)
        self.output = nn.Linear(n * (n - 1) * d_model, output_dim)

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        seq, valid = {}, {}
        for m, x in inputs.items():
            steps, valid[m] = steps_and_mask(x)
            h = self.projections[m](steps)
            seq[m] = h + sinusoidal_positions(h.shape[1], self.d_model, h.device).to(h.dtype)
        padded = any(v is not None for v in valid.values())
        lengths = {m: full_mask(seq[m], v).sum(1) for m, v in valid.items()} if padded else {}
        pooled = []
        for t in seq:
            for s in seq:
                if s == t:
                    continue
                mask = None
                if self.causal:
                    mask = (padded_cross_causal_mask(lengths[t], lengths[s], seq[t].shape[1], seq[s].shape[1]) if padded
                            else cross_causal_mask(seq[t].shape[1], seq[s].shape[1], seq[t].device))
                source_padding = None if valid[s] is None else ~valid[s]
                y = seq[t]
                for block in self.pairs[f"{s}->{t}"]:
                    y = block(y, seq[s], mask, source_padding)
                pooled.append(y.mean(dim=1) if valid[t] is None else masked_mean(y, valid[t]))
        return self.output(torch.cat(pooled, dim=-1))
