"""Tokenizers: raw inputs to sequences of tokens, with no deep encoder, for attention-based fusion of raw modalities."""

from __future__ import annotations

import math
from typing import Literal, get_args

import torch
from torch import nn

from polymodal.data.dataset import ModalitySpec
from polymodal.data.kinds import get_kind
from polymodal.data.padded import Padded
from polymodal.errors import ConfigError
from polymodal.models.encoders import EncoderNorm, norm_layers

#: Patches per side that :class:`PatchTokenizer` aims for by default (7 x 7 = 49 tokens).
PATCHES_PER_SIDE = 7

#: How images and spectrograms become tokens: ``patch``, one linear embedding per patch
#: (:class:`PatchTokenizer`), or ``conv-stem``, a few strided 3 x 3 convolutions (:class:`ConvStemTokenizer`).
GridTokenizer = Literal["patch", "conv-stem"]
GRID_TOKENIZERS: tuple[str, ...] = get_args(GridTokenizer)


class _PatchGrid(nn.Module):
    """What every tokenizer of ``(C, H, W)`` inputs into a grid of ``p x p`` patches shares: the
    patch side ``p`` (default ``ceil(max(H, W) / 7)``), the zero padding of the bottom and right to
    multiples of ``p``, and learned positions of the ``ceil(H/p) * ceil(W/p)`` tokens, which a
    subclass adds (:meth:`_add_positions`) after its embedding, so that a seed draws the weights in
    the order it always has."""

    def __init__(self, in_shape: tuple[int, int, int], dim: int, patch: int | None) -> None:
        super().__init__()
        _, h, w = in_shape
        self.patch = patch or math.ceil(max(h, w) / PATCHES_PER_SIDE)
        if self.patch < 1:
            raise ConfigError(f"patch must be a positive int, got {patch!r}")
        self.pad = (0, -w % self.patch, 0, -h % self.patch)
        self.n_tokens = math.ceil(h / self.patch) * math.ceil(w / self.patch)
        self.out_dim = dim

    def _add_positions(self) -> None:
        self.positions = nn.Parameter(torch.randn(self.n_tokens, self.out_dim) * 0.02)


class PatchTokenizer(_PatchGrid):
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
        super().__init__(in_shape, dim, patch)
        self.embed = nn.Conv2d(in_shape[0], dim, self.patch, stride=self.patch)
        norms = norm_layers(norm, dim, spatial=True)
        # None registers no module: the checkpoint keys of an unnormalised tokenizer stay as they were
        self.norm: nn.Module | None = norms[0] if norms else None
        self._add_positions()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, T, dim)``."""
        x = self.embed(nn.functional.pad(x, self.pad))
        if self.norm is not None:
            x = self.norm(x)
        return x.flatten(2).transpose(1, 2) + self.positions


class ConvStemTokenizer(_PatchGrid):
    """The patches of :class:`PatchTokenizer`, made by a convolutional stem instead of one linear
    map (Xiao et al., "Early Convolutions Help Transformers See Better", NeurIPS 2021):
    ``(B, C, H, W) -> (B, ceil(H/p) * ceil(W/p), dim)``, the same tokens at the same places.

    With ``p = 2^k r`` (``r`` odd), ``k`` blocks of a 3 x 3 convolution of stride 2, normalisation
    and ReLU halve the resolution, their widths doubling up to ``dim`` (at least 8); a last
    ``r x r`` convolution of stride ``r`` (1 x 1 when ``p`` is a power of 2) maps to ``dim``.
    Learned positions are added as in :class:`PatchTokenizer`. With ``r = 1`` a token sees its
    ``p x p`` patch and the ``p - 1`` rows and columns before it, through ReLUs, where the linear
    patch embedding sees only the patch.

    Args:
        in_shape: ``(C, H, W)``.
        dim: token size.
        patch: the resolution reduction ``p`` (default: ``ceil(max(H, W) / 7)``).
        norm: normalisation after each strided convolution (:func:`~polymodal.models.encoders.norm_layers`;
            ``auto``: batch norm).
    """

    def __init__(self, in_shape: tuple[int, int, int], dim: int, patch: int | None = None,
                 norm: EncoderNorm = "none") -> None:
        super().__init__(in_shape, dim, patch)
        halvings, rest = 0, self.patch
        while rest % 2 == 0:
            halvings, rest = halvings + 1, rest // 2
        layers: list[nn.Module] = []
        width = in_shape[0]
        for i in range(halvings):
            out = max(8, dim >> (halvings - 1 - i))
            layers += [nn.Conv2d(width, out, 3, stride=2, padding=1), *norm_layers(norm, out, spatial=True), nn.ReLU()]
            width = out
        layers.append(nn.Conv2d(width, dim, rest, stride=rest))
        self.stem = nn.Sequential(*layers)
        self._add_positions()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, T, dim)``."""
        return self.stem(nn.functional.pad(x, self.pad)).flatten(2).transpose(1, 2) + self.positions


def grid_tokenizer(in_shape: tuple[int, int, int], dim: int, norm: EncoderNorm = "none",
                   tokenizer: GridTokenizer = "patch") -> nn.Module:
    """The tokenizer named ``tokenizer`` (:data:`GridTokenizer`) of ``(C, H, W)`` inputs, with its default patch."""
    if tokenizer not in GRID_TOKENIZERS:
        raise ConfigError(f"tokenizer: {tokenizer!r} is unknown; choose from {', '.join(GRID_TOKENIZERS)}")
    cls = ConvStemTokenizer if tokenizer == "conv-stem" else PatchTokenizer
    return cls(in_shape, dim, norm=norm)


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


def make_tokenizer(spec: ModalitySpec, dim: int, norm: EncoderNorm = "none", tokenizer: GridTokenizer = "patch") -> nn.Module:
    """The tokenizer of the modality's kind (see :mod:`polymodal.data.kinds`): patches for images
    and spectrograms (made as ``tokenizer`` says, normalised by ``norm``), one token for vectors,
    one per step or token for sequences and text."""
    return get_kind(spec.kind, spec.name).tokenizer(spec, dim, norm=norm, tokenizer=tokenizer)
