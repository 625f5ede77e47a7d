"""Sequence perturbations: ``(B, T, d)`` padded sequences with their lengths.

They act on a sequence and its ``(B,)`` true lengths and return both; the ``sequence``
modality kind that feeds them arrives with the open data layer.
"""

from __future__ import annotations

import math

import torch


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
