"""The Deep CCA objective (Andrew et al., "Deep Canonical Correlation Analysis", ICML 2013).

For a batch of paired outputs ``H1 (N, o1)``, ``H2 (N, o2)`` of two networks, centred:

    S11 = H1^T H1 / (N - 1) + r1 I,   S22 = H2^T H2 / (N - 1) + r2 I,   S12 = H1^T H2 / (N - 1),
    T = S11^{-1/2} S12 S22^{-1/2},
    corr(H1, H2) = ||T||_tr = trace((T^T T)^{1/2}) = sum of all singular values of T,

or, with ``k`` given, the sum of the ``k`` largest singular values of ``T``. Training minimises
``-corr``. The trace norm is the sum of the singular values, not the sum of the element-wise
square roots of ``T^T T`` (a bug of a widely copied implementation).

Computation: with Cholesky factors ``S11 = L1 L1^T``, ``S22 = L2 L2^T``, the matrix
``L1^{-1} S12 L2^{-T}`` equals ``T`` up to orthogonal factors on both sides, so it has the same
singular values; it needs no eigendecomposition, whose gradient divides by eigenvalue gaps.
The singular values' gradient ``U V^T`` has no such division. Everything runs in float64.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polymodal.errors import ConfigError, ShapeError


def deep_cca_terms(h1: Tensor, h2: Tensor, k: int | None = None, r1: float = 1e-3, r2: float = 1e-3) -> dict[str, Tensor]:
    """Every term of the Deep CCA objective.

    Args:
        h1: ``(N, o1)`` outputs of the first view's network.
        h2: ``(N, o2)`` outputs of the second view's network, row ``i`` paired with ``h1[i]``.
        k: number of top singular values summed; ``None`` sums all of them (the trace norm).
        r1, r2: ridge added to the diagonals of ``S11`` and ``S22``.

    Returns:
        ``{"loss": -corr, "correlation": corr, "singular_values": (min(o1, o2),)}``, scalars in
        the dtype of ``h1``; singular values in decreasing order.

    Raises:
        ShapeError: unpaired or non-matrix inputs, fewer than 2 samples, NaN or infinite values.
        ConfigError: ``k`` out of range, a negative ridge, or a covariance that is singular because
            the batch is smaller than the output dimension and the ridge is 0.
    """
    if h1.dim() != 2 or h2.dim() != 2 or len(h1) != len(h2):
        raise ShapeError(f"deep CCA needs paired (N, o) matrices, got shapes {tuple(h1.shape)} and {tuple(h2.shape)}")
    n, o1 = h1.shape
    o2 = h2.shape[1]
    if n < 2:
        raise ShapeError(f"deep CCA needs at least 2 samples per batch, got {n}")
    if k is not None and not 1 <= k <= min(o1, o2):
        raise ConfigError(f"k must be in [1, min(o1, o2) = {min(o1, o2)}] or None for all singular values, got {k}")
    if r1 < 0 or r2 < 0:
        raise ConfigError(f"ridges r1, r2 must be non-negative, got {r1}, {r2}")
    for h, name in ((h1, "h1"), (h2, "h2")):
        bad = ~torch.isfinite(h.detach())
        if bool(bad.any()):
            raise ShapeError(f"deep CCA: {name} has NaN or infinite values (first at row {int(bad.any(1).nonzero()[0])}); "
                             "the network diverged or its input holds NaN: lower the learning rate or clean the input")
    for r, o, name in ((r1, o1, "view 1"), (r2, o2, "view 2")):
        if r == 0 and n - 1 < o:
            raise ConfigError(
                f"{name}: a batch of {n} samples gives a rank-{n - 1} covariance of size {o}; use a batch "
                f"larger than the output dimension or a ridge r > 0"
            )
    x = h1.double() - h1.double().mean(0)
    y = h2.double() - h2.double().mean(0)
    s11 = x.T @ x / (n - 1) + r1 * torch.eye(o1, dtype=x.dtype, device=x.device)
    s22 = y.T @ y / (n - 1) + r2 * torch.eye(o2, dtype=x.dtype, device=x.device)
    s12 = x.T @ y / (n - 1)
    l1, info1 = torch.linalg.cholesky_ex(s11)
    l2, info2 = torch.linalg.cholesky_ex(s22)
    if int(info1) or int(info2):
        raise ConfigError(
            f"deep CCA: the covariance of view {1 if int(info1) else 2} is not positive definite "
            "(collinear or constant outputs); increase the ridge r1/r2"
        )
    left = torch.linalg.solve_triangular(l1, s12, upper=False)  # L1^{-1} S12
    t = torch.linalg.solve_triangular(l2, left.T, upper=False).T  # L1^{-1} S12 L2^{-T}
    sv = torch.linalg.svdvals(t)
    corr = sv.sum() if k is None else sv[:k].sum()
    return {"loss": (-corr).to(h1.dtype), "correlation": corr.to(h1.dtype), "singular_values": sv.to(h1.dtype)}


class DeepCCALoss(nn.Module):
    """``-corr(H1, H2)`` of :func:`deep_cca_terms` as a module.

    Args:
        k: top singular values summed (``None``: all, the trace norm).
        r1, r2: covariance ridges.
    """

    def __init__(self, k: int | None = None, r1: float = 1e-3, r2: float = 1e-3) -> None:
        super().__init__()
        self.k, self.r1, self.r2 = k, r1, r2

    def forward(self, h1: Tensor, h2: Tensor) -> Tensor:
        """``(N, o1), (N, o2) -> ()`` loss."""
        return deep_cca_terms(h1, h2, self.k, self.r1, self.r2)["loss"]
