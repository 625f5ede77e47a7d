import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import AdditiveFusion, ConcatFusion, MixtureOfFusions, MultiplicativeFusion, make_fusion

DIMS = {"a": 3, "b": 4, "c": 2}


def experts():
    return {"additive": AdditiveFusion(DIMS, 5), "multiplicative": MultiplicativeFusion(DIMS, 5)}


@pytest.mark.parametrize("expert", [0, 1])
def test_a_gate_fixed_to_one_expert_equals_that_expert(expert):
    torch.manual_seed(expert)
    mix = MixtureOfFusions(DIMS, experts(), gate="hard").eval()
    with torch.no_grad():
        mix.gate_scores.weight.zero_()
        mix.gate_scores.bias.copy_(torch.tensor([1.0, -1.0] if expert == 0 else [-1.0, 1.0]))
    x = {m: torch.randn(6, d) for m, d in DIMS.items()}
    z, g = mix.forward_with_gates(x)
    assert torch.equal(g, torch.eye(2)[[expert] * 6])
    torch.testing.assert_close(z, list(mix.experts.values())[expert](x))


def test_soft_gates_blend_and_are_returned():
    torch.manual_seed(0)
    mix = MixtureOfFusions(DIMS, experts())
    x = {m: torch.randn(6, d) for m, d in DIMS.items()}
    z, g = mix.forward_with_gates(x)
    torch.testing.assert_close(g.sum(-1), torch.ones(6))
    expected = sum(g[:, k : k + 1] * e(x) for k, e in enumerate(mix.experts.values()))
    torch.testing.assert_close(z, expected)
    assert torch.equal(mix.last_gates, g.detach())


def test_parameter_count_and_bad_experts():
    mix = MixtureOfFusions(DIMS, experts())
    n_experts = sum(p.numel() for e in experts().values() for p in e.parameters())
    assert sum(p.numel() for p in mix.parameters()) == n_experts + (9 + 1) * 2
    with pytest.raises(ConfigError, match="at least two fusions"):
        MixtureOfFusions(DIMS, {"additive": AdditiveFusion(DIMS, 5)})
    with pytest.raises(ConfigError, match="share one output size"):
        MixtureOfFusions(DIMS, {"additive": AdditiveFusion(DIMS, 5), "early": ConcatFusion(DIMS)})
    with pytest.raises(ConfigError, match="must be 'softmax' or 'hard'"):
        MixtureOfFusions(DIMS, experts(), gate="sigmoid")
    with pytest.raises(ConfigError, match="'mixture' cannot be a mixture expert"):
        make_fusion("mixture", DIMS, 5, 3, experts=["additive", "mixture"])
    assert list(make_fusion("mixture", DIMS, 5, 3, experts=["additive", "bilinear"]).experts) == ["additive", "bilinear"]
