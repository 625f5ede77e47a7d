"""Sequence perturbations: ``(B, T, d)`` padded sequences with their lengths.

:func:`frame_dropping` and :func:`truncation` act on a sequence and its ``(B,)`` true lengths and
return both; the registry's entries for the ``sequence`` kind take and return a
:class:`~polymodal.data.padded.Padded` (:func:`padded_frame_dropping`, :func:`padded_truncation`,
:func:`step_noise`).
"""

from __future__ import annotations

import math

import torch

from polymodal.data.padded import Padded
from polymodal.robustness.perturbations.base import PerturbContext, normal_like


def frame_dropping(x: torch.Tensor, lengths: torch.Tensor, p: float, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each frame dropped with probability ``p`` (at least one kept); the rest close up, and the padding is zeros.

    Returns:
        ``(x', lengths')`` of the same padded shape.
    """
    b, t = x.shape[:2]
    valid = torch.arange(t)[None, :] < lengths.cpu()[:, None]
    keep = (torch.rand(b, t, generator=generator) >= p) & valid
    first = torch.zeros_like(keep)
    first[:, 0] = True
    keep = torch.where(keep.any(1, keepdim=True), keep, first & valid)
    out = torch.zeros_like(x)
    new_lengths = keep.sum(1)
    for i in range(b):
        out[i, : int(new_lengths[i])] = x[i, keep[i].to(x.device)]
    return out, new_lengths.to(lengths)


def truncation(x: torch.Tensor, lengths: torch.Tensor, p: float, generator: torch.Generator
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """The last fraction ``p`` of each sequence cut off: ``ceil((1 - p) * length)`` frames kept, at least one."""
    new_lengths = torch.clamp(torch.tensor([math.ceil((1 - p) * int(n)) for n in lengths.cpu()]), min=1)
    mask = torch.arange(x.shape[1])[None, :] < new_lengths[:, None]
    return x * mask.to(x).unsqueeze(-1), new_lengths.to(lengths)


def padded_frame_dropping(x: Padded, p: float, generator: torch.Generator, context: PerturbContext) -> Padded:
    """Each true step dropped with probability ``p`` (at least one kept), the rest closing up: :func:`frame_dropping`."""
    return Padded(*frame_dropping(x.values, x.lengths, p, generator))


def padded_truncation(x: Padded, p: float, generator: torch.Generator, context: PerturbContext) -> Padded:
    """The last fraction ``p`` of each sequence cut off: :func:`truncation`."""
    return Padded(*truncation(x.values, x.lengths, p, generator))


def step_noise(x: Padded, p: float, generator: torch.Generator, context: PerturbContext) -> Padded:
    """Gaussian noise on every true step, scaled by each feature's training s.d.: ``x'_t = x_t + p sigma eps_t``;
    the padding stays zero."""
    std = context.feature_std.to(x.values) if context.feature_std is not None else torch.ones(x.values.shape[-1]).to(x.values)
    noise = p * std * normal_like(x.values, generator) * x.mask.unsqueeze(-1).to(x.values)
    return Padded(x.values + noise, x.lengths)
