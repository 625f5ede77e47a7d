"""Fixed, stratified, seeded splits."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """Split sample indices into train/val/test, each with the label proportions of the whole.

    Args:
        labels: ``(N,)`` class labels.
        val_fraction: fraction of all samples for validation.
        test_fraction: fraction of all samples for test.
        seed: the split depends on nothing else.

    Returns:
        ``{"train": idx, "val": idx, "test": idx}``, sorted index arrays that partition ``0..N-1``.
    """
    idx = np.arange(len(labels))
    rest, test = train_test_split(idx, test_size=test_fraction, stratify=labels, random_state=seed)
    train, val = train_test_split(
        rest, test_size=val_fraction / (1.0 - test_fraction), stratify=labels[rest], random_state=seed
    )
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def standardize(splits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Standardise every split with the mean and standard deviation of the training split.

    Args:
        splits: ``{split: (N_split, d)}`` float arrays; must contain ``"train"``.

    Returns:
        The same splits, centred and scaled per feature (constant features are only centred).
    """
    mean = splits["train"].mean(axis=0)
    std = splits["train"].std(axis=0)
    std[std == 0] = 1.0
    return {k: ((v - mean) / std).astype(np.float32) for k, v in splits.items()}
