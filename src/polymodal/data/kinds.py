"""Modality kinds: one entry per kind says how its samples are stored, checked, encoded and tokenized.

A new kind is one :class:`ModalityKind` in :data:`KINDS`. The encoder and tokenizer builders
import the model code when called, so the data layer does not depend on it.

| kind | one sample | stored as | default encoder | tokens (raw/attention fusions) |
|---|---|---|---|---|
| vector | ``(d,)`` float | tensor | MLP | one token |
| image, spectrogram | ``(C, H, W)`` float | tensor | LeNet CNN | 7x7 patches |
| sequence | ``(T, d)`` float, ``T`` varies | :class:`Padded` | GRU (or 1-D CNN, Transformer) | one per step |
| text | ``(T,)`` token ids, ``T`` varies | :class:`Padded` | embedding + Transformer | one per token |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch

from polymodal.data.padded import Padded
from polymodal.errors import ConfigError, ShapeError

if TYPE_CHECKING:
    from torch import nn

    from polymodal.data.dataset import ModalitySpec


@dataclass(frozen=True)
class ModalityKind:
    """How one kind of modality is stored, checked, encoded and tokenized.

    Attributes:
        name: the kind's name, e.g. ``"sequence"``.
        rank: number of dimensions of one stored sample (``(T, d)`` has 2).
        padded: samples have different lengths along their first dimension and are stored as
            :class:`Padded` with their lengths.
        integer: samples are integer ids (stored as int64), not floats.
        encoder: ``(spec, out_dim, hidden_dim, dropout, sequence_encoder, *, norm, final_relu) ->
            module (B, ...) -> (B, out_dim)`` (see :func:`polymodal.models.encoders.make_encoder`).
        tokenizer: ``(spec, dim, *, norm, tokenizer) -> module (B, ...) -> (B, T, dim)`` tokens (a
            :class:`Padded` for padded kinds); ``norm`` (:data:`~polymodal.models.encoders.EncoderNorm`)
            and ``tokenizer`` (:data:`~polymodal.models.tokenizers.GridTokenizer`) are for the kinds
            whose tokenizer has a convolution, the others ignore them.
        description: one line for the docs and ``polymodal data info``.
    """

    name: str
    rank: int
    padded: bool
    integer: bool
    encoder: Callable[..., "nn.Module"]
    tokenizer: Callable[..., "nn.Module"]
    description: str

    def check_shape(self, spec: "ModalitySpec") -> None:
        """Raise :class:`ConfigError` unless ``spec.shape`` has this kind's rank of positive sizes."""
        if len(spec.shape) != self.rank or any(int(s) <= 0 for s in spec.shape):
            raise ConfigError(f"modality {spec.name!r} of kind {self.name!r} needs a shape of {self.rank} positive "
                              f"sizes ({self.description}), got {tuple(spec.shape)}")
        if self.integer and int(spec.options.get("vocab_size", 0)) < 2:
            raise ConfigError(f"modality {spec.name!r} of kind {self.name!r} needs options['vocab_size'] >= 2 "
                              "(the number of token ids, padding id 0 included)")

    def store(self, name: str, values: Any, lengths: Any = None) -> torch.Tensor | Padded:
        """Samples ``(N, *shape)`` as the tensor (or :class:`Padded`) a split holds.

        Raises:
            ShapeError: NaN or infinity (naming the first bad row), or lengths on a kind without them.
        """
        array = np.asarray(values)
        if self.integer:
            if not np.issubdtype(array.dtype, np.integer):
                raise ShapeError(f"modality {name!r} of kind {self.name!r} holds token ids and needs integers, "
                                 f"got dtype {array.dtype}")
            tensor = torch.as_tensor(array.astype(np.int64))
        else:
            array = array.astype(np.float32, copy=False)
            bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
            if bad.any():
                raise ShapeError(f"modality {name!r} holds NaN or inf, first in row {int(np.argmax(bad))}; "
                                 "clean or impute the values before loading")
            tensor = torch.as_tensor(array)
        if not self.padded:
            if lengths is not None:
                raise ShapeError(f"modality {name!r} of kind {self.name!r} has no lengths; only sequence and text do")
            return tensor
        if lengths is None:
            return Padded.full(tensor)
        lengths = torch.as_tensor(np.asarray(lengths).astype(np.int64))
        if len(lengths) != len(tensor):
            raise ShapeError(f"{name}_lengths has {len(lengths)} entries but {name!r} has {len(tensor)} rows")
        if len(lengths) and int(lengths.max()) > tensor.shape[1]:
            row = int(torch.argmax((lengths > tensor.shape[1]).long()))
            raise ShapeError(f"{name}_lengths[{row}] = {int(lengths[row])} is longer than the padded length "
                             f"{tensor.shape[1]} of {name!r}; lengths must not exceed the stored steps")
        if len(lengths) and int(lengths.min()) < 1:
            row = int(torch.argmin(lengths))
            raise ShapeError(f"{name}_lengths[{row}] = {int(lengths[row])}; every sequence needs at least one step")
        return Padded(tensor, lengths)


def _mlp(spec: "ModalitySpec", out_dim: int, hidden_dim: int, dropout: float, sequence_encoder: str | None,
         **style: Any) -> "nn.Module":
    from polymodal.models.encoders import MLPEncoder

    return MLPEncoder(spec.shape[0], out_dim, hidden_dim, dropout, **style)


def _lenet(spec: "ModalitySpec", out_dim: int, hidden_dim: int, dropout: float, sequence_encoder: str | None,
           **style: Any) -> "nn.Module":
    from polymodal.models.encoders import LeNetEncoder

    return LeNetEncoder(spec.shape, out_dim, **style)  # type: ignore[arg-type]


def _sequence(spec: "ModalitySpec", out_dim: int, hidden_dim: int, dropout: float, sequence_encoder: str | None,
              **style: Any) -> "nn.Module":
    from polymodal.models.sequence_encoders import make_sequence_encoder

    return make_sequence_encoder(sequence_encoder or "gru", spec.shape[1], out_dim, hidden_dim, dropout)


def _text(spec: "ModalitySpec", out_dim: int, hidden_dim: int, dropout: float, sequence_encoder: str | None,
          **style: Any) -> "nn.Module":
    from polymodal.models.sequence_encoders import TokenSequenceEncoder, make_sequence_encoder

    inner = make_sequence_encoder(sequence_encoder or "transformer", hidden_dim, out_dim, hidden_dim, dropout)
    return TokenSequenceEncoder(int(spec.options["vocab_size"]), inner, hidden_dim)


def _vector_tokens(spec: "ModalitySpec", dim: int, **style: Any) -> "nn.Module":
    from polymodal.models.tokenizers import VectorTokenizer

    return VectorTokenizer(spec.shape[0], dim)


def _patch_tokens(spec: "ModalitySpec", dim: int, **style: Any) -> "nn.Module":
    from polymodal.models.tokenizers import grid_tokenizer

    return grid_tokenizer(spec.shape, dim, **style)  # type: ignore[arg-type]


def _step_tokens(spec: "ModalitySpec", dim: int, **style: Any) -> "nn.Module":
    from polymodal.models.tokenizers import StepTokenizer

    return StepTokenizer(spec.shape[1], dim)


def _text_tokens(spec: "ModalitySpec", dim: int, **style: Any) -> "nn.Module":
    from polymodal.models.tokenizers import TextTokenizer

    return TextTokenizer(int(spec.options["vocab_size"]), dim)


KINDS: dict[str, ModalityKind] = {k.name: k for k in (
    ModalityKind("vector", 1, False, False, _mlp, _vector_tokens, "(d,) features"),
    ModalityKind("image", 3, False, False, _lenet, _patch_tokens, "(C, H, W) pixels"),
    ModalityKind("spectrogram", 3, False, False, _lenet, _patch_tokens, "(C, F, T) time-frequency image"),
    ModalityKind("sequence", 2, True, False, _sequence, _step_tokens, "(T, d) steps, T varies, padded with lengths"),
    ModalityKind("text", 1, True, True, _text, _text_tokens, "(T,) token ids, T varies, padded with lengths"),
)}

#: Kind names, in the order of :data:`KINDS`.
MODALITY_KINDS = tuple(KINDS)


def get_kind(name: str, modality: str = "") -> ModalityKind:
    """The entry of kind ``name``; a :class:`ConfigError` naming the kinds otherwise."""
    if name not in KINDS:
        where = f"modality {modality!r}: " if modality else ""
        raise ConfigError(f"{where}kind {name!r} is unknown; use one of {', '.join(KINDS)}")
    return KINDS[name]
