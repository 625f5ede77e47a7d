import time

import numpy as np
import pytest

from polymodal.data import load_avmnist, load_dataset
from polymodal.data.avmnist import parse_snr
from polymodal.data.mnist_idx import read_mnist
from polymodal.errors import ConfigError, DataFileError


def test_shapes_and_split_sizes(avmnist):
    assert {m: s.shape for m, s in avmnist.modalities.items()} == {"image": (1, 28, 28), "audio": (1, 112, 112)}
    assert {k: len(s) for k, s in avmnist.splits.items()} == {"train": 7000, "val": 1000, "test": 2000}
    batch = avmnist.splits["test"][0]["inputs"]
    assert batch["image"].shape == (1, 28, 28) and batch["audio"].shape == (1, 112, 112)
    for split in avmnist.splits.values():
        assert np.isfinite(split.inputs["audio"].numpy()).all() and np.isfinite(split.inputs["image"].numpy()).all()


def test_labels_are_balanced_and_match_mnist(avmnist, data_dir):
    _, mnist_labels = read_mnist(data_dir / "mnist")
    for name, split in avmnist.splits.items():
        idx = np.array(split.meta["mnist_indices"])
        assert np.array_equal(split.labels.numpy(), mnist_labels[idx])
        frac = np.bincount(split.labels.numpy(), minlength=10) / len(split)
        assert np.abs(frac - np.bincount(mnist_labels) / 10000).max() < 0.005, name
    all_idx = np.concatenate([s.meta["mnist_indices"] for s in avmnist.splits.values()])
    assert sorted(all_idx.tolist()) == list(range(10000))


def test_no_recording_in_two_splits_and_pairs_share_the_digit(avmnist):
    files = {k: set(s.meta["audio_files"]) for k, s in avmnist.splits.items()}
    assert not files["train"] & files["val"] and not files["train"] & files["test"] and not files["val"] & files["test"]
    assert {int(f.split("_")[2][:-4]) for f in files["test"]} == set(range(5))  # FSDD's test takes
    assert len(files["test"]) == 300 and len(files["val"]) == 300 and len(files["train"]) == 2400
    for split in avmnist.splits.values():
        digits = np.array([int(split.meta["audio_files"][r][0]) for r in split.rows["audio"]])
        assert np.array_equal(digits, split.labels.numpy())
        uses = np.bincount(split.rows["audio"].numpy(), minlength=len(split.meta["audio_files"]))
        bank_digit = np.array([int(f[0]) for f in split.meta["audio_files"]])
        for d in range(10):  # within a digit, recordings are dealt in turn
            assert np.ptp(uses[bank_digit == d]) <= 1


def test_image_keeps_the_fewest_components_reaching_25_percent(avmnist, data_dir):
    images, _ = read_mnist(data_dir / "mnist")
    train = images[avmnist.splits["train"].meta["mnist_indices"]].reshape(-1, 784) / 255.0
    centred = train - train.mean(0)
    s = np.linalg.svd(centred, compute_uv=False)
    ratio = np.cumsum(s**2) / np.sum(s**2)
    k = int(np.argmax(ratio >= 0.25)) + 1
    assert f"from {k} principal components" in avmnist.modalities["image"].description
    # the reconstruction lies in a k-dimensional affine subspace
    rec = avmnist.splits["test"].inputs["image"].reshape(2000, -1).numpy().astype(np.float64)
    sv = np.linalg.svd(rec - rec.mean(0), compute_uv=False)
    assert sv[k] < 1e-3 * sv[0]


def test_build_is_cached_deterministic_and_noise_is_an_option(avmnist, data_dir, cache_dir):
    start = time.perf_counter()
    again = load_avmnist(data_dir, cache_dir=cache_dir)
    assert time.perf_counter() - start < 5  # read from the cache, not rebuilt
    assert np.array_equal(again.splits["test"].inputs["audio"], avmnist.splits["test"].inputs["audio"])
    clean = load_avmnist(data_dir, snr_db="clean", cache_dir=cache_dir / "other")
    assert np.array_equal(clean.splits["test"].inputs["image"], avmnist.splits["test"].inputs["image"])
    assert not np.allclose(clean.splits["test"].inputs["audio"], avmnist.splits["test"].inputs["audio"])
    assert clean.options["snr_db"] == "clean"


def test_bad_options_and_missing_files(tmp_path, data_dir):
    with pytest.raises(ConfigError, match="snr.*'loud'"):
        parse_snr("loud")
    with pytest.raises(DataFileError, match="missing data file .*t10k-images"):
        load_avmnist(tmp_path)
    (tmp_path / "mnist").mkdir()
    for f in (data_dir / "mnist").iterdir():
        (tmp_path / "mnist" / f.name).write_bytes(f.read_bytes())
    with pytest.raises(DataFileError, match="missing data folder .*recordings.*Free Spoken Digit"):
        load_dataset("avmnist", tmp_path)


def test_the_kept_recordings_and_front_end_reproduce_the_audio_exactly(avmnist):
    import torch

    for split in avmnist.splits.values():
        source = split.waveforms["audio"]
        assert source.signals.shape == (len(split.inputs["audio"]), 8000)
        assert torch.equal(source.front_end(source.signals), split.inputs["audio"])
    test = avmnist.splits["test"]
    idx = torch.tensor([0, 5, 9])
    assert torch.equal(test.waveforms_at("audio", idx), test.waveforms["audio"].signals[test.rows["audio"][idx]])
