"""The InfoNCE bound: its formula, the Gaussian truth, and its behaviour below and above log N."""

import math

import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.information.infonce_bound import (
    ConcatCritic, GaussianOptimalCritic, SeparableCritic, gaussian_mi, gaussian_rho, infonce_lower_bound,
    sample_correlated_gaussians, train_infonce_critic,
)


def test_bound_matches_loop_and_is_at_most_log_n():
    s = torch.randn(7, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    want = sum(float(s[i, i]) - math.log(sum(math.exp(float(v)) for v in s[i]) / 7) for i in range(7)) / 7
    assert float(infonce_lower_bound(s)) == pytest.approx(want, rel=1e-12)
    huge = torch.eye(7, dtype=torch.float64) * 1e3
    assert float(infonce_lower_bound(huge)) == pytest.approx(math.log(7), abs=1e-9)


def test_gaussian_mi_closed_form_and_inverse():
    assert gaussian_mi(gaussian_rho(6.0, 20), 20) == pytest.approx(6.0, rel=1e-12)
    # one dimension, rho = 0.5: I = -0.5 log(0.75)
    assert gaussian_mi(0.5, 1) == pytest.approx(-0.5 * math.log(0.75))
    # the sampler has the requested correlation
    x, y = sample_correlated_gaussians(200000, 2, 0.6, torch.Generator().manual_seed(0))
    assert float(torch.corrcoef(torch.stack([x[:, 0], y[:, 0]]))[0, 1]) == pytest.approx(0.6, abs=0.01)


def _optimal_bound(mi, n=64, d=20, batches=200):
    rho = gaussian_rho(mi, d)
    g = torch.Generator().manual_seed(1)
    critic = GaussianOptimalCritic(rho)
    return sum(float(infonce_lower_bound(critic(*sample_correlated_gaussians(n, d, rho, g)))) for _ in range(batches)) / batches


def test_optimal_critic_is_the_density_ratio_and_bounds_stay_below_truth_and_log_n():
    x, y = torch.randn(3, 2), torch.randn(3, 2)
    rho = 0.5
    normal = torch.distributions.Normal(0.0, 1.0)
    cond = torch.distributions.Normal(rho * x[1], math.sqrt(1 - rho * rho))
    want = float(cond.log_prob(y[2]).sum() - normal.log_prob(y[2]).sum())
    assert float(GaussianOptimalCritic(rho)(x, y)[1, 2]) == pytest.approx(want, rel=1e-5)
    for mi in (2.0, 6.0, 10.0):
        assert _optimal_bound(mi) < min(mi, math.log(64))


def test_learned_critic_tracks_small_mi_and_saturates_below_log_n():
    torch.manual_seed(0)
    low = train_infonce_critic(SeparableCritic(20, 20, hidden=128), mi=2.0, steps=3000, lr=1e-3).final()
    assert 1.5 < low < 2.0 and low > _optimal_bound(2.0) - 0.25
    torch.manual_seed(0)
    high = train_infonce_critic(SeparableCritic(20, 20, hidden=128), mi=10.0, steps=1500, lr=1e-3).final()
    assert math.log(64) - 0.3 < high <= math.log(64)


def test_concat_critic_scores_every_pair():
    critic = ConcatCritic(3, 2, hidden=8)
    x, y = torch.randn(4, 3), torch.randn(4, 2)
    s = critic(x, y)
    assert s.shape == (4, 4)
    assert float(s[1, 2]) == pytest.approx(float(critic.net(torch.cat([x[1], y[2]])[None])), rel=1e-6)


def test_errors():
    with pytest.raises(ShapeError, match="square"):
        infonce_lower_bound(torch.zeros(3, 4))
    with pytest.raises(ConfigError, match="rho"):
        gaussian_mi(1.0, 3)
    with pytest.raises(ConfigError, match="mi >= 0"):
        gaussian_rho(-1, 3)
