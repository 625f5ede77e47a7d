"""Tokenizers: raw inputs to sequences of tokens, with no deep encoder, for attention-based fusion of raw modalities."""

from __future__ import annotations

import math

import torch
from torch import nn

from polymodal.data.dataset import ModalitySpec
from polymodal.data.kinds import get_kind
from polymodal.data.padded import Padded
from polymodal.errors import ConfigError
from polymodal.models.encoders import EncoderNorm, norm_layers

#: Patches per side that :class:`PatchTokenizer` aims for by default (7 x 7 = 49 tokens).
PATCHES_PER_SIDE = 7


class PatchTokenizer(nn.Module):
    """Non-overlapping ``p x p`` patches, each linearly embedded, plus learned positions (as in ViT,
    Dosovitskiy et al., ICLR 2021): ``(B, C, H, W) -> (B, ceil(H/p) * ceil(W/p), dim)``.

    Inputs whose sides are not multiples of ``p`` are zero-padded on the bottom and right.

    Args:
        in_shape: ``(C, H, W)``.
        dim: token size.
        patch: patch side ``p`` (default: ``ceil(max(H, W) / 7)``).
        norm: normalisation of the patch embeddings over the batch and the patches (the
            encoders' ``norm``, :func:`~polymodal.models.encoders.norm_layers`; ``auto``: batch norm).
    """

    def __init__(self, in_shape: tuple[int, int, int], dim: int, patch: int | None = None,
                 norm: EncoderNorm = "none") -> None:
        super().__init__()
        c, h, w = in_shape
        self.patch = patch or math.ceil(max(h, w) / PATCHES_PER_SIDE)
        if self.patch < 1:
            raise ConfigError(f"patch must be a positive int, got {patch!r}")
        self.pad = (0, -w % self.patch, 0, -h % self.patch)
        self.embed = nn.Conv2d(c, dim, self.patch, stride=self.patch)
        norms = norm_layers(norm, dim, spatial=True)
        # None registers no module: the checkpoint keys of an unnormalised tokenizer stay as they were
        self.norm: nn.Module | None = norms[0] if norms else None
        n_tokens = math.ceil(h / self.patch) * math.ceil(w / self.patch)
        self.positions = nn.Parameter(torch.randn(n_tokens, dim) * 0.02)
        self.out_dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, T, dim)``."""
        x = self.embed(nn.functional.pad(x, self.pad))
        if self.norm is not None:
            x = self.norm(x)
        return x.flatten(2).transpose(1, 2) + self.positions


class VectorTokenizer(nn.Module):
    """A feature vector as one token: ``(B, d) -> (B, 1, dim)``, ``t = x W + b``."""

    def __init__(self, in_dim: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Linear(in_dim, dim)
        self.out_dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, d) -> (B, 1, dim)``."""
        return self.embed(x).unsqueeze(1)


class StepTokenizer(nn.Module):
    """Every step of a sequence as a token, with sinusoidal positions:
    ``Padded (B, T, d) -> Padded (B, T, dim)``, ``t_s = embed(x_s) + PE(s)``; the lengths are kept.

    Args:
        in_dim: feature size ``d`` of a step.
        dim: token size.
        embed: the step embedding (default: linear ``x W + b``).
    """

    def __init__(self, in_dim: int, dim: int, embed: nn.Module | None = None) -> None:
        super().__init__()
        self.embed = embed if embed is not None else nn.Linear(in_dim, dim)
        self.out_dim = dim

    def forward(self, x: Padded | torch.Tensor) -> Padded:
        from polymodal.fusion.cross_modal_transformer import sinusoidal_positions

        x = x if isinstance(x, Padded) else Padded.full(x)
        h = self.embed(x.values)
        return Padded(h + sinusoidal_positions(h.shape[1], self.out_dim, h.device).to(h.dtype), x.lengths)


class TextTokenizer(StepTokenizer):
    """Token ids as trainable embeddings with sinusoidal positions: ``Padded (B, T) -> Padded (B, T, dim)`` (id 0 is padding)."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__(0, dim, nn.Embedding(vocab_size, dim, padding_idx=0))


def make_tokenizer(spec: ModalitySpec, dim: int, norm: EncoderNorm = "none") -> nn.Module:
    """The tokenizer of the modality's kind (see :mod:`polymodal.data.kinds`): patches for images
    and spectrograms (normalised by ``norm``), one token for vectors, one per step or token for
    sequences and text."""
    return get_kind(spec.kind, spec.name).tokenizer(spec, dim, norm=norm)
