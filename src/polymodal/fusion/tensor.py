"""Tensor fusion: the outer product of the modalities, each with an appended 1."""

from __future__ import annotations

import math
from typing import Mapping

import torch
from torch import nn

from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion

MAX_TENSOR_PARAMETERS = 50_000_000


def append_one(x: torch.Tensor) -> torch.Tensor:
    """``(B, d) -> (B, d + 1)``: ``[x; 1]``."""
    return torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)


def outer_flatten(vectors: list[torch.Tensor]) -> torch.Tensor:
    """Batched outer product of ``[(B, n_1), ..., (B, n_M)]`` flattened to ``(B, n_1 * ... * n_M)``.

    The index of the first vector varies slowest (row-major order).
    """
    z = vectors[0]
    for v in vectors[1:]:
        z = (z.unsqueeze(2) * v.unsqueeze(1)).flatten(1)
    return z


class TensorFusion(Fusion):
    """Tensor fusion (Zadeh et al., "Tensor Fusion Network", EMNLP 2017).

    ``t = vec([x_1; 1] (x) [x_2; 1] (x) ... (x) [x_M; 1])``, of size ``prod_m (d_m + 1)``; the
    appended 1 keeps every unimodal term (``x_m`` itself, where all other factors take their
    1), every bimodal term and so on up to the M-modal one. With ``output_dim`` a linear layer
    projects ``t``: ``z = W t + b``, with ``output_dim * (prod_m (d_m + 1) + 1)`` parameters.
    Computed for the whole batch at once, without loops over examples.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``; ``None`` returns ``t`` itself.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)`` (or ``(B, prod_m (d_m + 1))``).

    Raises:
        ConfigError: the projection would exceed 50 million parameters, or, without projection,
            ``t`` 50 million features (use low-rank fusion).
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int | None = None) -> None:
        super().__init__(input_dims, output_dim)
        self.tensor_size = math.prod(d + 1 for d in self.input_dims.values())
        if output_dim is not None and self.tensor_size * output_dim > MAX_TENSOR_PARAMETERS:
            raise ConfigError(
                f"input_dims {self.input_dims}: tensor fusion would need {self.tensor_size * output_dim:,} weights "
                f"(prod(d_m + 1) x output_dim); use low-rank fusion or smaller embeddings"
            )
        if output_dim is None and self.tensor_size > MAX_TENSOR_PARAMETERS:
            raise ConfigError(
                f"input_dims {self.input_dims}: the unprojected tensor would have {self.tensor_size:,} features "
                f"(prod(d_m + 1)); use low-rank fusion or smaller embeddings"
            )
        self.projection = nn.Linear(self.tensor_size, output_dim) if output_dim is not None else None
        self.output_dim = output_dim if output_dim is not None else self.tensor_size

    def outer(self, inputs: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The flattened tensor ``t`` before any projection: ``(B, prod_m (d_m + 1))``."""
        return self._outer(self.check_inputs(inputs))

    @staticmethod
    def _outer(inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return outer_flatten([append_one(x) for x in inputs.values()])

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        t = self._outer(inputs)
        return self.projection(t) if self.projection is not None else t
