import numpy as np
import scipy.signal

from polymodal.data.audio import add_white_noise, fit_length, log_spectrogram


def test_fit_length_centres_pads_and_crops():
    x = np.arange(1, 5, dtype=np.float32)
    assert fit_length(x, 8).tolist() == [0, 0, 1, 2, 3, 4, 0, 0]
    assert fit_length(np.arange(10.0), 4).tolist() == [3, 4, 5, 6]


def test_noise_has_the_requested_snr_and_keeps_every_sample():
    rng = np.random.default_rng(0)
    signal = np.sin(np.linspace(0, 200, 100_000)).astype(np.float32)
    power = float(np.mean(signal.astype(np.float64) ** 2))
    noisy = add_white_noise(signal, power, -10.0, np.random.default_rng(1))
    noise = noisy.astype(np.float64) - signal
    assert abs(10 * np.log10(power / np.mean(noise**2)) - (-10.0)) < 0.05
    # the residual is exactly the Gaussian draw: no sample of the signal was dropped
    expected = np.random.default_rng(1).normal(0.0, np.sqrt(power * 10.0), size=signal.shape)
    np.testing.assert_allclose(noise, expected, atol=1e-4)
    del rng


def test_log_spectrogram_matches_scipy_stft():
    x = np.random.default_rng(0).normal(size=(2, 8000)).astype(np.float32)
    ours = log_spectrogram(x)
    assert ours.shape == (2, 112, 112)
    window = np.hanning(222)
    _, _, z = scipy.signal.stft(x, window=window, nperseg=222, noverlap=222 - 70, boundary=None, padded=False,
                                detrend=False, return_onesided=True)
    power = np.abs(z * window.sum()) ** 2
    np.testing.assert_allclose(ours, np.log(power + 1e-10), rtol=1e-4, atol=1e-3)
