"""``avmnist-seq``: AV-MNIST with its audio as a variable-length sequence of log-mel (or MFCC) frames."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from polymodal.data.audio import SEQUENCE_FRONT_ENDS, add_white_noise
from polymodal.data.avmnist import _cache_key, _recording_seed, avmnist_arrays, parse_snr, take_split
from polymodal.data.cache import cache_dir as resolve_cache_dir
from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.fsdd import FSDD_RATE, list_recordings, read_recording
from polymodal.data.padded import Padded
from polymodal.errors import ConfigError
from polymodal.io import atomic_write

SEQ_BUILD_VERSION = 1


def _sequences(data_dir: Path, snr: float | None, seed: int, features: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values (R, T_max, d) standardised, lengths (R,), names (R,))`` for every recording, in file-name order."""
    recordings = list_recordings(data_dir / "fsdd" / "recordings")
    front_end = SEQUENCE_FRONT_ENDS[features]
    frames = []
    for rec in recordings:
        x = read_recording(rec.path)
        if snr is not None:
            rng = np.random.default_rng(_recording_seed(rec.path.name, seed))
            x = add_white_noise(x, float(np.mean(x.astype(np.float64) ** 2)), snr, rng)
        frames.append(front_end(x, FSDD_RATE))
    lengths = np.array([len(f) for f in frames], dtype=np.int64)
    train = np.array([take_split(r.take) == "train" for r in recordings])
    steps = np.concatenate([f for f, t in zip(frames, train) if t]).astype(np.float64)
    mean, std = steps.mean(0), steps.std(0)
    values = np.zeros((len(frames), int(lengths.max()), frames[0].shape[1]), dtype=np.float32)
    for i, f in enumerate(frames):
        values[i, : len(f)] = (f - mean) / std
    return values, lengths, np.array([r.path.name for r in recordings])


def load_avmnist_seq(data_dir: str | Path, snr_db: str | float | None = -10.0, seed: int = 0,
                     cache_dir: str | Path | None = None, features: str = "log-mel") -> MultimodalDataset:
    """The pairs, image modality and split of :func:`~polymodal.data.avmnist.load_avmnist`, with
    the audio as a sequence.

    - ``audio`` (T, d), T varies: the whole recording (0.14 to 2.28 s, not a 1 s window) with
      white noise at ``snr_db`` over its own length (seeded per recording), then 25 ms Hann
      frames every 10 ms as 40 log-mel energies (``features="log-mel"``) or 13 MFCCs
      (``"mfcc"``); standardised per coefficient over the steps of the training recordings.
      12 to 226 frames.

    Args:
        data_dir: folder laid out like ``shared/data``.
        snr_db: signal-to-noise ratio in dB, or ``"clean"``.
        seed: seed of the image split, the pairing and the noise.
        cache_dir: where to cache the build.
        features: ``"log-mel"`` or ``"mfcc"``.
    """
    if features not in SEQUENCE_FRONT_ENDS:
        raise ConfigError(f"features: {features!r} is unknown; choose from {', '.join(SEQUENCE_FRONT_ENDS)}")
    data_dir = Path(data_dir)
    snr = parse_snr(snr_db)
    arrays = avmnist_arrays(data_dir, snr, seed, cache_dir)
    key = hashlib.sha256(f"{SEQ_BUILD_VERSION}-{features}-{_cache_key(data_dir, snr, seed)}".encode()).hexdigest()[:16]
    path = resolve_cache_dir(cache_dir) / f"avmnist-seq-{key}.npz"
    if path.is_file():
        with np.load(path) as f:
            values, lengths, names = f["values"], f["lengths"], f["names"]
    else:
        values, lengths, names = _sequences(data_dir, snr, seed, features)
        atomic_write(path, lambda tmp: np.savez_compressed(open(tmp, "wb"), values=values, lengths=lengths, names=names))
    if not np.array_equal(names, arrays["recording_names"]):
        raise ConfigError(f"cached sequences {path} do not match the recordings; delete the file and rerun")
    images = torch.from_numpy(arrays["images"]).unsqueeze(1)
    labels = torch.from_numpy(arrays["labels"])
    audio = Padded(torch.from_numpy(values), torch.from_numpy(lengths))
    splits = {}
    for split in ("train", "val", "test"):
        img_idx, rec_idx = arrays[f"{split}_images"], arrays[f"{split}_recordings"]
        bank, rows = np.unique(rec_idx, return_inverse=True)
        splits[split] = MultimodalSplit(
            {"image": images[img_idx], "audio": audio[torch.from_numpy(bank)]},
            labels[img_idx],
            rows={"audio": torch.from_numpy(rows.astype(np.int64))},
            meta={"audio_files": names[bank].tolist(), "mnist_indices": img_idx.tolist()},
        )
    n_comp = int(arrays["pca_components"])
    modalities = {
        "image": ModalitySpec("image", "image", (1, 28, 28),
                              f"MNIST digit reconstructed from {n_comp} principal components"),
        "audio": ModalitySpec("audio", "sequence", tuple(values.shape[1:]),
                              f"FSDD spoken digit, whole recording, {features} frames, "
                              + ("clean" if snr is None else f"white noise at {snr:g} dB SNR")),
    }
    return MultimodalDataset(
        "avmnist-seq", modalities, 10, splits,
        "AV-MNIST with the audio as a variable-length sequence (MNIST and FSDD, CC BY-SA)",
        {"seed": seed, "snr_db": "clean" if snr is None else snr, "features": features, "data_dir": str(data_dir)},
    )
