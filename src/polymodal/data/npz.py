"""A data set from one ``.npz`` file: ``label``, optional ``split``, every other array a modality.

The convention:

- ``label``: ``(N,)`` integers or strings (strings become classes in sorted order);
- ``split`` (optional): ``(N,)`` ``train`` / ``val`` / ``test``; without it a seeded, stratified
  70/15/15 split;
- every other array ``NAME``: a modality ``(N, *shape)``, its kind from one sample's rank (1 a
  vector, 2 a sequence ``(T, d)``, 3 an image ``(C, H, W)``; strings are text);
- ``NAME_lengths``: ``(N,)`` true lengths of the padded sequence ``NAME``.

A manifest (:mod:`polymodal.data.manifest`) can point at an ``.npz`` and override the kinds.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from polymodal.data.arrays import from_arrays, to_arrays
from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import DataFileError, PolymodalError
from polymodal.io import atomic_write

LENGTHS_SUFFIX = "_lengths"


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of ``path`` (object arrays refused: the file is read without pickle).

    Raises:
        DataFileError: the file is missing or not a readable ``.npz``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist; pass --dataset with the path of an .npz or .toml file")
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DataFileError(f"data file {path} is not a readable .npz ({error}); write it with numpy.savez") from None


def split_npz_arrays(arrays: Mapping[str, np.ndarray], source: str) -> tuple[dict, Any, Any, dict]:
    """``(modalities, label, split, lengths)`` of the npz convention.

    Raises:
        DataFileError: no ``label``, no modality, or ``NAME_lengths`` without ``NAME``.
    """
    if "label" not in arrays:
        raise DataFileError(f"{source} has no 'label' array (it has {', '.join(arrays) or 'none'}); add label, "
                            "shape (N,), of integers or strings")
    lengths = {k[: -len(LENGTHS_SUFFIX)]: v for k, v in arrays.items() if k.endswith(LENGTHS_SUFFIX)}
    modalities = {k: v for k, v in arrays.items() if k not in ("label", "split") and not k.endswith(LENGTHS_SUFFIX)}
    orphans = [m for m in lengths if m not in modalities]
    if orphans:
        raise DataFileError(f"{source}: {orphans[0]}{LENGTHS_SUFFIX} has no modality {orphans[0]!r} to go with it")
    if not modalities:
        raise DataFileError(f"{source} holds no modality besides label and split; add one array per modality")
    return modalities, arrays["label"], arrays.get("split"), lengths


def load_npz(path: str | Path, seed: int = 0, kinds: Mapping[str, str] | None = None,
             standardise: bool | list[str] = False, text_encoder: str = "tokens") -> MultimodalDataset:
    """The data set of an ``.npz`` file that follows the convention above.

    Args:
        path: the file.
        seed: seed of the stratified split (when the file has no ``split``).
        kinds: ``{modality: kind}`` overriding the inferred kinds.
        standardise: standardise modalities with training statistics (``True`` or names).
        text_encoder: how string arrays are encoded (see :func:`~polymodal.data.arrays.from_arrays`).

    Raises:
        DataFileError: missing or unreadable file, or not in the convention; the message names the file.
    """
    path = Path(path)
    arrays = read_npz(path)
    modalities, label, split, lengths = split_npz_arrays(arrays, str(path))
    try:
        return from_arrays(modalities, label, name=path.stem, split=split, lengths=lengths, kinds=kinds,
                           standardise=standardise, seed=seed, text_encoder=text_encoder,
                           description=f"arrays of {path.name}", options={"path": str(path), "seed": seed})
    except PolymodalError as error:
        raise type(error)(f"{path}: {error}") from None


def save_npz(dataset: MultimodalDataset, path: str | Path) -> Path:
    """Write ``dataset`` (every split, with its ``split`` column and sequence lengths) to ``path``, atomically."""
    arrays = to_arrays(dataset)
    names = dataset.options.get("class_names")
    if names:  # the original labels: integers if every class name is one, else the strings
        values = np.asarray(names)
        try:
            values = values.astype(np.int64)
        except ValueError:
            pass
        arrays["label"] = values[arrays["label"]]
    return atomic_write(Path(path), lambda tmp: np.savez(open(tmp, "wb"), **arrays))
