"""The fusion interface: a dict of modality tensors in, one tensor out, with a declared size."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Mapping

import torch
from torch import nn

from polymodal.checks import positive_int
from polymodal.data.padded import Padded
from polymodal.errors import ConfigError, ShapeError


class Fusion(nn.Module, ABC):
    """Base class of every fusion: ``{name: (B, ..., d_m)} -> (B, ..., output_dim)``.

    Fusions that read sequences (transformer, cross-modal transformer, modality shifting) also
    take a :class:`~polymodal.data.padded.Padded` ``(B, T, d_m)`` and ignore its padding.

    Subclasses implement :meth:`fuse`; :meth:`forward` first checks the inputs against the
    declared ``input_dims`` so that a wrong input fails with an error naming the modality and
    the expected shape, not deep inside a matrix product.

    Args:
        input_dims: ``{modality name: feature size d_m}``, in a fixed order.
        output_dim: size of the last dimension of the fused tensor; a subclass whose size
            follows from ``input_dims`` passes ``None`` and sets :attr:`output_dim` itself.

    Attributes:
        output_dim: size of the last dimension of the fused tensor.
        outputs_logits: ``True`` when the output already is a prediction (late fusion), so a
            model needs no head after it.
    """

    outputs_logits: bool = False
    min_modalities: int = 1
    #: whether :meth:`fuse_present` can leave absent modalities out (the ``drop`` missing-modality strategy)
    supports_drop: bool = False
    #: whether :meth:`logit_parts` splits the prediction into one part per modality (OGM-GE needs it)
    decomposable: bool = False

    def __init__(self, input_dims: Mapping[str, int], output_dim: int | None = None) -> None:
        super().__init__()
        dims = dict(input_dims)
        if len(dims) < self.min_modalities:
            raise ConfigError(
                f"input_dims: {type(self).__name__} needs at least {self.min_modalities} modalities, got {list(dims)}"
            )
        dims = {name: positive_int(d, f"input_dims[{name!r}]") for name, d in dims.items()}
        if output_dim is not None:
            output_dim = positive_int(output_dim, "output_dim")
        self.input_dims = dims
        if output_dim is not None:  # else the subclass sets it once its size is known
            self.output_dim: int = output_dim

    @abstractmethod
    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Fuse inputs that are known to match ``input_dims``."""

    def fuse_present(self, inputs: dict[str, torch.Tensor], masks: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Fuse only the modalities each example has (``masks``: ``{m: (B,) bool}``), for the ``drop`` strategy.

        Fusions that can leave a modality out set :attr:`supports_drop` and override this.
        """
        raise ConfigError(f"{type(self).__name__} cannot leave a modality out (strategy 'drop'); use zero, mean, token or impute")

    def logit_parts(self, inputs: dict[str, torch.Tensor], head: nn.Module) -> dict[str, torch.Tensor]:
        """``{m: (B, C)}``, one part of ``head(fuse(inputs))`` per modality, for fusions that set
        :attr:`decomposable`.

        The default, for a fusion that adds up one term per modality (concatenation, sum), is the
        head's response to modality m alone minus its share of the response to none:
        ``part_m = head(fuse(x_m, 0, ...)) - (M - 1) / M * head(fuse(0, ..., 0))``. For an affine
        head the parts add up to the logits exactly, each ``W_m x_m + b / M`` (the split OGM-GE
        makes of a linear classifier); after an MLP head they are its responses per modality.
        """
        if not self.decomposable:
            raise ConfigError(f"{type(self).__name__} does not split its prediction by modality")
        zeros = {m: torch.zeros_like(x) for m, x in inputs.items()}
        none = head(self.fuse(zeros))
        share = (len(inputs) - 1) / len(inputs)
        return {m: head(self.fuse({**zeros, m: x})) - share * none for m, x in inputs.items()}

    def auxiliary_loss(self) -> torch.Tensor | None:
        """A term to add to the training loss after a forward pass (e.g. a resource penalty), or ``None``."""
        return None

    def start_epoch(self, epoch: int) -> None:
        """Called by the training loop before each training epoch (counted from 0), for fusions
        whose training follows a schedule (dynamic fusion's penalty warm-up); nothing by default."""

    def check_inputs(self, inputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Validate the modality dict: every declared key present, same batch size, right feature size.

        Returns:
            The inputs in the declared modality order.

        Raises:
            ShapeError: naming the modality and the expected shape.
        """
        missing = [m for m in self.input_dims if m not in inputs]
        if missing:
            raise ShapeError(
                f"modality {missing[0]!r} is missing from the inputs (got {sorted(inputs)}); "
                f"{type(self).__name__} expects {self._expected()}"
            )
        batch = None
        for name, d in self.input_dims.items():
            x = inputs[name]
            if not isinstance(x, (torch.Tensor, Padded)) or x.dim() < 2 or x.shape[-1] != d:
                shape = tuple(x.shape) if isinstance(x, (torch.Tensor, Padded)) else type(x).__name__
                raise ShapeError(f"modality {name!r} has shape {shape}, expected (B, ..., {d})")
            if batch is None:
                batch = (name, x.shape[0])
            elif x.shape[0] != batch[1]:
                raise ShapeError(
                    f"modality {name!r} has batch size {x.shape[0]} but {batch[0]!r} has {batch[1]}; "
                    "all modalities must hold the same examples"
                )
        return {name: inputs[name] for name in self.input_dims}

    def _expected(self) -> str:
        return ", ".join(f"{m}: (B, {d})" for m, d in self.input_dims.items())

    def forward(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Fuse a dict of modality tensors ``{name: (B, d_m)}`` into ``(B, output_dim)``."""
        return self.fuse(self.check_inputs(inputs))
