"""Data sets selectable by name: ``digits`` and the synthetic ones (built in), ``mfeat``, ``avmnist`` and
``avmnist-seq`` (from files), or a user's own ``.npz`` file or TOML manifest by its path."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any, Callable

from polymodal.data.avmnist import load_avmnist
from polymodal.data.avmnist_seq import load_avmnist_seq
from polymodal.data.dataset import MultimodalDataset
from polymodal.data.digits import load_digits
from polymodal.data.mfeat import load_mfeat
from polymodal.data.synthetic import GATES, INTERACTIONS, load_bitwise, load_hetero_groups, load_latent
from polymodal.errors import ConfigError, DataFileError

DATA_DIR_ENV = "POLYMODAL_DATA_DIR"
#: name -> (loader, needs a data directory)
DATASETS: dict[str, tuple[Callable[..., MultimodalDataset], bool]] = {
    "digits": (load_digits, False),
    "mfeat": (load_mfeat, True),
    "avmnist": (load_avmnist, True),
    "avmnist-seq": (load_avmnist_seq, True),
    **{f"bits-{gate}": (partial(load_bitwise, gate), False) for gate in GATES},
    **{f"latent-{kind}": (partial(load_latent, kind), False) for kind in INTERACTIONS},
    "hetero-groups": (load_hetero_groups, False),
}


def dataset_names() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return list(DATASETS)


#: suffixes of the files ``--dataset PATH`` accepts
DATA_FILE_SUFFIXES = (".npz", ".toml")


def is_data_file(name: str) -> bool:
    """Whether ``--dataset`` names a file (``.npz`` or ``.toml``) rather than a built-in data set."""
    return Path(name).suffix.lower() in DATA_FILE_SUFFIXES


def load_data_file(path: str | Path, seed: int = 0, **options: Any) -> MultimodalDataset:
    """A user's data set: an ``.npz`` (:func:`~polymodal.data.npz.load_npz`) or a TOML manifest
    (:func:`~polymodal.data.manifest.load_manifest`). Options of the built-in data sets (``snr_db``,
    ``cache_dir``, ``data_dir``) do not apply and are ignored."""
    from polymodal.data.manifest import load_manifest
    from polymodal.data.npz import load_npz

    path = Path(path)
    return load_npz(path, seed=seed) if path.suffix.lower() == ".npz" else load_manifest(path, seed=seed)


def load_dataset(name: str, data_dir: str | Path | None = None, **options: Any) -> MultimodalDataset:
    """Load a built-in data set by name.

    Args:
        name: one of :func:`dataset_names`, or the path of an ``.npz`` file or a ``.toml``
            manifest (see :func:`load_data_file`).
        data_dir: folder laid out like ``shared/data`` (``mnist/``, ``fsdd/recordings/``,
            ``mfeat/``); defaults to ``$POLYMODAL_DATA_DIR``. Not needed for ``digits``.
        **options: loader options (``seed``; for ``avmnist`` also ``snr_db``, ``cache_dir``).

    Raises:
        ConfigError: unknown name or option.
        DataFileError: a data set that needs files has no data directory, or it does not exist.
    """
    if name not in DATASETS and is_data_file(name):
        return load_data_file(name, **options)
    if name not in DATASETS:
        raise ConfigError(f"dataset {name!r} is unknown; choose from {', '.join(DATASETS)}, or give the path of "
                          "an .npz file or a .toml manifest")
    loader, needs_files = DATASETS[name]
    if needs_files:
        data_dir = data_dir or os.environ.get(DATA_DIR_ENV)
        if not data_dir:
            raise DataFileError(
                f"dataset {name!r} is read from files: pass --data-dir DIR (a folder with mnist/, fsdd/recordings/, "
                f"mfeat/ as described in the README) or set {DATA_DIR_ENV}"
            )
        if not Path(data_dir).is_dir():
            raise DataFileError(f"data directory {data_dir} does not exist; pass --data-dir with the folder holding mnist/, fsdd/, mfeat/")
        options["data_dir"] = data_dir
    try:
        return loader(**options)
    except TypeError as exc:
        raise ConfigError(f"dataset {name!r}: bad option ({exc})") from None
