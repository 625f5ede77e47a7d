"""MMPareto's combination against the closed-form two-vector min-norm point, checked by a grid search,
and its rescaling, tensor by tensor, by hand."""

import pytest
import torch

from polymodal.training.balance.min_norm import min_norm_weight, mmpareto_gradients


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


def test_agreeing_gradients_are_summed_and_boosted_in_every_tensor():
    g_mm = [torch.tensor([1.0, 2.0]), torch.tensor([[0.0, 1.0]])]
    g_uni = [torch.tensor([0.5, 0.1]), torch.tensor([[3.0, -0.5]])]  # the encoder's dot: 0.5 + 0.2 + 0 - 0.5 > 0
    d, conflict = mmpareto_gradients(g_mm, g_uni, boost=1.5)
    assert not conflict
    assert torch.allclose(d[0], torch.tensor([2.25, 3.15])) and torch.allclose(d[1], torch.tensor([[4.5, 0.75]]))


def test_conflicting_gradients_get_a_common_descent_direction_rescaled_per_tensor_and_boosted():
    g_mm = [torch.tensor([2.0, 1.0], dtype=torch.float64), torch.tensor([0.3], dtype=torch.float64)]
    g_uni = [torch.tensor([-1.0, 1.0], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64)]
    d, conflict = mmpareto_gradients(g_mm, g_uni, boost=1.5)
    assert conflict  # 2 * -1 + 1 * 1 + 0.3 * -0.2 < 0
    flat_mm, flat_uni = torch.cat(g_mm), torch.cat(g_uni)
    gamma = _grid_min_norm(flat_mm, flat_uni)
    point = gamma * flat_mm + (1 - gamma) * flat_uni
    # the min-norm point p of the segment satisfies g . p >= |p|^2 for both gradients (MGDA)
    assert float(flat_mm @ point) >= float(point @ point) - 1e-3 and float(flat_uni @ point) >= float(point @ point) - 1e-3
    # each tensor's part of 2p, scaled up to at least that tensor's plain sum, times the boost
    for i, part in enumerate((2 * point[:2], 2 * point[2:])):
        plain = float((g_mm[i] + g_uni[i]).norm())
        expected = part * max(1.0, plain / float(part.norm())) * 1.5
        assert torch.allclose(d[i], expected, atol=1e-3)


def test_a_zero_gradient_is_no_conflict():
    d, conflict = mmpareto_gradients([torch.tensor([1.0, -2.0])], [torch.zeros(2)], boost=1.5)
    assert not conflict and torch.equal(d[0], torch.tensor([1.5, -3.0]))
