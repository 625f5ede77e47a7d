"""The data layer: a sample is a dict of named modalities plus a label.

A :class:`MultimodalDataset` declares its modalities (:class:`ModalitySpec`: name, kind, shape)
and holds its splits (``train``, ``val``, ``test``), each a :class:`MultimodalSplit` that
PyTorch's ``DataLoader`` batches into ``{"inputs": {name: (B, *shape)}, "label": (B,),
"index": (B,)}``. The ``index`` is the sample's position in its split, so that predictions
gathered from several processes can be matched back to samples exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from polymodal.data.waveforms import WaveformSource
from polymodal.errors import ConfigError, ShapeError

MODALITY_KINDS = ("vector", "image", "spectrogram")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ModalitySpec:
    """What one modality is.

    Attributes:
        name: key of the modality in every sample dict.
        kind: ``"vector"`` (shape ``(d,)``), ``"image"`` or ``"spectrogram"`` (shape ``(C, H, W)``).
        shape: shape of one sample, without the batch dimension.
        description: provenance and preprocessing, in a sentence.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in MODALITY_KINDS:
            raise ConfigError(
                f"modality {self.name!r}: kind {self.kind!r} is unknown; use one of {', '.join(MODALITY_KINDS)}"
            )
        expected_rank = 1 if self.kind == "vector" else 3
        if len(self.shape) != expected_rank or any(s <= 0 for s in self.shape):
            raise ConfigError(
                f"modality {self.name!r} of kind {self.kind!r} needs a shape of {expected_rank} positive "
                f"sizes, got {self.shape}"
            )


class MultimodalSplit(Dataset):
    """One split of a multimodal data set, held as tensors.

    Sample ``i`` of modality ``m`` is ``inputs[m][rows[m][i]]`` when ``m`` has a row index (a
    bank of items shared between samples, as AV-MNIST pairs many images with one recording),
    otherwise ``inputs[m][i]``.

    Args:
        inputs: ``{name: (N_m, *shape)}`` tensors, one per modality.
        labels: ``(N,)`` integer class labels.
        rows: optional ``{name: (N,)}`` indices into ``inputs[name]``.
        meta: provenance of the items, e.g. ``{"audio_files": [...]}``, one entry per bank item.
        waveforms: optional ``{name: WaveformSource}``, the recordings behind a spectrogram
            modality, aligned with ``inputs[name]`` (for perturbing audio as a signal).
    """

    def __init__(
        self,
        inputs: Mapping[str, torch.Tensor],
        labels: torch.Tensor,
        rows: Mapping[str, torch.Tensor] | None = None,
        meta: dict | None = None,
        waveforms: Mapping[str, WaveformSource] | None = None,
    ) -> None:
        self.inputs = dict(inputs)
        self.meta = dict(meta or {})
        self.waveforms = dict(waveforms or {})
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.rows = {k: torch.as_tensor(v, dtype=torch.long) for k, v in (rows or {}).items()}
        n = len(self.labels)
        for name, x in self.inputs.items():
            idx = self.rows.get(name)
            if idx is not None:
                if len(idx) != n:
                    raise ShapeError(f"modality {name!r}: row index has {len(idx)} entries, labels have {n}")
                if n and (int(idx.min()) < 0 or int(idx.max()) >= len(x)):
                    raise ShapeError(f"modality {name!r}: row index out of range for a bank of {len(x)} items")
            elif len(x) != n:
                raise ShapeError(f"modality {name!r} has {len(x)} samples but there are {n} labels")
        for name, source in self.waveforms.items():
            if name not in self.inputs or len(source.signals) != len(self.inputs[name]):
                raise ShapeError(f"waveforms of {name!r} must have one row per input row of that modality")

    def __len__(self) -> int:
        return len(self.labels)

    def modality(self, name: str) -> torch.Tensor:
        """All samples of one modality, ``(N, *shape)`` (materialises a row-indexed bank)."""
        x = self.inputs[name]
        return x[self.rows[name]] if name in self.rows else x

    def _inputs_at(self, i: int | torch.Tensor) -> dict[str, torch.Tensor]:
        """Every modality at sample(s) ``i``, through the row index of a bank."""
        return {name: x[self.rows[name][i]] if name in self.rows else x[i] for name, x in self.inputs.items()}

    def waveforms_at(self, name: str, i: torch.Tensor) -> torch.Tensor:
        """The recordings behind samples ``i`` of modality ``name``: ``(B, T)``."""
        signals = self.waveforms[name].signals
        return signals[self.rows[name][i]] if name in self.rows else signals[i]

    def __getitem__(self, i: int) -> dict:
        return {"inputs": self._inputs_at(i), "label": self.labels[i], "index": i}

    def batch(self, indices: Sequence[int] | torch.Tensor) -> dict:
        """Samples ``indices`` as one batch: ``{"inputs": {m: (B, ...)}, "label": (B,), "index": (B,)}``.

        The same tensors as stacking ``self[i]`` for each index (PyTorch's ``default_collate``),
        with one indexing operation per modality.
        """
        idx = torch.as_tensor(indices, dtype=torch.long)
        return {"inputs": self._inputs_at(idx), "label": self.labels[idx], "index": idx}

    def subset(self, indices: Sequence[int] | torch.Tensor) -> "MultimodalSplit":
        """Samples ``indices`` as a split of their own (a bank stays shared; only its row index is cut)."""
        idx = torch.as_tensor(indices, dtype=torch.long)
        return MultimodalSplit(
            {n: x if n in self.rows else x[idx] for n, x in self.inputs.items()},
            self.labels[idx],
            {n: r[idx] for n, r in self.rows.items()},
            self.meta,
            {n: w if n in self.rows else replace(w, signals=w.signals[idx]) for n, w in self.waveforms.items()},
        )

    def select(self, names: list[str]) -> "MultimodalSplit":
        """The same samples with only the modalities in ``names``."""
        return MultimodalSplit(
            {n: self.inputs[n] for n in names},
            self.labels,
            {n: r for n, r in self.rows.items() if n in names},
            self.meta,
            {n: w for n, w in self.waveforms.items() if n in names},
        )


@dataclass
class MultimodalDataset:
    """A multimodal classification data set with its modalities declared and its splits.

    Attributes:
        name: registry name, e.g. ``"digits"``.
        modalities: ``{name: ModalitySpec}`` in a fixed order.
        num_classes: number of classes; labels are ``0..num_classes-1``.
        splits: ``{"train" | "val" | "test": MultimodalSplit}``.
        description: provenance, preprocessing and split, for ``polymodal data info``.
        options: the options the data set was built with (for reproducing it).
    """

    name: str
    modalities: dict[str, ModalitySpec]
    num_classes: int
    splits: dict[str, MultimodalSplit]
    description: str = ""
    options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split_name, split in self.splits.items():
            if split_name not in SPLITS:
                raise ConfigError(f"split {split_name!r} is unknown; splits are {', '.join(SPLITS)}")
            if set(split.inputs) != set(self.modalities):
                raise ShapeError(
                    f"split {split_name!r} has modalities {sorted(split.inputs)}, "
                    f"the data set declares {sorted(self.modalities)}"
                )
            for name, spec in self.modalities.items():
                got = tuple(split.inputs[name].shape[1:])
                if got != spec.shape:
                    raise ShapeError(f"split {split_name!r}, modality {name!r}: samples have shape {got}, declared {spec.shape}")

    def select(self, names: list[str]) -> "MultimodalDataset":
        """A view of the data set restricted to the modalities in ``names`` (order kept as given)."""
        unknown = [n for n in names if n not in self.modalities]
        if unknown or not names:
            raise ConfigError(
                f"modalities {unknown or names} not in data set {self.name!r}; it has {', '.join(self.modalities)}"
            )
        return MultimodalDataset(
            self.name,
            {n: self.modalities[n] for n in names},
            self.num_classes,
            {k: s.select(names) for k, s in self.splits.items()},
            self.description,
            dict(self.options),
        )

    def info(self) -> dict:
        """Modalities, shapes, split sizes and label counts as a JSON-ready dict."""
        return {
            "name": self.name,
            "description": self.description,
            "num_classes": self.num_classes,
            "modalities": [
                {"name": s.name, "kind": s.kind, "shape": list(s.shape), "description": s.description}
                for s in self.modalities.values()
            ],
            "splits": {
                k: {
                    "size": len(s),
                    "label_counts": np.bincount(s.labels.numpy(), minlength=self.num_classes).tolist(),
                }
                for k, s in self.splits.items()
            },
            "options": self.options,
        }
