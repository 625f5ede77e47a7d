"""Reader for MNIST's IDX files (gzip-compressed or not), with checks on every header field."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from polymodal.errors import DataFileError

MNIST_SOURCE = (
    "the original MNIST distribution (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0): "
    "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
)
_UBYTE = 0x08


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes.

    Args:
        path: ``*-idx{1,3}-ubyte`` file, optionally ``.gz``.

    Returns:
        ``uint8`` array whose shape is the one declared in the file's header.

    Raises:
        DataFileError: missing file, bad magic number, or fewer bytes than the header declares.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"missing data file {path}; obtain it from {MNIST_SOURCE}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise DataFileError(f"data file {path} cannot be read ({exc}); it is truncated or corrupt, obtain a fresh copy from {MNIST_SOURCE}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _UBYTE:
        raise DataFileError(f"data file {path} is not an IDX file of unsigned bytes; obtain a fresh copy from {MNIST_SOURCE}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"data file {path} is truncated inside its header; obtain a fresh copy from {MNIST_SOURCE}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) if shape else 0
    if len(raw) - header != expected:
        raise DataFileError(
            f"data file {path} holds {len(raw) - header} data bytes, its header declares {expected} "
            f"(shape {shape}): it is truncated; obtain a fresh copy from {MNIST_SOURCE}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_mnist(folder: str | Path, prefix: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    """Read MNIST images and labels from ``folder``.

    Args:
        folder: directory with ``{prefix}-images-idx3-ubyte[.gz]`` and ``{prefix}-labels-idx1-ubyte[.gz]``.
        prefix: ``"t10k"`` for the test set, ``"train"`` for the training set.

    Returns:
        ``(images (N, 28, 28) uint8, labels (N,) int64)``.
    """
    folder = Path(folder)

    def find(stem: str) -> Path:
        plain = folder / stem
        return plain if plain.is_file() else folder / f"{stem}.gz"

    images_path, labels_path = find(f"{prefix}-images-idx3-ubyte"), find(f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataFileError(f"data file {images_path} holds shape {images.shape}, expected (N, 28, 28)")
    if labels.ndim != 1 or len(labels) != len(images):
        raise DataFileError(f"data file {labels_path} holds {labels.shape} labels for {len(images)} images")
    if labels.max() > 9:
        raise DataFileError(f"data file {labels_path} has labels above 9; it is not MNIST")
    return images, labels.astype(np.int64)
