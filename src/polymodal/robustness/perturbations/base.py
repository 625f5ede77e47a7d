"""The form every perturbation takes: a pure function of (batch, level p in [0, 1], generator)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from polymodal.errors import ConfigError


@dataclass(frozen=True)
class PerturbContext:
    """What a perturbation may know about the data besides the batch (from the training split).

    Attributes:
        feature_mean, feature_std: ``(d,)`` per-feature training mean and standard deviation
            (vector perturbations).
    """

    feature_mean: torch.Tensor | None = None
    feature_std: torch.Tensor | None = None


PerturbFn = Callable[[torch.Tensor, float, torch.Generator, PerturbContext], torch.Tensor]


def check_level(level: float, argument: str = "level") -> float:
    """``level`` as a float if it lies in [0, 1], else a :class:`ConfigError` naming the argument."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ConfigError(f"{argument}: {level!r} is not a number in [0, 1]") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{argument}: {level!r} is outside [0, 1]; a noise level is a number from 0 (clean) to 1")
    return value


@dataclass(frozen=True)
class Perturbation:
    """A named perturbation of one modality kind.

    Attributes:
        name: e.g. ``"gaussian"``.
        kind: the modality kind it applies to (``"image"``, ``"spectrogram"``, ``"vector"``, ``"sequence"``).
        fn: ``fn(x, p, generator, context) -> x'``, same shape as ``x``; its docstring says how
            ``p`` maps to physical parameters.
        on_waveform: ``fn`` takes waveforms ``(B, T)``: applied to the recordings and passed
            through the data set's front end when the split has them, else to the input itself.
    """

    name: str
    kind: str
    fn: PerturbFn = field(repr=False)
    on_waveform: bool = False

    @property
    def summary(self) -> str:
        """The first paragraph of ``fn``'s docstring."""
        return " ".join((self.fn.__doc__ or "").strip().split("\n\n")[0].split())

    def __call__(self, x: torch.Tensor, level: float, generator: torch.Generator,
                 context: PerturbContext | None = None) -> torch.Tensor:
        """``x`` perturbed at ``level``; ``level = 0`` returns ``x`` itself."""
        level = check_level(level)
        if level == 0.0:
            return x
        return self.fn(x, level, generator, context or PerturbContext())


def per_example(x: torch.Tensor) -> tuple[int, ...]:
    """The dimensions of one example (all but the batch's), for per-example statistics."""
    return tuple(range(1, x.dim()))


def normal_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Standard normal noise of ``x``'s shape, drawn on the CPU from ``generator``."""
    return torch.randn(x.shape, generator=generator, dtype=torch.float32).to(x)


def uniform_like(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Uniform [0, 1) noise of ``x``'s shape, drawn on the CPU from ``generator``."""
    return torch.rand(x.shape, generator=generator, dtype=torch.float32).to(x)
