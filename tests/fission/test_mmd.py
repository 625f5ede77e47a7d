"""The unbiased Gaussian-kernel MMD against a loop and the closed form between two Gaussians."""

import math

import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.fission.mmd import gaussian_kernel, mmd2_unbiased, mmd_to_standard_normal


def test_matches_loop():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(5, 3, generator=g, dtype=torch.float64) + 1
    s = 1.5
    k = lambda u, v: math.exp(-float(((u - v) ** 2).sum()) / (2 * s * s))  # noqa: E731
    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    assert float(mmd2_unbiased(x, y, s)) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)
    assert float(gaussian_kernel(x, y, s)[2, 3]) == pytest.approx(k(x[2], y[3]), rel=1e-12)


def test_closed_form_between_shifted_gaussians():
    """For N(mu1, I_d), N(mu2, I_d): MMD^2 = 2 c (1 - exp(-|mu1 - mu2|^2 / (2 (sigma^2 + 2)))), c = (sigma^2 / (sigma^2 + 2))^(d/2)."""
    d, sigma, shift = 2, 2.0, 1.0
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3000, d, generator=g, dtype=torch.float64)
    y = torch.randn(3000, d, generator=g, dtype=torch.float64)
    y[:, 0] += shift
    c = (sigma**2 / (sigma**2 + 2)) ** (d / 2)
    truth = 2 * c * (1 - math.exp(-(shift**2) / (2 * (sigma**2 + 2))))
    assert float(mmd2_unbiased(x, y, sigma)) == pytest.approx(truth, abs=0.01)
    # same distribution: unbiased estimate near 0
    assert abs(float(mmd2_unbiased(x, torch.randn(3000, d, generator=g, dtype=torch.float64), sigma))) < 0.005


def test_prior_match_and_errors():
    g = torch.Generator().manual_seed(2)
    assert abs(float(mmd_to_standard_normal(torch.randn(500, 4, generator=g), generator=g))) < 0.02
    assert float(mmd_to_standard_normal(torch.randn(500, 4, generator=g) * 3 + 2, generator=g)) > 0.2
    with pytest.raises(ShapeError, match="same D"):
        mmd2_unbiased(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ShapeError, match="at least 2"):
        mmd2_unbiased(torch.zeros(1, 2), torch.zeros(3, 2))
    with pytest.raises(ConfigError, match="sigma"):
        mmd2_unbiased(torch.zeros(3, 2), torch.zeros(3, 2), sigma=0)
