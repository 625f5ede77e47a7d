"""Variable-length sequences as one padded tensor plus their true lengths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from polymodal.errors import ShapeError


@dataclass(frozen=True)
class Padded:
    """A batch of sequences of different lengths, padded at the end to one length ``T``.

    Only the first ``lengths[b]`` steps of example ``b`` are data; the rest is padding, and
    every encoder and fusion that reads a :class:`Padded` ignores it (``mask``). It indexes,
    moves and concatenates like a tensor along the batch dimension, so a sequence modality
    travels in the same ``{name: value}`` dicts as every other.

    Attributes:
        values: ``(B, T, *feature)`` (``(B, T, d)`` for a sequence of vectors, ``(B, T)`` token ids).
        lengths: ``(B,)`` integers in ``1..T``.
    """

    values: torch.Tensor
    lengths: torch.Tensor

    def __post_init__(self) -> None:
        if self.values.dim() < 2:
            raise ShapeError(f"padded values need shape (B, T, ...), got {tuple(self.values.shape)}")
        if self.lengths.shape != self.values.shape[:1]:
            raise ShapeError(f"lengths have shape {tuple(self.lengths.shape)}, expected ({self.values.shape[0]},)")
        if len(self.lengths):
            longest, shortest = int(self.lengths.max()), int(self.lengths.min())
            if longest > self.values.shape[1]:
                raise ShapeError(f"a length of {longest} exceeds the padded length {self.values.shape[1]}; "
                                 "lengths must be at most the number of steps stored")
            if shortest < 1:
                raise ShapeError(f"a length of {shortest}: every sequence needs at least one step")

    @classmethod
    def full(cls, values: torch.Tensor) -> "Padded":
        """Sequences without padding: every length is ``T``."""
        return cls(values, torch.full((values.shape[0],), values.shape[1], dtype=torch.long, device=values.device))

    @property
    def mask(self) -> torch.Tensor:
        """``(B, T)`` bool, ``True`` at the steps that are data."""
        steps = torch.arange(self.values.shape[1], device=self.values.device)
        return steps[None, :] < self.lengths.to(self.values.device)[:, None]

    @property
    def shape(self) -> torch.Size:
        """Shape of :attr:`values`."""
        return self.values.shape

    @property
    def device(self) -> torch.device:
        return self.values.device

    @property
    def dtype(self) -> torch.dtype:
        return self.values.dtype

    def dim(self) -> int:
        """Number of dimensions of :attr:`values`."""
        return self.values.dim()

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index: Any) -> "Padded":
        """The examples at ``index`` (an int keeps a batch dimension of one)."""
        if isinstance(index, int):
            index = slice(index, index + 1)
        return Padded(self.values[index], self.lengths[index])

    def to(self, *args: Any, **kwargs: Any) -> "Padded":
        """``values.to(...)`` (a dtype applies to floating values only), lengths moved along."""
        values = self.values.to(*args, **kwargs) if self.values.is_floating_point() else self.values.to(self.device_of(*args, **kwargs))
        return Padded(values, self.lengths.to(values.device))

    @staticmethod
    def device_of(*args: Any, **kwargs: Any) -> torch.device | None:
        """The device among ``.to()`` arguments, if any."""
        for a in (*args, kwargs.get("device")):
            if isinstance(a, (str, torch.device)):
                return torch.device(a)
        return None

    def new_zeros(self, batch: int, *shape: int) -> torch.Tensor:
        """Zeros of ``(batch, *shape)`` with the dtype and device of the values."""
        return self.values.new_zeros(batch, *shape)

    def unpadded(self, b: int) -> torch.Tensor:
        """Example ``b`` without its padding: ``(lengths[b], *feature)``."""
        return self.values[b, : int(self.lengths[b])]

    @classmethod
    def cat(cls, parts: Sequence["Padded"]) -> "Padded":
        """Concatenate along the batch, padding to the longest ``T`` of the parts."""
        t = max(p.values.shape[1] for p in parts)
        values = [torch.nn.functional.pad(p.values, (0, 0) * (p.values.dim() - 2) + (0, t - p.values.shape[1]))
                  for p in parts]
        return cls(torch.cat(values), torch.cat([p.lengths for p in parts]))

    @classmethod
    def from_list(cls, sequences: Sequence[torch.Tensor]) -> "Padded":
        """Pad ``[(T_i, *feature)]`` at the end with zeros."""
        if not sequences:
            raise ShapeError("no sequences to pad")
        lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
        return cls(torch.nn.utils.rnn.pad_sequence(list(sequences), batch_first=True), lengths)


def blank(batch: int, shape: Sequence[int], padded: bool, dtype: torch.dtype, device: torch.device
          ) -> torch.Tensor | Padded:
    """Zeros standing for an absent modality of one-example shape ``shape`` (a sequence: one zero step)."""
    zeros = torch.zeros(batch, *shape, dtype=dtype, device=device)
    if not padded:
        return zeros
    return Padded(zeros, torch.ones(batch, dtype=torch.long, device=zeros.device))


def masked_mean(h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(B, T, d)``, ``(B, T)`` bool -> ``(B, d)``: the mean over the steps where ``mask`` is true."""
    weights = mask.to(h.dtype).unsqueeze(-1)
    return (h * weights).sum(1) / weights.sum(1).clamp_min(1.0)


def flat_features(x: torch.Tensor | Padded, name: str = "modality") -> torch.Tensor:
    """One fixed-size vector per example, for methods that read raw features (CCA, the PID estimators):
    a tensor flattened to ``(N, prod(shape))``; a padded sequence summarised as ``[mean_t x_t; std_t x_t]``
    over its true steps, ``(N, 2 d)``.

    Raises:
        ConfigError: token ids (text), which have no meaningful average; use a learned reduction.
    """
    if not isinstance(x, Padded):
        return x.reshape(len(x), -1)
    if not x.values.is_floating_point():
        from polymodal.errors import ConfigError

        raise ConfigError(f"{name}: token ids have no flat features; use a method that learns an encoder "
                          "(contrastive or dcca coordination, the learned PID reduction)")
    mask = x.mask
    mean = masked_mean(x.values, mask)
    var = masked_mean((x.values - mean[:, None]) ** 2, mask)
    return torch.cat([mean, var.sqrt()], dim=-1)
