"""A :class:`~polymodal.data.dataset.MultimodalDataset` from a user's arrays: kinds, labels, split, checks.

Every file format (``.npz``, a TOML manifest) and :meth:`MultimodalDataset.from_arrays` end
here, so a data set means the same thing whichever way it arrives:

- a modality's kind is inferred from the rank of one sample (1: ``vector``, 2: ``sequence``,
  3: ``image``; strings: ``text``) unless ``kinds`` names it;
- labels may be integers or strings; either way the classes are their sorted distinct values
  (``class_names``), numbered ``0..C-1``;
- without a ``split`` column the split is stratified and seeded, 70/15/15;
- ``standardise`` centres and scales the named modalities with training-split statistics
  (per feature for vectors and sequences, over the true steps; per channel for images).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import torch

from polymodal.data.dataset import SPLITS, ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.data.kinds import KINDS, get_kind
from polymodal.data.padded import Padded
from polymodal.data.splits import standardize, stratified_split
from polymodal.errors import ConfigError, ShapeError

#: kind inferred from the rank of one sample
RANK_KINDS = {1: "vector", 2: "sequence", 3: "image"}
DEFAULT_FRACTIONS = (0.15, 0.15)


def infer_kind(name: str, array: np.ndarray) -> str:
    """The kind of modality ``name`` from one sample's rank (strings are text)."""
    if array.dtype.kind in "USO":
        return "text"
    rank = array.ndim - 1
    if rank not in RANK_KINDS:
        raise ShapeError(f"modality {name!r} has samples of shape {array.shape[1:]} (rank {rank}); a vector is (d,), "
                         "a sequence (T, d), an image (C, H, W): reshape it, or name its kind")
    return RANK_KINDS[rank]


def encode_labels(labels: Any, source: str = "label") -> tuple[np.ndarray, list[str]]:
    """``(codes (N,) int64, class names)``: classes are the sorted distinct values.

    Raises:
        ShapeError: labels that are not one value per sample, or NaN.
    """
    y = np.asarray(labels)
    if y.ndim != 1:
        raise ShapeError(f"{source} must have shape (N,), got {y.shape}")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ShapeError(f"{source} holds NaN or inf, first in row {int(np.argmax(~np.isfinite(y)))}")
        if not np.all(y == np.round(y)):
            raise ShapeError(f"{source} holds non-integer numbers; classification labels are integers or strings")
        y = y.astype(np.int64)
    if y.dtype.kind == "O":
        y = y.astype(str)
    classes, codes = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ShapeError(f"{source} has a single class {classes.tolist()}; classification needs at least two")
    return codes.astype(np.int64), [str(c) for c in classes]


def split_indices(labels: np.ndarray, split: Any = None, *, seed: int = 0,
                  fractions: tuple[float, float] = DEFAULT_FRACTIONS) -> dict[str, np.ndarray]:
    """``{"train" | "val" | "test": sorted row indices}`` from a ``split`` column, or a stratified split.

    Args:
        labels: ``(N,)`` class codes.
        split: ``(N,)`` values ``train`` / ``val`` / ``test``, or ``None``.
        seed: seed of the stratified split.
        fractions: ``(val, test)`` fractions of the stratified split.

    Raises:
        ShapeError: an unknown split value, an empty split, or a class too small to stratify.
    """
    if split is not None:
        s = np.asarray(split).astype(str)
        if s.shape != labels.shape:
            raise ShapeError(f"split has {len(s)} entries but there are {len(labels)} labels")
        bad = ~np.isin(s, SPLITS)
        if bad.any():
            row = int(np.argmax(bad))
            raise ShapeError(f"split[{row}] is {str(s[row])!r}; every value must be one of {', '.join(SPLITS)}")
        out = {k: np.flatnonzero(s == k) for k in SPLITS}
        empty = [k for k, v in out.items() if len(v) == 0]
        if empty:
            raise ShapeError(f"split {empty[0]!r} is empty; every one of {', '.join(SPLITS)} needs samples "
                             "(or leave the split out for a stratified 70/15/15 split)")
        return out
    counts = np.bincount(labels)
    if counts.min() < 3:
        c = int(np.argmin(counts))
        raise ShapeError(f"class {c} has only {int(counts[c])} sample(s), too few to stratify into train/val/test; "
                         "give at least 3 per class, or pass a split column")
    try:
        return stratified_split(labels, fractions[0], fractions[1], seed)
    except ValueError as error:
        raise ShapeError(f"cannot stratify the labels into train/val/test ({error}); pass a split column") from None


def _standardise(kind: str, name: str, x: np.ndarray, lengths: np.ndarray | None, train: np.ndarray) -> np.ndarray:
    """``x`` centred and scaled in float64 with the statistics of rows ``train`` (constant features only centred).

    Vectors and sequences per feature (a sequence over its true steps), images per channel; the
    vector case is :func:`~polymodal.data.splits.standardize`, so built-in and user data agree bit for bit.
    """
    if kind == "text" or not np.issubdtype(x.dtype, np.number):
        raise ConfigError(f"modality {name!r}: only numeric modalities can be standardised; leave it out of standardise")
    x = x.astype(np.float64)
    if x.ndim == 2:
        return standardize({"train": x[train], "all": x})["all"]
    if x.ndim == 3:  # (N, T, d) sequences
        n, t = x.shape[:2]
        valid = np.arange(t)[None, :] < (np.full(n, t) if lengths is None else lengths)[:, None]
        steps = x[train][valid[train]]
        mean, std = steps.mean(0), steps.std(0)
        std[std == 0] = 1.0
        return ((x - mean) / std * valid[..., None]).astype(np.float32)
    sample = x[train]
    mean, std = sample.mean(axis=(0, 2, 3), keepdims=True), sample.std(axis=(0, 2, 3), keepdims=True)
    std[std == 0] = 1.0
    return ((x - mean) / std).astype(np.float32)


def from_arrays(
    modalities: Mapping[str, Any],
    labels: Any,
    *,
    name: str = "arrays",
    split: Any = None,
    lengths: Mapping[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
    standardise: bool | Iterable[str] = False,
    seed: int = 0,
    fractions: tuple[float, float] = DEFAULT_FRACTIONS,
    text_encoder: str = "tokens",
    max_vocab: int = 10000,
    descriptions: Mapping[str, str] | None = None,
    description: str = "",
    options: dict[str, Any] | None = None,
) -> MultimodalDataset:
    """A data set from arrays, row ``i`` of every modality being sample ``i``.

    Args:
        modalities: ``{name: (N, *shape)}`` arrays (``(N,)`` strings for text; ``(N, T, d)``
            padded sequences).
        labels: ``(N,)`` integers or strings.
        name: data set name (results and reports show it).
        split: optional ``(N,)`` ``train`` / ``val`` / ``test``; else stratified and seeded.
        lengths: ``{name: (N,)}`` true lengths of padded sequences (default: the full length).
        kinds: ``{name: kind}`` overriding the inferred kinds (e.g. ``spectrogram``).
        standardise: ``True`` for every numeric modality, or the names to standardise.
        seed: seed of the stratified split.
        fractions: ``(val, test)`` fractions of the stratified split.
        text_encoder: ``"tokens"`` (a word vocabulary of the training split, ids into a trainable
            encoder) or ``"sentence"`` (frozen all-MiniLM-L6-v2 embeddings, a 384-d vector; the
            ``text`` extra).
        max_vocab: most words kept by the ``tokens`` vocabulary.
        descriptions: one sentence per modality.
        description: provenance of the data set.
        options: what the data set was built from (stored for reproducing it).

    Returns:
        The data set; ``options["class_names"]`` lists the class of each label code.

    Raises:
        ShapeError: modalities whose row counts differ (both named), NaN or inf (the first bad
            row named), a bad split, lengths longer than the padding.
        ConfigError: an unknown kind, or lengths or standardisation for a modality that has none.
    """
    if not modalities:
        raise ConfigError("modalities: give at least one {name: array}")
    codes, class_names = encode_labels(labels)
    n = len(codes)
    arrays = {m: np.asarray(x) for m, x in modalities.items()}
    for m, x in arrays.items():
        if x.ndim == 0 or len(x) != n:
            raise ShapeError(f"modality {m!r} has {len(x) if x.ndim else 0} rows but label has {n}; "
                             "every modality needs one row per label")
    lengths, kinds, descriptions = dict(lengths or {}), dict(kinds or {}), dict(descriptions or {})
    for m in [*lengths, *kinds]:
        if m not in arrays:
            raise ConfigError(f"{m!r} names no modality; the modalities are {', '.join(arrays)}")
    idx = split_indices(codes, split, seed=seed, fractions=fractions)
    order = np.concatenate([idx[k] for k in SPLITS])
    local = {k: np.arange(len(v)) + sum(len(idx[j]) for j in SPLITS[: SPLITS.index(k)]) for k, v in idx.items()}
    wanted = set(arrays) if standardise is True else set(standardise or ())
    unknown = wanted - set(arrays)
    if unknown:
        raise ConfigError(f"standardise: {sorted(unknown)[0]!r} names no modality; the modalities are {', '.join(arrays)}")
    stored: dict[str, torch.Tensor | Padded] = {}
    specs: dict[str, ModalitySpec] = {}
    for m, x in arrays.items():
        kind = kinds.get(m) or infer_kind(m, x)
        entry = get_kind(kind, m)
        spec_options: dict[str, Any] = {}
        lens = None if lengths.get(m) is None else np.asarray(lengths[m])
        if kind == "text":
            from polymodal.data.text import encode_texts

            x, lens, spec_options, kind = encode_texts(m, x, idx["train"], text_encoder, max_vocab)
            entry = KINDS[kind]
        value = entry.store(m, x, lens)  # checks (NaN, lengths) name rows of the arrays as given
        if m in wanted:
            value = entry.store(m, _standardise(kind, m, x, lens, idx["train"]), lens)
        stored[m] = value[torch.as_tensor(order)]
        specs[m] = ModalitySpec(m, kind, tuple(value.shape[1:]), descriptions.get(m, ""), spec_options)
    splits = {
        k: MultimodalSplit({m: v[torch.as_tensor(local[k])] for m, v in stored.items()},
                           torch.as_tensor(codes[idx[k]]), meta={"source_rows": idx[k].tolist()})
        for k in SPLITS
    }
    opts = {**(options or {}), "class_names": class_names}
    return MultimodalDataset(name, specs, len(class_names), splits, description, opts)


def to_arrays(dataset: MultimodalDataset) -> dict[str, np.ndarray]:
    """The inverse for ``.npz``: ``{modality, modality_lengths, label, split}`` over all splits, in split order."""
    out: dict[str, list[np.ndarray]] = {}
    for k, s in dataset.splits.items():
        for m in dataset.modalities:
            x = s.modality(m)
            if isinstance(x, Padded):
                out.setdefault(f"{m}_lengths", []).append(x.lengths.numpy())
                x = x.values
            out.setdefault(m, []).append(x.numpy())
        out.setdefault("label", []).append(s.labels.numpy())
        out.setdefault("split", []).append(np.full(len(s), k))
    return {k: _pad_cat(v) for k, v in out.items()}


def _pad_cat(parts: Sequence[np.ndarray]) -> np.ndarray:
    if parts[0].ndim >= 2:
        t = max(p.shape[1] for p in parts)
        parts = [np.pad(p, [(0, 0), (0, t - p.shape[1])] + [(0, 0)] * (p.ndim - 2)) for p in parts]
    return np.concatenate(parts)
