"""Data loaders that cut a batch out of each modality's tensor at once, not sample by sample.

PyTorch's default loader calls ``split[i]`` once per sample, building a dict per sample, then
stacks the dicts (``default_collate``). :func:`batch_loader` gives the same batches, in the
same order for the same generator, by indexing each modality once per batch (the loader's
``__getitems__`` protocol); the split itself keeps its per-sample ``__getitem__``, so any other
loader over it works as before.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch.utils.data import DataLoader, Dataset

from polymodal.data.dataset import MultimodalSplit


class _WholeBatches(Dataset):
    """A split seen by a loader: ``__getitems__(indices)`` returns one collated batch."""

    def __init__(self, split: MultimodalSplit, transform: Any = None, generator: torch.Generator | None = None) -> None:
        self.split = split
        self.transform, self.generator = transform, generator

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.split[i]

    def __getitems__(self, indices: Sequence[int]) -> dict[str, Any]:
        batch = self.split.batch(indices)
        if self.transform is not None:
            batch["inputs"] = self.transform(self.split, batch, self.generator)
        return batch


def loader_generators(loader: DataLoader) -> dict[str, torch.Generator]:
    """The random generators a loader of :func:`batch_loader` draws from, those it has: ``shuffle``
    (the order of each epoch) and ``transform`` (the transform's draws, e.g. an augmentation's)."""
    generators = {"shuffle": loader.generator} if loader.generator is not None else {}
    if isinstance(loader.dataset, _WholeBatches) and loader.dataset.generator is not None:
        generators["transform"] = loader.dataset.generator
    return generators


def _already_collated(batch: dict[str, Any]) -> dict[str, Any]:
    return batch


def batch_loader(split: Dataset, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | None = None,
                 num_workers: int = 0, transform: Any = None, transform_seed: int = 0) -> DataLoader:
    """A loader over ``split`` yielding ``{"inputs": {m: (B, ...)}, "label": (B,), "index": (B,)}`` batches.

    For a :class:`MultimodalSplit` each batch is cut out of the tensors at once; the batches are
    the ones ``DataLoader(split, batch_size, shuffle=shuffle, generator=generator)`` gives, in the
    same order. Any other data set gets that plain loader.

    Args:
        split: the samples.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: reshuffle every epoch, drawing from ``generator``.
        generator: random generator of the shuffling.
        num_workers: loader worker processes (kept alive between epochs).
        transform: ``transform(split, batch, generator) -> inputs`` applied to every batch of a
            :class:`MultimodalSplit` (training-time augmentation, e.g. a
            :class:`~polymodal.robustness.corrupt.Corruptor`).
        transform_seed: seed of the transform's own random generator.
    """
    whole = isinstance(split, MultimodalSplit)
    if transform is not None and not whole:
        raise TypeError("batch_loader: a transform needs a MultimodalSplit")
    wrapped = _WholeBatches(split, transform, torch.Generator().manual_seed(transform_seed)) if whole else split
    return DataLoader(wrapped, batch_size=batch_size, shuffle=shuffle,
                      generator=generator, num_workers=num_workers, persistent_workers=num_workers > 0,
                      collate_fn=_already_collated if whole else None)


def loader_like(loader: DataLoader, *, shuffle: bool, generator: torch.Generator | None = None,
                augment: bool = True, transform_seed: int = 0) -> DataLoader:
    """A loader over ``loader``'s samples, in batches of its size, drawing from generators of its
    own: iterating it leaves ``loader``'s shuffling and augmentation where they were.

    Args:
        loader: a loader of :func:`batch_loader` (or any loader with a ``batch_size``).
        shuffle: reshuffle every epoch, drawing from ``generator``.
        generator: random generator of the shuffling.
        augment: keep ``loader``'s transform (a :class:`MultimodalSplit`'s augmentation); ``False``
            gives the samples as they are.
        transform_seed: seed of the transform's own random generator.
    """
    data = loader.dataset
    if isinstance(data, _WholeBatches):
        return batch_loader(data.split, loader.batch_size, shuffle=shuffle, generator=generator,
                            transform=data.transform if augment else None, transform_seed=transform_seed)
    return DataLoader(data, batch_size=loader.batch_size, shuffle=shuffle, generator=generator,
                      collate_fn=loader.collate_fn)
