"""Tokenizers: raw inputs to sequences of tokens, with no deep encoder, for attention-based fusion of raw modalities."""

from __future__ import annotations

import math

import torch
from torch import nn

from polymodal.data.dataset import ModalitySpec
from polymodal.errors import ConfigError

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
    """

    def __init__(self, in_shape: tuple[int, int, int], dim: int, patch: int | None = None) -> None:
        super().__init__()
        c, h, w = in_shape
        self.patch = patch or math.ceil(max(h, w) / PATCHES_PER_SIDE)
        if self.patch < 1:
            raise ConfigError(f"patch must be a positive int, got {patch!r}")
        self.pad = (0, -w % self.patch, 0, -h % self.patch)
        self.embed = nn.Conv2d(c, dim, self.patch, stride=self.patch)
        n_tokens = math.ceil(h / self.patch) * math.ceil(w / self.patch)
        self.positions = nn.Parameter(torch.randn(n_tokens, dim) * 0.02)
        self.out_dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, T, dim)``."""
        x = nn.functional.pad(x, self.pad)
        return self.embed(x).flatten(2).transpose(1, 2) + self.positions


class VectorTokenizer(nn.Module):
    """A feature vector as one token: ``(B, d) -> (B, 1, dim)``, ``t = x W + b``."""

    def __init__(self, in_dim: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Linear(in_dim, dim)
        self.out_dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, d) -> (B, 1, dim)``."""
        return self.embed(x).unsqueeze(1)


def make_tokenizer(spec: ModalitySpec, dim: int) -> nn.Module:
    """Patches for images and spectrograms, one token for vectors."""
    if spec.kind == "vector":
        return VectorTokenizer(spec.shape[0], dim)
    if spec.kind in ("image", "spectrogram"):
        return PatchTokenizer(spec.shape, dim)  # type: ignore[arg-type]
    raise ConfigError(f"modality {spec.name!r}: no tokenizer for kind {spec.kind!r}")
