"""Perturbations against physics and counting: measured SNR and whiteness, covered fractions, identity at p = 0."""

import math

import numpy as np
import pytest
import torch

from polymodal.data.padded import Padded
from polymodal.errors import ConfigError
from polymodal.robustness.perturbations import PERTURBATIONS, PerturbContext, get_perturbation
from polymodal.robustness.perturbations.audio import snr_db
from polymodal.robustness.perturbations.sequence import frame_dropping, truncation

SHAPES = {"image": (6, 1, 28, 28), "spectrogram": (6, 1, 40, 50), "vector": (6, 12), "sequence": (6, 9, 3)}


def context_for(kind, x):
    if kind == "sequence":
        steps = x.values[x.mask]
        return PerturbContext(feature_mean=steps.mean(0), feature_std=steps.std(0))
    return PerturbContext(feature_mean=x.mean(0), feature_std=x.std(0)) if kind == "vector" else PerturbContext()


def example(kind):
    x = torch.randn(SHAPES[kind], generator=torch.Generator().manual_seed(0))
    if kind != "sequence":
        return x
    lengths = torch.tensor([9, 7, 5, 3, 2, 1])
    return Padded(x * (torch.arange(9)[None, :, None] < lengths[:, None, None]), lengths)


def same(a, b):
    if isinstance(a, Padded):
        return torch.equal(a.values, b.values) and torch.equal(a.lengths, b.lengths)
    return torch.equal(a, b)


@pytest.mark.parametrize("kind,name", [(k, n) for k, table in PERTURBATIONS.items() for n in table])
def test_every_perturbation_is_the_identity_at_level_zero_and_changes_the_input_above(kind, name):
    x = example(kind)
    pert = PERTURBATIONS[kind][name]
    ctx = context_for(kind, x)
    assert same(pert(x, 0.0, torch.Generator().manual_seed(1), ctx), x)
    y = pert(x, 0.5, torch.Generator().manual_seed(1), ctx)
    values = y.values if isinstance(y, Padded) else y
    assert y.shape == x.shape and not same(y, x) and torch.isfinite(values).all()
    again = pert(x, 0.5, torch.Generator().manual_seed(1), ctx)
    assert same(y, again)  # a pure function of (batch, level, generator)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_white_noise_has_the_requested_snr_within_a_tenth_of_a_db_and_a_flat_spectrum(p):
    t = torch.arange(16000) / 8000.0
    rng = torch.Generator().manual_seed(0)
    signals = torch.stack([torch.sin(2 * math.pi * f * t) * a for f, a in ((440, 1.0), (1000, 0.3), (97, 2.0), (3000, 0.05))])
    noisy = get_perturbation("spectrogram", "snr")(signals, p, rng)
    noise = (noisy - signals).double()
    measured = 10 * torch.log10(signals.double().pow(2).mean(1) / noise.pow(2).mean(1))
    assert torch.allclose(measured, torch.full_like(measured, snr_db(p)), atol=0.1)
    # white: the power spectrum of the noise is flat (each eighth of the band within 10% of the mean)
    spectrum = torch.fft.rfft(noise, dim=1).abs().pow(2)[:, 1:]
    bands = torch.stack([b.mean(1) for b in spectrum.chunk(8, dim=1)], 1)
    assert (bands / bands.mean(1, keepdim=True) - 1).abs().max() < 0.1
    assert (noisy != signals).float().mean() == 1.0  # every sample is signal plus noise; none is zeroed


@pytest.mark.parametrize("p", [0.0, 0.2, 0.49, 0.8, 1.0])
def test_occlusion_covers_the_requested_fraction(p):
    x = 1 + torch.rand(50, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = get_perturbation("image", "occlusion")(x, p, torch.Generator().manual_seed(1))
    low = x.amin(dim=(1, 2, 3), keepdim=True)
    covered = ((y == low) & (x != low)).float().mean(dim=(1, 2, 3))
    assert torch.allclose(covered, torch.full_like(covered, round(p * 49) / 49), atol=1.5 / 784)  # 7x7 cells of 4x4 pixels
    assert abs(float(covered.mean()) - p) <= 0.5 / 49 + 1e-6


def test_salt_and_pepper_hits_the_fraction_and_contrast_shrinks_deviations():
    x = torch.rand(20, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = get_perturbation("image", "salt-pepper")(x, 0.3, torch.Generator().manual_seed(1))
    assert abs(float((y != x).float().mean()) - 0.3) < 0.01
    c = get_perturbation("image", "contrast")(x, 0.25, torch.Generator())
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    assert torch.allclose(c - mean, 0.75 * (x - mean), atol=1e-6)


def test_blur_keeps_a_constant_image_and_matches_scipy_inside():
    from scipy.ndimage import gaussian_filter

    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = get_perturbation("image", "blur")(x, 0.5, torch.Generator())
    ref = gaussian_filter(x[0, 0].numpy(), sigma=1.4, truncate=3 / 1.4 * math.ceil(3 * 1.4) / 3, mode="mirror")
    assert np.allclose(y[0, 0, 6:-6, 6:-6].numpy(), ref[6:-6, 6:-6], atol=1e-10)
    flat = torch.full((2, 1, 28, 28), 3.0)
    assert torch.allclose(get_perturbation("image", "blur")(flat, 1.0, torch.Generator()), flat)


def test_spectrogram_masks_cover_one_band_and_time_shift_moves_frames():
    x = torch.rand(4, 1, 40, 50, generator=torch.Generator().manual_seed(0)) + 1
    low = x.amin(dim=(1, 2, 3), keepdim=True)
    t = get_perturbation("spectrogram", "time-mask")(x, 0.2, torch.Generator().manual_seed(1))
    frames = (t == low).all(dim=2).squeeze(1)  # (B, T): whole frames silenced
    assert frames.sum(1).tolist() == [10] * 4
    assert all(np.all(np.diff(np.flatnonzero(row)) == 1) for row in frames.numpy())  # one contiguous band
    f = get_perturbation("spectrogram", "freq-mask")(x, 0.25, torch.Generator().manual_seed(1))
    assert (f == low).all(dim=3).squeeze(1).sum(1).tolist() == [10] * 4
    s = get_perturbation("spectrogram", "time-shift")(x, 0.4, torch.Generator().manual_seed(2))  # 10 frames
    for b in range(4):
        if torch.equal(s[b, ..., 10:], x[b, ..., :-10]):
            assert (s[b, ..., :10] == low[b]).all()
        else:
            assert torch.equal(s[b, ..., :-10], x[b, ..., 10:]) and (s[b, ..., -10:] == low[b]).all()


def test_vector_noise_is_scaled_by_the_training_std_and_dropout_uses_the_mean():
    train = torch.randn(4000, 3) * torch.tensor([1.0, 10.0, 0.1]) + 5
    ctx = PerturbContext(feature_mean=train.mean(0), feature_std=train.std(0))
    x = torch.zeros(20000, 3)
    y = get_perturbation("vector", "gaussian")(x, 0.5, torch.Generator().manual_seed(0), ctx)
    assert torch.allclose(y.std(0), 0.5 * ctx.feature_std, rtol=0.03)
    d = get_perturbation("vector", "dropout")(x, 0.3, torch.Generator().manual_seed(0), ctx)
    hit = d != 0
    assert abs(float(hit.float().mean()) - 0.3) < 0.01
    assert torch.allclose(d[hit[:, 1], 1], ctx.feature_mean[1].expand(int(hit[:, 1].sum())))


def test_sequence_frame_dropping_and_truncation():
    x = torch.arange(1, 31, dtype=torch.float32).view(3, 10, 1).repeat(1, 1, 2)
    lengths = torch.tensor([10, 6, 3])
    y, n = truncation(x, lengths, 0.5, torch.Generator())
    assert n.tolist() == [5, 3, 2] and torch.equal(y[0, :5], x[0, :5]) and (y[0, 5:] == 0).all()
    y, n = frame_dropping(x, lengths, 0.5, torch.Generator().manual_seed(0))
    for b in range(3):
        kept = y[b, : n[b], 0].tolist()
        assert 1 <= n[b] <= lengths[b] and kept == sorted(kept) and set(kept) <= set(x[b, : lengths[b], 0].tolist())
        assert (y[b, n[b]:] == 0).all()
    many = torch.zeros(2000, 20, 1)
    _, n = frame_dropping(many, torch.full((2000,), 20), 0.3, torch.Generator().manual_seed(0))
    assert abs(float(n.float().mean()) / 20 - 0.7) < 0.01


@pytest.mark.parametrize("kind,name,level,message", [
    ("image", "snr", 0.5, "'snr' is unknown for kind 'image'; choose from gaussian, blur"),
    ("text", None, 0.5, "kind 'text' has no perturbations"),
    ("image", "gaussian", 1.5, "outside [0, 1]"),
    ("image", "gaussian", -0.1, "outside [0, 1]"),
])
def test_bad_perturbations_and_levels_are_clear_errors(kind, name, level, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        get_perturbation(kind, name)(torch.zeros(1, 1, 4, 4), level, torch.Generator())
