"""Sequence perturbations: ``(B, T, d)`` padded sequences with their lengths.

:func:`frame_dropping` and :func:`truncation` act on a sequence and its ``(B,)`` true lengths and
return both; the registry's entries for the ``sequence`` kind take and return a
:class:`~polymodal.data.padded.Padded` (:func:`padded_frame_dropping`, :func:`padded_truncation`,
:func:`step_noise`, :func:`feature_band_masking`, :func:`step_band_masking`).
"""

from __future__ import annotations

import math

import torch

from polymodal.data.padded import Padded
from polymodal.errors import ShapeError
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


def _features(x: Padded, name: str) -> torch.Tensor:
    if x.values.dim() != 3:
        raise ShapeError(f"{name} needs sequences of feature vectors (B, T, d), got values of shape "
                         f"{tuple(x.values.shape)}; token ids have no features to mask")
    return x.values


def _lowest_true_step_value(x: Padded) -> torch.Tensor:
    """``(B,)``: each example's smallest value over its true steps (silence, for log energies)."""
    return torch.where(x.mask.unsqueeze(-1), x.values, torch.tensor(math.inf).to(x.values)).amin(dim=(1, 2))


def feature_band_masking(x: Padded, p: float, generator: torch.Generator, context: PerturbContext) -> Padded:
    """One band of ``round(p * d)`` consecutive features, at a random start per example, set to the
    example's minimum on every true step: a frequency mask on log-mel frames, as in SpecAugment
    (Park et al., 2019). The padding and the lengths stay.

    Args:
        x: values ``(B, T, d)`` and lengths ``(B,)``.
    """
    values = _features(x, "freq-mask")
    d = values.shape[-1]
    width = round(p * d)
    start = torch.randint(0, d - width + 1, (values.shape[0],), generator=generator)
    features = torch.arange(d)
    band = (features >= start[:, None]) & (features < (start + width)[:, None])  # (B, d)
    where = band.to(values.device)[:, None, :] & x.mask.unsqueeze(-1)
    return Padded(torch.where(where, _lowest_true_step_value(x)[:, None, None].expand_as(values), values), x.lengths)


def step_band_masking(x: Padded, p: float, generator: torch.Generator, context: PerturbContext) -> Padded:
    """One band of ``round(p * n_b)`` consecutive true steps of example ``b`` (of length ``n_b``), at
    a uniform start in ``0..n_b - width``, set to the example's minimum: a time mask on log-mel
    frames, as in SpecAugment. The padding and the lengths stay.

    Args:
        x: values ``(B, T, d)`` and lengths ``(B,)``.
    """
    values = _features(x, "time-mask")
    lengths = x.lengths.cpu()
    width = torch.round(p * lengths.double()).long()
    start = (torch.rand(values.shape[0], generator=generator, dtype=torch.float64) * (lengths - width + 1)).long()
    steps = torch.arange(values.shape[1])
    band = (steps >= start[:, None]) & (steps < (start + width)[:, None])  # (B, T), inside the true steps
    return Padded(torch.where(band.to(values.device).unsqueeze(-1), _lowest_true_step_value(x)[:, None, None].expand_as(values),
                              values), x.lengths)
