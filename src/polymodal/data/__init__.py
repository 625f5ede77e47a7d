"""Multimodal data: samples as dicts of named modalities plus a label, and the built-in data sets."""

from polymodal.data.avmnist import load_avmnist
from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.digits import load_digits
from polymodal.data.mfeat import load_mfeat
from polymodal.data.registry import DATASETS, dataset_names, load_dataset

__all__ = [
    "DATASETS", "ModalitySpec", "MultimodalDataset", "MultimodalSplit", "dataset_names",
    "load_avmnist", "load_dataset", "load_digits", "load_mfeat",
]
