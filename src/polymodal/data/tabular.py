"""Build a data set of vector views: stratified split, standardisation on the training split."""

from __future__ import annotations

import numpy as np
import torch

from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.splits import standardize, stratified_split


def vector_views_dataset(
    name: str,
    views: dict[str, np.ndarray],
    labels: np.ndarray,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    view_descriptions: dict[str, str],
    description: str,
    options: dict,
) -> MultimodalDataset:
    """A :class:`MultimodalDataset` from several vector views of the same samples.

    Args:
        name: data set name.
        views: ``{view: (N, d_view)}`` arrays, row ``i`` of every view is the same sample.
        labels: ``(N,)`` integer labels ``0..C-1``.
        seed: seed of the stratified split.
        val_fraction: fraction of samples for validation.
        test_fraction: fraction of samples for test.
        view_descriptions: one sentence per view.
        description: provenance of the data set.
        options: options it was built with.

    Returns:
        The data set, every view standardised with training-split statistics; each split's
        ``meta["source_rows"]`` gives the row of ``views`` that each sample comes from.
    """
    idx = stratified_split(labels, val_fraction, test_fraction, seed)
    per_view = {v: standardize({k: x[i].astype(np.float64) for k, i in idx.items()}) for v, x in views.items()}
    splits = {
        k: MultimodalSplit(
            {v: torch.from_numpy(per_view[v][k]) for v in views},
            torch.from_numpy(labels[i]),
            meta={"source_rows": i.tolist()},
        )
        for k, i in idx.items()
    }
    specs = {v: ModalitySpec(v, "vector", (x.shape[1],), view_descriptions[v]) for v, x in views.items()}
    return MultimodalDataset(name, specs, int(labels.max()) + 1, splits, description, options)
