"""avmnist-seq: the pairs of avmnist with the whole recordings as log-mel sequences."""

import numpy as np
import pytest
import torch

from polymodal.data.audio import hz_to_mel, log_mel_frames, mel_filterbank, mfcc_frames
from polymodal.data.avmnist_seq import load_avmnist_seq
from polymodal.data.fsdd import read_recording


def test_mel_scale_and_filterbank_closed_form():
    assert hz_to_mel(700.0) == pytest.approx(2595 * np.log10(2))
    bank = mel_filterbank(10, 256, 8000)
    assert bank.shape == (10, 129) and bank.min() >= 0 and bank.max() <= 1
    # filter k peaks at the FFT bin nearest its centre, equally spaced in mel
    centres = 700 * (10 ** (np.linspace(0, hz_to_mel(4000), 12)[1:-1] / 2595) - 1)
    peaks = bank.argmax(1) * 8000 / 256
    assert np.all(np.abs(peaks - centres) <= 8000 / 256)


def test_mfcc_is_the_orthonormal_dct_of_the_log_mel_energies():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000).astype(np.float32)
    logmel = log_mel_frames(x, 8000)
    n = logmel.shape[1]
    k = np.arange(13)[:, None]
    basis = np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n)) * np.sqrt(2 / n)
    basis[0] /= np.sqrt(2)
    np.testing.assert_allclose(mfcc_frames(x, 8000), logmel @ basis.T, rtol=1e-4, atol=1e-4)
    assert logmel.shape[0] == 1 + (1000 - 200) // 80


@pytest.mark.slow
def test_same_pairs_as_avmnist_and_true_lengths(avmnist, data_dir, cache_dir):
    seq = load_avmnist_seq(data_dir, cache_dir=cache_dir)
    for split in ("train", "val", "test"):
        a, s = avmnist.splits[split], seq.splits[split]
        assert torch.equal(a.labels, s.labels) and torch.equal(a.modality("image"), s.modality("image"))
        assert a.meta["audio_files"] == s.meta["audio_files"] and torch.equal(a.rows["audio"], s.rows["audio"])
    lengths = torch.cat([s.inputs["audio"].lengths for s in seq.splits.values()])
    assert int(lengths.min()) == 12 and int(lengths.max()) == 226  # 0.14 s and 2.28 s of audio, 10 ms frames
    test = seq.splits["test"]
    name = test.meta["audio_files"][0]
    expected = 1 + (len(read_recording(data_dir / "fsdd" / "recordings" / name)) - 200) // 80
    assert int(test.inputs["audio"].lengths[0]) == expected
    train = seq.splits["train"].inputs["audio"]
    steps = train.values[train.mask]
    assert float(steps.mean()) == pytest.approx(0.0, abs=0.05) and float(steps.std()) == pytest.approx(1.0, abs=0.05)
