"""MMPareto's combination against the closed-form two-vector min-norm point, checked by a grid search."""

import pytest
import torch

from polymodal.training.balance.min_norm import min_norm_weight, mmpareto_direction


def _grid_min_norm(g1, g2, steps=20001):
    gammas = torch.linspace(0, 1, steps, dtype=torch.float64)
    norms = torch.stack([(g * g1 + (1 - g) * g2).norm() for g in gammas])
    return float(gammas[int(norms.argmin())])


@pytest.mark.parametrize("seed", range(5))
def test_min_norm_weight_matches_a_grid_search(seed):
    g = torch.Generator().manual_seed(seed)
    g1, g2 = torch.randn(7, generator=g, dtype=torch.float64), torch.randn(7, generator=g, dtype=torch.float64)
    assert min_norm_weight(g1, g2) == pytest.approx(_grid_min_norm(g1, g2), abs=1e-4)


def test_min_norm_weight_clips_to_the_segment():
    g1, g2 = torch.tensor([1.0, 0.0]), torch.tensor([3.0, 0.0])  # the shorter vector is the answer
    assert min_norm_weight(g1, g2) == 1.0 and min_norm_weight(g2, g1) == 0.0
    assert min_norm_weight(g1, g1) == 0.5


def test_agreeing_gradients_are_summed():
    g_mm, g_uni = torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.1])
    d, conflict = mmpareto_direction(g_mm, g_uni)
    assert not conflict and torch.equal(d, g_mm + g_uni)


def test_conflicting_gradients_get_a_common_descent_direction_boosted():
    g_mm, g_uni = torch.tensor([2.0, 1.0], dtype=torch.float64), torch.tensor([-1.0, 1.0], dtype=torch.float64)
    d, conflict = mmpareto_direction(g_mm, g_uni, boost=1.5)
    assert conflict
    gamma = _grid_min_norm(g_mm, g_uni)
    point = gamma * g_mm + (1 - gamma) * g_uni
    # the min-norm point p of the segment satisfies g . p >= |p|^2 for both gradients (MGDA)
    assert float(g_mm @ point) >= float(point @ point) - 1e-3 and float(g_uni @ point) >= float(point @ point) - 1e-3
    # d is that direction, scaled to at least the plain sum's norm, times the boost
    assert torch.allclose(d / d.norm(), point / point.norm(), atol=1e-3)
    assert float(d.norm()) == pytest.approx(1.5 * max(2 * float(point.norm()), float((g_mm + g_uni).norm())), rel=1e-3)
