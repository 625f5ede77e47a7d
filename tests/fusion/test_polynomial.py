import itertools
import math

import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import LowRankFusion, PolynomialFusion
from polymodal.fusion.polynomial import elementary_symmetric

DIMS3 = {"a": 3, "b": 4, "c": 2}


def brute_force(fusion: PolynomialFusion, x: dict[str, torch.Tensor]) -> torch.Tensor:
    """b + sum_k sum_r lambda_kr sum over k-subsets S of prod_{m in S} x_m W_m^(r), by explicit subsets."""
    names = list(fusion.input_dims)
    z = fusion.bias.expand(next(iter(x.values())).shape[0], -1).clone()
    for r in range(fusion.rank):
        u = {m: x[m] @ fusion.factors[m][r] for m in names}
        for k in range(1, fusion.order + 1):
            for subset in itertools.combinations(names, k):
                z = z + fusion.order_weights[k - 1, r] * math.prod(u[m] for m in subset)
    return z


def test_elementary_symmetric_polynomials_of_numbers():
    u = [torch.tensor(v) for v in (2.0, 3.0, 5.0)]
    assert [float(e) for e in elementary_symmetric(u, 3)] == [1, 10, 31, 30]  # (1+2t)(1+3t)(1+5t)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_equals_the_sum_over_modality_subsets(order):
    torch.manual_seed(order)
    fusion = PolynomialFusion(DIMS3, output_dim=5, order=order, rank=3).double()
    with torch.no_grad():
        fusion.order_weights.normal_()
        fusion.bias.normal_()
    x = {m: torch.randn(4, d, dtype=torch.float64) for m, d in DIMS3.items()}
    torch.testing.assert_close(fusion(x), brute_force(fusion, x))


def test_order_one_is_affine():
    torch.manual_seed(0)
    fusion = PolynomialFusion(DIMS3, output_dim=5, order=1).double()
    x = {m: torch.randn(4, d, dtype=torch.float64) for m, d in DIMS3.items()}
    y = {m: torch.randn(4, d, dtype=torch.float64) for m, d in DIMS3.items()}
    mix = {m: 0.3 * x[m] + 0.7 * y[m] for m in DIMS3}
    torch.testing.assert_close(fusion(mix), 0.3 * fusion(x) + 0.7 * fusion(y))


def test_order_m_is_low_rank_tensor_fusion_with_every_multilinear_term():
    """P = M and lambda = 1: sum_r prod_m (1 + x_m W_m^(r)), i.e. LMF with the constant row of each factor at 1."""
    torch.manual_seed(1)
    poly = PolynomialFusion(DIMS3, output_dim=5, order=3, rank=2).double()
    low = LowRankFusion(DIMS3, output_dim=5, rank=2).double()
    with torch.no_grad():
        poly.order_weights.fill_(1.0)
        poly.bias.normal_()
        for m in DIMS3:
            low.factors[m].copy_(torch.cat([torch.ones(2, 1, 5), poly.factors[m]], dim=1))
        low.rank_weights.fill_(1.0)
        low.bias.copy_(poly.bias - 2)  # LMF's product also holds e_0 = 1 per rank
    x = {m: torch.randn(6, d, dtype=torch.float64) for m, d in DIMS3.items()}
    torch.testing.assert_close(poly(x), low(x))


def test_parameter_count_and_options():
    fusion = PolynomialFusion(DIMS3, output_dim=5, order=2, rank=3)
    assert sum(p.numel() for p in fusion.parameters()) == 3 * 5 * 9 + 2 * 3 + 5
    with pytest.raises(ConfigError, match=r"order must be an int from 1 to the number of modalities \(3\), got 4"):
        PolynomialFusion(DIMS3, 5, order=4)
    with pytest.raises(ConfigError, match="rank must be a positive int"):
        PolynomialFusion(DIMS3, 5, rank=0)
