"""Audio perturbations: white noise on waveforms ``(B, T)``, masks and shifts on spectrograms ``(B, C, F, T)``."""

from __future__ import annotations

import torch

from polymodal.robustness.perturbations.base import PerturbContext, normal_like, per_example


def snr_db(p: float) -> float:
    """The signal-to-noise ratio of level ``p``: ``20 - 40 p`` dB (20 dB at 0+, 0 dB at 0.5, -20 dB at 1)."""
    return 20.0 - 40.0 * p


def white_noise(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Additive white Gaussian noise at an SNR of ``20 - 40 p`` dB computed from each signal.

    The noise variance of example ``b`` is ``P_b / 10**(SNR / 10)``, with ``P_b`` the mean
    square of that example, so ``10 log10(P_b / noise power) = SNR``. Every sample is signal plus
    noise: no sample is zeroed (MultiBench's audio noise zeroes every sample it does not perturb).
    Applied to waveforms where the data set has them (AV-MNIST), otherwise to the input itself.
    """
    power = x.pow(2).mean(dim=per_example(x), keepdim=True)
    std = torch.sqrt(power / 10.0 ** (snr_db(p) / 10.0))
    return x + std * normal_like(x, generator)


def _band_mask(x: torch.Tensor, p: float, generator: torch.Generator, axis: int) -> torch.Tensor:
    size = x.shape[axis]
    width = round(p * size)
    start = torch.randint(0, size - width + 1, (x.shape[0],), generator=generator)
    pos = torch.arange(size)
    band = (pos >= start[:, None]) & (pos < (start + width)[:, None])  # (B, size)
    shape = [x.shape[0]] + [1] * (x.dim() - 1)
    shape[axis] = size
    low = x.amin(dim=per_example(x), keepdim=True)
    return torch.where(band.view(shape).to(x.device), low.expand_as(x), x)


def time_masking(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """One band of ``round(p * T)`` consecutive frames, at a random start, set to the spectrogram's minimum (silence), as in SpecAugment."""
    return _band_mask(x, p, generator, axis=-1)


def frequency_masking(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """One band of ``round(p * F)`` consecutive frequency bins, at a random start, set to the spectrogram's minimum."""
    return _band_mask(x, p, generator, axis=-2)


def time_shift(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """A shift by ``round(p * T / 2)`` frames, earlier or later at random per example; the frames shifted in are silence (the minimum)."""
    shift = round(p * x.shape[-1] / 2)
    if shift == 0:
        return x
    sign = torch.where(torch.rand(x.shape[0], generator=generator) < 0.5, -1, 1)
    low = x.amin(dim=per_example(x), keepdim=True).expand_as(x)
    frames = torch.arange(x.shape[-1])
    source = frames[None, :] - sign[:, None] * shift  # (B, T): the frame each output frame comes from
    valid = (source >= 0) & (source < x.shape[-1])
    index = source.clamp(0, x.shape[-1] - 1).to(x.device)
    shape = [x.shape[0]] + [1] * (x.dim() - 2) + [x.shape[-1]]
    gathered = torch.gather(x, -1, index.view(shape).expand_as(x))
    return torch.where(valid.view(shape).to(x.device), gathered, low)
