"""Maximum mean discrepancy with a Gaussian kernel (Gretton et al., JMLR 2012).

    k(x, y) = exp(-||x - y||^2 / (2 sigma^2)),
    MMD^2_u = 1/(n(n-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j)
              - 2/(nm) sum_{i, j} k(x_i, y_j),

the unbiased estimate of ``||mu_P - mu_Q||^2`` in the kernel's feature space. The factorized
model matches its factors to the prior N(0, I) with it, as Tsai et al. (ICLR 2019) do.
"""

from __future__ import annotations

import torch
from torch import Tensor

from polymodal.errors import ConfigError, ShapeError


def gaussian_kernel(x: Tensor, y: Tensor, sigma: float) -> Tensor:
    """``(N, D), (M, D) -> (N, M)`` values ``exp(-||x_i - y_j||^2 / (2 sigma^2))``."""
    sq = (x[:, None, :] - y[None, :, :]).pow(2).sum(-1)  # exact (no ||x||^2 - 2xy + ||y||^2 cancellation)
    return torch.exp(-sq / (2 * sigma**2))


def mmd2_unbiased(x: Tensor, y: Tensor, sigma: float = 1.0) -> Tensor:
    """Unbiased ``MMD^2`` between samples ``x (n, D)`` and ``y (m, D)`` (may be slightly negative)."""
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ShapeError(f"MMD needs samples (n, D) and (m, D) of the same D, got {tuple(x.shape)} and {tuple(y.shape)}")
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        raise ShapeError(f"the unbiased MMD needs at least 2 samples on each side, got {n} and {m}")
    if not sigma > 0:
        raise ConfigError(f"sigma must be positive, got {sigma}")
    kxx, kyy, kxy = gaussian_kernel(x, x, sigma), gaussian_kernel(y, y, sigma), gaussian_kernel(x, y, sigma)
    within_x = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    within_y = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return within_x + within_y - 2 * kxy.mean()


def mmd_to_standard_normal(z: Tensor, sigma: float | None = None, generator: torch.Generator | None = None) -> Tensor:
    """``MMD^2_u`` between ``z (n, D)`` and as many draws from ``N(0, I_D)``; ``sigma`` defaults to ``sqrt(D)``."""
    prior = torch.randn(z.shape, generator=generator, dtype=z.dtype).to(z.device)
    return mmd2_unbiased(z, prior, sigma if sigma is not None else float(z.shape[1]) ** 0.5)
