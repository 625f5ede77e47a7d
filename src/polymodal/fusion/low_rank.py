"""Low-rank multimodal fusion: tensor fusion with a rank-r weight, never forming the tensor."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.checks import positive_int
from polymodal.fusion.base import Fusion


class LowRankFusion(Fusion):
    """Low-rank multimodal fusion (Liu et al., "Efficient Low-rank Multimodal Fusion with
    Modality-Specific Factors", ACL 2018), in the form of the paper's Eq. 8:

    ``h = sum_{i=1}^{r} lambda_i  prod_m ( [1; x_m] W_m^{(i)} ) + b``

    where ``W_m^{(i)}`` is the ``(d_m + 1, output_dim)`` slice ``i`` of the factor ``W_m`` of
    shape ``(r, d_m + 1, output_dim)`` and the product over modalities is element-wise. This
    equals tensor fusion with the weight ``sum_i lambda_i W_1^{(i)} (x) ... (x) W_M^{(i)}``, but
    costs ``O(r * output_dim * sum_m d_m)`` instead of ``O(output_dim * prod_m (d_m + 1))``.
    Every factor is a registered ``nn.Parameter`` (one per modality), so all of them train.

    Initialisation: the row of each factor that multiplies the constant 1 starts at 1, the rest
    small (Xavier), so each rank-one term starts as ``prod_m (1 + x_m W_m^{(i)}) ~ 1 + sum_m x_m
    W_m^{(i)}``, additive fusion plus small interactions. With every row random, the product
    of M small factors shrinks like ``std^M``, and so does each factor's gradient, which is
    scaled by the other factors (on AV-MNIST the audio branch then never trained; with six
    modalities of UCI Multiple Features the model stayed at chance).
    Parameters: ``r * output_dim * sum_m (d_m + 1) + r + output_dim``.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``h``.
        rank: ``r``.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, rank: int = 4) -> None:
        super().__init__(input_dims, output_dim)
        self.rank = rank = positive_int(rank, "rank")
        self.factors = nn.ParameterDict(
            {m: nn.Parameter(torch.empty(rank, d + 1, output_dim)) for m, d in self.input_dims.items()}
        )
        with torch.no_grad():
            for factor in self.factors.values():
                nn.init.xavier_normal_(factor)
                factor[:, 0, :] = 1.0  # the row of the constant 1: every product starts near 1, see below
        self.rank_weights = nn.Parameter(torch.full((rank,), 1.0 / rank))
        self.bias = nn.Parameter(torch.zeros(output_dim))

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        product = None
        for m, x in inputs.items():
            z = torch.cat([x.new_ones(x.shape[0], 1), x], dim=1)  # [1; x_m], (B, d_m + 1)
            h = torch.einsum("bd,rdo->rbo", z, self.factors[m])  # (r, B, output_dim)
            product = h if product is None else product * h
        return torch.einsum("r,rbo->bo", self.rank_weights, product) + self.bias
