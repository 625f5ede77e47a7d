"""Polynomial fusion: multilinear interactions of every order up to P, in rank-R CP form."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.checks import is_integer, positive_int
from polymodal.errors import ConfigError
from polymodal.fusion.base import Fusion


def elementary_symmetric(factors: list[torch.Tensor], order: int) -> list[torch.Tensor]:
    """Elementary symmetric polynomials ``e_0 .. e_P`` of M same-shaped tensors, element-wise.

    ``e_k = sum_{|S| = k} prod_{m in S} u_m`` over the subsets S of the M modalities, computed
    with the recurrence ``e_k <- e_k + e_{k-1} u_m`` in ``O(M P)`` products, not ``O(2^M)``.

    Args:
        factors: M tensors ``u_m`` of one shape.
        order: P, the highest order kept.

    Returns:
        ``[e_0, ..., e_P]``, each of the factors' shape (``e_0`` is ones).
    """
    e = [torch.ones_like(factors[0])] + [torch.zeros_like(factors[0]) for _ in range(order)]
    for u in factors:
        for k in range(order, 0, -1):  # descending, so e_{k-1} is still the previous value
            e[k] = e[k] + e[k - 1] * u
    return e


class PolynomialFusion(Fusion):
    """Polynomial fusion up to order P, in the spirit of Hou et al., "Deep Multimodal
    Multilinear Fusion with High-order Polynomial Pooling", NeurIPS 2019:

    ``z = b + sum_{k=1}^{P} sum_{r=1}^{R} lambda_{k,r} e_k(u_1^{(r)}, ..., u_M^{(r)})``,
    ``u_m^{(r)} = x_m W_m^{(r)}``,

    where ``W_m`` has shape ``(R, d_m, output_dim)`` and ``e_k`` is the k-th elementary
    symmetric polynomial (element-wise over the output), i.e. the sum over every set of k
    distinct modalities of the product of their projections. Each order is a rank-R CP
    factorisation of the k-modal interaction tensors, and ``lambda`` weighs orders and ranks.

    Definition (multilinear, not polynomial in the concatenation): a term holds at most one
    factor per modality. Powers of one modality (``x_1 (x) x_1``) are within-modality
    interactions that the modality's own nonlinear encoder already models, so every order
    spent on them is one not spent between modalities; the multilinear form also makes the
    special cases exact: ``P = 1`` is affine (additive fusion) and ``P = M`` with every
    ``lambda = 1`` is ``z = b - R + sum_r prod_m (1 + u_m^{(r)})``, low-rank tensor fusion with
    all unimodal up to M-modal terms of tensor fusion (each of the R products also holds the
    constant ``e_0 = 1``, so low-rank fusion's bias is ``b - R``). Hence ``1 <= P <= M``.
    Parameters: ``R * output_dim * sum(d_m) + P * R + output_dim``.

    Args:
        input_dims: ``{name: d_m}``, at least two modalities.
        output_dim: size of ``z``.
        order: P, from 1 to M.
        rank: R.

    Shapes:
        inputs ``{name: (B, d_m)}`` -> ``(B, output_dim)``.
    """

    min_modalities = 2

    def __init__(self, input_dims: Mapping[str, int], output_dim: int, order: int = 2, rank: int = 4) -> None:
        super().__init__(input_dims, output_dim)
        n = len(self.input_dims)
        if not is_integer(order) or not 1 <= order <= n:
            raise ConfigError(f"order must be an int from 1 to the number of modalities ({n}), got {order!r}")
        self.order, self.rank = order, rank = int(order), positive_int(rank, "rank")
        self.factors = nn.ParameterDict(
            {m: nn.Parameter(torch.empty(rank, d, output_dim)) for m, d in self.input_dims.items()}
        )
        for factor in self.factors.values():
            nn.init.xavier_normal_(factor)
        self.order_weights = nn.Parameter(torch.full((order, rank), 1.0 / rank))
        self.bias = nn.Parameter(torch.zeros(output_dim))

    def fuse(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        u = [torch.einsum("...d,rdo->r...o", x, self.factors[m]) for m, x in inputs.items()]  # (R, B, o) each
        e = torch.stack(elementary_symmetric(u, self.order)[1:])  # (P, R, B, o)
        return torch.einsum("kr,kr...o->...o", self.order_weights, e) + self.bias
