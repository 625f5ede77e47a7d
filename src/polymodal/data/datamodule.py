"""A LightningDataModule over a :class:`~polymodal.data.dataset.MultimodalDataset`, for users who bring their own Trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader

from polymodal.checks import positive_int
from polymodal.data.dataset import MultimodalDataset
from polymodal.data.loader import batch_loader


class MultimodalDataModule(pl.LightningDataModule):
    """Train, validation and test loaders of whole batches ``{"inputs": {m: (B, ...)}, "label": (B,), "index": (B,)}``.

    Args:
        dataset: a data set, or the name or path :func:`~polymodal.data.registry.load_dataset`
            accepts (built in, ``.npz``, ``.toml``), loaded in :meth:`setup`.
        batch_size: samples per batch.
        seed: seed of the training shuffling (and of the split, for a name or path).
        data_dir: folder of the built-in data sets read from files.

    Example::

        dm = MultimodalDataModule("my_data.npz", batch_size=64)
        trainer.fit(model, datamodule=dm)
    """

    def __init__(self, dataset: MultimodalDataset | str | Path, batch_size: int = 64, seed: int = 0,
                 data_dir: str | Path | None = None) -> None:
        super().__init__()
        self.source, self.data_dir = dataset, data_dir
        self.batch_size, self.seed = positive_int(batch_size, "batch_size"), seed
        self.dataset: MultimodalDataset | None = dataset if isinstance(dataset, MultimodalDataset) else None

    def setup(self, stage: str | None = None) -> None:
        if self.dataset is None:
            from polymodal.data.registry import load_dataset

            self.dataset = load_dataset(str(self.source), self.data_dir, seed=self.seed)

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        self.setup()
        assert self.dataset is not None
        generator = torch.Generator().manual_seed(self.seed) if shuffle else None
        return batch_loader(self.dataset.splits[split], self.batch_size, shuffle=shuffle, generator=generator)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def state_dict(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "seed": self.seed}
