import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import LowRankFusion, TensorFusion


def dense_equivalent(low: LowRankFusion) -> TensorFusion:
    """Tensor fusion whose weight is sum_i lambda_i W_1^(i) (x) ... (x) W_M^(i), built from the same factors."""
    dense = TensorFusion(low.input_dims, output_dim=low.output_dim).to(low.bias.dtype)
    # low-rank factors index [1; x_m]; tensor fusion indexes [x_m; 1]: move the constant row last
    factors = [torch.roll(low.factors[m].detach(), shifts=-1, dims=1) for m in low.input_dims]  # (r, d_m+1, o)
    weight = 0
    for i in range(low.rank):
        term = factors[0][i]
        for f in factors[1:]:
            term = (term.unsqueeze(1) * f[i].unsqueeze(0)).flatten(0, 1)  # row-major, as TensorFusion flattens
        weight = weight + low.rank_weights[i].detach() * term  # (prod(d_m+1), o)
    with torch.no_grad():
        dense.projection.weight.copy_(weight.T)
        dense.projection.bias.copy_(low.bias)
    return dense


@pytest.mark.parametrize("dims", [{"a": 3, "b": 4}, {"a": 2, "b": 3, "c": 4}])
@pytest.mark.parametrize("rank", [1, 3])
def test_equals_dense_tensor_fusion_with_the_summed_rank_one_weight(dims, rank):
    torch.manual_seed(rank)
    low = LowRankFusion(dims, output_dim=5, rank=rank)
    with torch.no_grad():
        low.rank_weights.normal_()
        low.bias.normal_()
    x = {m: torch.randn(7, d, dtype=torch.float64) for m, d in dims.items()}
    low = low.double()
    dense = dense_equivalent(low)
    torch.testing.assert_close(low(x), dense(x))


def test_parameter_count_and_every_factor_trains():
    dims = {"a": 3, "b": 4, "c": 2}
    low = LowRankFusion(dims, output_dim=5, rank=3)
    assert sum(p.numel() for p in low.parameters()) == 3 * 5 * (4 + 5 + 3) + 3 + 5
    before = {m: f.detach().clone() for m, f in low.factors.items()}
    opt = torch.optim.SGD(low.parameters(), lr=0.1)
    low({m: torch.randn(8, d) for m, d in dims.items()}).pow(2).sum().backward()
    opt.step()
    for m in dims:  # the factors are registered parameters, not a plain list
        assert not torch.equal(low.factors[m], before[m]), m
    with pytest.raises(ConfigError, match="rank must be a positive int"):
        LowRankFusion(dims, 5, rank=0)


def test_products_start_near_one_whatever_the_number_of_modalities():
    """The constant rows start at 1: zero inputs give sum_i lambda_i = 1, and small inputs stay near 1
    even for six modalities (with random constant rows the product would shrink like std^6)."""
    torch.manual_seed(0)
    dims = {f"m{i}": 8 for i in range(6)}
    low = LowRankFusion(dims, output_dim=5, rank=4)
    torch.testing.assert_close(low({m: torch.zeros(3, 8) for m in dims}), torch.ones(3, 5))
    out = low({m: 0.1 * torch.randn(3, 8) for m in dims})
    assert ((out - 1).abs() < 0.5).all()
