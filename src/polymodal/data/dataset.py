"""The data layer: a sample is a dict of named modalities plus a label.

A :class:`MultimodalDataset` declares its modalities (:class:`ModalitySpec`: name, kind, shape)
and holds its splits (``train``, ``val``, ``test``), each a :class:`MultimodalSplit` that
PyTorch's ``DataLoader`` batches into ``{"inputs": {name: (B, *shape)}, "label": (B,),
"index": (B,)}``. The ``index`` is the sample's position in its split, so that predictions
gathered from several processes can be matched back to samples exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from polymodal.data.kinds import MODALITY_KINDS, get_kind
from polymodal.data.padded import Padded
from polymodal.data.waveforms import WaveformSource
from polymodal.errors import ConfigError, ShapeError

__all__ = ["MODALITY_KINDS", "SPLITS", "ModalitySpec", "MultimodalDataset", "MultimodalSplit", "Padded"]
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ModalitySpec:
    """What one modality is.

    Attributes:
        name: key of the modality in every sample dict.
        kind: one of :data:`~polymodal.data.kinds.KINDS`: ``"vector"`` (shape ``(d,)``),
            ``"image"`` or ``"spectrogram"`` (``(C, H, W)``), ``"sequence"`` (``(T, d)``, ``T``
            the padded length) or ``"text"`` (``(T,)`` token ids).
        shape: shape of one (padded) sample, without the batch dimension.
        description: provenance and preprocessing, in a sentence.
        options: what the kind needs beyond the shape (``text``: ``vocab_size``).
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        get_kind(self.kind, self.name).check_shape(self)

    @property
    def padded(self) -> bool:
        """Whether samples have lengths (sequence and text kinds): a split holds a :class:`Padded`."""
        return get_kind(self.kind).padded

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "kind", "shape"}`` (and ``"options"`` when there are any), JSON-ready."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "shape": list(self.shape)}
        if self.options:
            out["options"] = dict(self.options)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ModalitySpec":
        """Inverse of :meth:`to_dict`."""
        return cls(data["name"], data["kind"], tuple(data["shape"]), options=dict(data.get("options", {})))


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

    @classmethod
    def from_arrays(cls, modalities: Mapping[str, Any], labels: Any, **kwargs: Any) -> "MultimodalDataset":
        """A data set from ``{name: (N, *shape)}`` arrays and ``(N,)`` labels; see
        :func:`polymodal.data.arrays.from_arrays` for ``split``, ``lengths``, ``kinds``, ``standardise``, ``seed``."""
        from polymodal.data.arrays import from_arrays

        return from_arrays(modalities, labels, **kwargs)

    @classmethod
    def from_npz(cls, path: Any, **kwargs: Any) -> "MultimodalDataset":
        """The data set of an ``.npz`` file (see :mod:`polymodal.data.npz` for the convention)."""
        from polymodal.data.npz import load_npz

        return load_npz(path, **kwargs)

    @classmethod
    def from_manifest(cls, path: Any, seed: int | None = None) -> "MultimodalDataset":
        """The data set a TOML manifest describes (see :mod:`polymodal.data.manifest`)."""
        from polymodal.data.manifest import load_manifest

        return load_manifest(path, seed=seed)

    def to_npz(self, path: Any) -> Any:
        """Write every split to one ``.npz`` in the convention of :mod:`polymodal.data.npz` (atomically)."""
        from polymodal.data.npz import save_npz

        return save_npz(self, path)

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
                {**s.to_dict(), "description": s.description}
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
