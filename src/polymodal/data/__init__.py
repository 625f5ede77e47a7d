"""Multimodal data: samples as dicts of named modalities plus a label, and the built-in data sets."""

from polymodal.data.avmnist import load_avmnist
from polymodal.data.arrays import from_arrays
from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.kinds import KINDS, ModalityKind
from polymodal.data.padded import Padded
from polymodal.data.digits import load_digits
from polymodal.data.mfeat import load_mfeat
from polymodal.data.registry import DATASETS, dataset_names, load_dataset

__all__ = [
    "DATASETS", "KINDS", "ModalityKind", "ModalitySpec", "MultimodalDataModule", "MultimodalDataset", "MultimodalSplit",
    "Padded", "dataset_names", "from_arrays", "load_avmnist", "load_dataset", "load_digits", "load_mfeat",
]


def __getattr__(name: str):
    if name == "MultimodalDataModule":  # imports Lightning, so only when asked for
        from polymodal.data.datamodule import MultimodalDataModule

        return MultimodalDataModule
    raise AttributeError(f"module 'polymodal.data' has no attribute {name!r}")
