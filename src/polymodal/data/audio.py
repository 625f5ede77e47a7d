"""Audio preprocessing: fixed-length windows, white noise at a signal-to-noise ratio, log-spectrograms."""

from __future__ import annotations

import numpy as np


def fit_length(x: np.ndarray, length: int) -> np.ndarray:
    """Centre ``x`` in a window of ``length`` samples: zero-pad both sides, or crop the middle.

    Args:
        x: ``(T,)`` samples.
        length: output length.

    Returns:
        ``(length,)`` samples.
    """
    if len(x) >= length:
        start = (len(x) - length) // 2
        return x[start : start + length].copy()
    out = np.zeros(length, dtype=x.dtype)
    start = (length - len(x)) // 2
    out[start : start + len(x)] = x
    return out


def add_white_noise(
    window: np.ndarray, signal_power: float, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Mix white Gaussian noise into every sample of ``window``, keeping the signal.

    The noise variance is ``signal_power / 10**(snr_db / 10)``, so that
    ``10 log10(signal_power / noise_power) = snr_db``. Every sample is ``signal + noise``:
    no sample of the signal is dropped.

    Args:
        window: ``(T,)`` signal (possibly zero-padded).
        signal_power: mean square of the recording itself (without padding).
        snr_db: signal-to-noise ratio in decibels.
        rng: source of the noise.

    Returns:
        ``(T,)`` float32 noisy signal.
    """
    noise_std = np.sqrt(signal_power / 10.0 ** (snr_db / 10.0))
    return (window + rng.normal(0.0, noise_std, size=window.shape)).astype(np.float32)


def log_spectrogram(windows: np.ndarray, n_fft: int = 222, hop: int = 70, eps: float = 1e-10) -> np.ndarray:
    """Log power spectrogram with a Hann window, frames without padding.

    With ``T = 8000`` samples, ``n_fft = 222`` and ``hop = 70`` this gives 112 frequency bins
    (``n_fft // 2 + 1``) and 112 frames (``1 + (T - n_fft) // hop``).

    Args:
        windows: ``(N, T)`` signals.
        n_fft: frame length.
        hop: frame step.
        eps: floor added to the power before the logarithm.

    Returns:
        ``(N, n_fft // 2 + 1, n_frames)`` float32 ``log(power + eps)``, frequency along axis 1.
    """
    frames = np.lib.stride_tricks.sliding_window_view(windows, n_fft, axis=1)[:, ::hop]
    spectrum = np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.log(power + eps).astype(np.float32).transpose(0, 2, 1)
