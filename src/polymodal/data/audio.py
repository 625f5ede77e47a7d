"""Audio preprocessing: fixed-length windows, white noise at a signal-to-noise ratio, log-spectrograms,
and the frame-by-frame front ends of sequence modalities (log-mel energies, MFCCs)."""

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


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    """The HTK mel scale: ``m = 2595 log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(n_mels: int, n_fft: int, rate: int) -> np.ndarray:
    """Triangular filters ``(n_mels, n_fft // 2 + 1)`` with centres equally spaced in mel from 0 to ``rate / 2``.

    Filter ``k`` rises linearly from centre ``k - 1`` to 1 at centre ``k`` and falls to 0 at
    centre ``k + 1`` (frequencies in Hz of the FFT bins ``i * rate / n_fft``).
    """
    edges = mel_to_hz(np.linspace(0.0, hz_to_mel(rate / 2), n_mels + 2))
    bins = np.arange(n_fft // 2 + 1) * rate / n_fft
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def log_mel_frames(signal: np.ndarray, rate: int, n_mels: int = 40, n_fft: int = 200, hop: int = 80,
                   eps: float = 1e-10) -> np.ndarray:
    """Log mel energies of one recording, one row per frame: ``(T, n_mels)``.

    Hann-windowed frames of ``n_fft`` samples every ``hop`` (25 ms and 10 ms at 8 kHz), power
    spectrum, :func:`mel_filterbank`, ``log(energy + eps)``. A recording shorter than one frame
    is zero-padded to one; ``T = 1 + (len - n_fft) // hop`` otherwise.
    """
    x = np.asarray(signal, dtype=np.float32)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    spectrum = np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.log(power @ mel_filterbank(n_mels, n_fft, rate).T + eps).astype(np.float32)


def mfcc_frames(signal: np.ndarray, rate: int, n_mfcc: int = 13, n_mels: int = 40, n_fft: int = 200,
                hop: int = 80) -> np.ndarray:
    """Mel-frequency cepstral coefficients ``(T, n_mfcc)``: the orthonormal DCT-II of :func:`log_mel_frames`, first ``n_mfcc``."""
    from scipy.fft import dct

    return dct(log_mel_frames(signal, rate, n_mels, n_fft, hop), type=2, norm="ortho", axis=-1)[:, :n_mfcc].astype(np.float32)


#: audio front ends for sequence modalities: name -> (signal, rate) -> (T, d)
SEQUENCE_FRONT_ENDS = {"log-mel": log_mel_frames, "mfcc": mfcc_frames}
