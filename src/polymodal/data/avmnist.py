"""The built-in ``avmnist`` data set: AV-MNIST rebuilt from the raw MNIST and FSDD files."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from polymodal.data.audio import add_white_noise, fit_length, log_spectrogram
from polymodal.data.cache import cache_dir as resolve_cache_dir
from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.waveforms import StandardisedLogSpectrogram, WaveformSource
from polymodal.data.fsdd import FSDD_SOURCE, list_recordings, read_recording
from polymodal.data.mnist_idx import read_mnist
from polymodal.data.splits import stratified_split
from polymodal.errors import ConfigError, DataFileError
from polymodal.io import atomic_write

BUILD_VERSION = 2  # 2: the audio windows and the spectrogram statistics are kept
WINDOW = 8000  # 1 s at 8 kHz: 99.3% of FSDD recordings fit whole
ENERGY_KEPT = 0.25
VAL_TAKES = range(5, 10)
TEST_TAKES = range(0, 5)


def take_split(take: int) -> str:
    """FSDD's convention: takes 0-4 are test; polymodal takes 5-9 for validation, 10-49 for training."""
    if take in TEST_TAKES:
        return "test"
    return "val" if take in VAL_TAKES else "train"


def parse_snr(snr: str | float | None) -> float | None:
    """``"clean"`` or ``None`` means no noise; otherwise the SNR in dB as a float."""
    if snr is None or (isinstance(snr, str) and snr.strip().lower() == "clean"):
        return None
    try:
        return float(snr)
    except ValueError:
        raise ConfigError(f"snr: {snr!r} is neither a number of decibels (e.g. -10) nor 'clean'") from None


def _recording_seed(name: str, seed: int) -> int:
    return zlib.crc32(name.encode()) ^ (seed * 0x9E3779B1 & 0xFFFFFFFF)


def _build(data_dir: Path, snr_db: float | None, seed: int) -> dict[str, np.ndarray]:
    images, labels = read_mnist(data_dir / "mnist")
    recordings = list_recordings(data_dir / "fsdd" / "recordings")
    idx = stratified_split(labels, val_fraction=0.1, test_fraction=0.2, seed=seed)

    # Image: remove 75% of the energy with a PCA fitted on the training images only.
    flat = images.reshape(len(images), -1).astype(np.float32) / 255.0
    pca = PCA(svd_solver="full").fit(flat[idx["train"]])
    n_comp = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), ENERGY_KEPT) + 1)
    pca = PCA(n_components=n_comp, svd_solver="full").fit(flat[idx["train"]])
    recon = pca.inverse_transform(pca.transform(flat)).astype(np.float32)
    recon = (recon - recon[idx["train"]].mean()) / recon[idx["train"]].std()

    # Audio: 1 s window, white noise seeded per recording, 112x112 log-spectrogram.
    windows = np.empty((len(recordings), WINDOW), dtype=np.float32)
    for i, rec in enumerate(recordings):
        x = read_recording(rec.path)
        window = fit_length(x, WINDOW)
        if snr_db is not None:
            rng = np.random.default_rng(_recording_seed(rec.path.name, seed))
            window = add_white_noise(window, float(np.mean(x.astype(np.float64) ** 2)), snr_db, rng)
        windows[i] = window
    spec = log_spectrogram(windows)
    rec_split = np.array([take_split(r.take) for r in recordings])
    train_spec = spec[rec_split == "train"]
    spec_mean, spec_std = train_spec.mean(), train_spec.std()  # float32, as the front end computes
    spec = (spec - spec_mean) / spec_std

    # Pairing: within each split and digit, shuffle the images and deal the recordings in turn.
    rec_digit = np.array([r.digit for r in recordings])
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {
        "images": recon.reshape(-1, 28, 28),
        "labels": labels,
        "spectrograms": spec,
        "windows": windows,
        "spec_stats": np.array([spec_mean, spec_std]),
        "recording_names": np.array([r.path.name for r in recordings]),
        "pca_components": np.array(n_comp),
        "pca_explained": np.array(pca.explained_variance_ratio_.sum()),
    }
    for split, img_idx in idx.items():
        rec_ids = np.flatnonzero(rec_split == split)
        pairs = np.empty(len(img_idx), dtype=np.int64)
        for digit in range(10):
            imgs = np.flatnonzero(labels[img_idx] == digit)
            recs = rec_ids[rec_digit[rec_ids] == digit]
            if len(recs) == 0:
                raise DataFileError(f"no recording of digit {digit} for split {split!r} in the FSDD folder; obtain all of {FSDD_SOURCE}")
            pairs[imgs[rng.permutation(len(imgs))]] = recs[np.arange(len(imgs)) % len(recs)]
        out[f"{split}_images"] = img_idx
        out[f"{split}_recordings"] = pairs
    return out


def _cache_key(data_dir: Path, snr_db: float | None, seed: int) -> str:
    files = sorted((data_dir / "mnist").glob("t10k-*")) + sorted((data_dir / "fsdd" / "recordings").glob("*.wav"))
    fingerprint = [(p.name, p.stat().st_size) for p in files]
    blob = json.dumps([BUILD_VERSION, snr_db, seed, fingerprint]).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def avmnist_arrays(data_dir: Path, snr: float | None, seed: int, cache_dir: str | Path | None) -> dict[str, np.ndarray]:
    """The built AV-MNIST arrays (images, spectrograms, pairs per split), from the cache or built and cached."""
    read_mnist(data_dir / "mnist")  # validate inputs before any cache lookup
    list_recordings(data_dir / "fsdd" / "recordings")
    path = resolve_cache_dir(cache_dir) / f"avmnist-{_cache_key(data_dir, snr, seed)}.npz"
    if path.is_file():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    arrays = _build(data_dir, snr, seed)
    atomic_write(path, lambda tmp: np.savez(open(tmp, "wb"), **arrays))
    return arrays


def load_avmnist(
    data_dir: str | Path,
    snr_db: str | float | None = -10.0,
    seed: int = 0,
    cache_dir: str | Path | None = None,
) -> MultimodalDataset:
    """AV-MNIST (Vielzeuf et al. 2018, as used by MultiBench) rebuilt from the raw files.

    Provenance: the 10,000 MNIST test images (LeCun, Cortes, Burges; CC BY-SA 3.0) from
    ``<data_dir>/mnist/t10k-*-ubyte.gz`` and the 3,000 Free Spoken Digit recordings (Jackson et
    al.; CC BY-SA 4.0) from ``<data_dir>/fsdd/recordings/``. Derived data stay CC BY-SA.

    - ``image`` (1, 28, 28): each image with 75% of its energy removed: a PCA fitted on the
      training images keeps the fewest components whose explained variance reaches 25%, and
      the image is reconstructed from them; standardised with training statistics.
    - ``audio`` (1, 112, 112): a recording of the same digit, centred in a 1 s window
      (zero-padded or cropped), mixed with white Gaussian noise at ``snr_db`` relative to the
      recording's own power (seeded per recording, so every build is identical), turned into
      a log power spectrogram (Hann window of 222 samples, hop 70: 112 bins x 112 frames);
      standardised with training statistics. The noisy 1 s windows are kept as the split's
    ``waveforms["audio"]`` with this front end, so audio perturbations act on the signal. Clean audio makes fusion pointless (a logistic
      regression on clean spectrograms is near 97%), so noise is on by default, as in the
      original benchmark where neither modality alone suffices.

    Split: the 10,000 images are split stratified and seeded into 7,000 train / 1,000
    validation / 2,000 test. Recordings are split by take, so that no recording appears in
    two splits: takes 0-4 test (FSDD's own convention, 300 recordings), 5-9 validation (300),
    10-49 train (2,400). Within each split and digit, images are shuffled with the seed and
    the recordings, in sorted file-name order, are dealt to them in turn, so each recording
    is paired with about the same number of images.

    The build takes some seconds and is cached in ``cache_dir`` (default: the user cache
    directory, or ``$POLYMODAL_CACHE_DIR``), keyed by the options and the input files.

    Args:
        data_dir: folder laid out like ``shared/data`` (``mnist/``, ``fsdd/recordings/``).
        snr_db: signal-to-noise ratio of the audio in dB, or ``"clean"``/``None`` for no noise.
        seed: seed of the image split, the pairing and the noise.
        cache_dir: where to cache the build.

    Returns:
        A data set with modalities ``image`` and ``audio`` and 10 classes.
    """
    data_dir = Path(data_dir)
    snr = parse_snr(snr_db)
    arrays = avmnist_arrays(data_dir, snr, seed, cache_dir)

    images = torch.from_numpy(arrays["images"]).unsqueeze(1)
    spectrograms = torch.from_numpy(arrays["spectrograms"]).unsqueeze(1)
    labels = torch.from_numpy(arrays["labels"])
    names = arrays["recording_names"]
    windows = torch.from_numpy(arrays["windows"])
    front_end = StandardisedLogSpectrogram(*(float(v) for v in arrays["spec_stats"]))
    splits = {}
    for split in ("train", "val", "test"):
        img_idx, rec_idx = arrays[f"{split}_images"], arrays[f"{split}_recordings"]
        bank, rows = np.unique(rec_idx, return_inverse=True)
        splits[split] = MultimodalSplit(
            {"image": images[img_idx], "audio": spectrograms[bank]},
            labels[img_idx],
            rows={"audio": torch.from_numpy(rows.astype(np.int64))},
            meta={"audio_files": names[bank].tolist(), "mnist_indices": img_idx.tolist()},
            waveforms={"audio": WaveformSource(windows[bank], front_end)},
        )
    n_comp, explained = int(arrays["pca_components"]), float(arrays["pca_explained"])
    modalities = {
        "image": ModalitySpec(
            "image", "image", (1, 28, 28),
            f"MNIST digit reconstructed from {n_comp} principal components ({explained:.1%} of the variance)",
        ),
        "audio": ModalitySpec(
            "audio", "spectrogram", (1, 112, 112),
            "FSDD spoken digit, log power spectrogram, "
            + ("clean" if snr is None else f"white noise at {snr:g} dB SNR"),
        ),
    }
    return MultimodalDataset(
        "avmnist",
        modalities,
        10,
        splits,
        "AV-MNIST: MNIST test images paired by label with Free Spoken Digit recordings (CC BY-SA)",
        {"seed": seed, "snr_db": "clean" if snr is None else snr, "data_dir": str(data_dir)},
    )
