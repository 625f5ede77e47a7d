"""Data sets selectable by name: ``digits`` and the synthetic ones (built in), ``mfeat`` and ``avmnist`` (from files)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any, Callable

from polymodal.data.avmnist import load_avmnist
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
    **{f"bits-{gate}": (partial(load_bitwise, gate), False) for gate in GATES},
    **{f"latent-{kind}": (partial(load_latent, kind), False) for kind in INTERACTIONS},
    "hetero-groups": (load_hetero_groups, False),
}


def dataset_names() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return list(DATASETS)


def load_dataset(name: str, data_dir: str | Path | None = None, **options: Any) -> MultimodalDataset:
    """Load a built-in data set by name.

    Args:
        name: one of :func:`dataset_names`.
        data_dir: folder laid out like ``shared/data`` (``mnist/``, ``fsdd/recordings/``,
            ``mfeat/``); defaults to ``$POLYMODAL_DATA_DIR``. Not needed for ``digits``.
        **options: loader options (``seed``; for ``avmnist`` also ``snr_db``, ``cache_dir``).

    Raises:
        ConfigError: unknown name or option.
        DataFileError: a data set that needs files has no data directory, or it does not exist.
    """
    if name not in DATASETS:
        raise ConfigError(f"dataset {name!r} is unknown; choose from {', '.join(DATASETS)}")
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
