import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import NonlinearFusion

DIMS = {"a": 3, "b": 4}


def test_one_layer_is_linear_in_the_concatenation_and_two_layers_are_not():
    torch.manual_seed(0)
    x = {m: torch.randn(5, d) for m, d in DIMS.items()}
    one = NonlinearFusion(DIMS, 6, layers=1)
    lin = one.mlp[0]
    torch.testing.assert_close(one(x), lin(torch.cat([x["a"], x["b"]], -1)))
    two = NonlinearFusion(DIMS, 6, hidden_dim=8)
    doubled = {m: 2 * v for m, v in x.items()}
    assert not torch.allclose(two(doubled) - two.mlp[-1].bias, 2 * (two(x) - two.mlp[-1].bias))


def test_parameter_count_and_options():
    assert sum(p.numel() for p in NonlinearFusion(DIMS, 6, hidden_dim=8).parameters()) == (7 + 1) * 8 + (8 + 1) * 6
    assert sum(p.numel() for p in NonlinearFusion(DIMS, 6, hidden_dim=8, layers=3).parameters()) == 8 * 8 + 9 * 8 + 9 * 6
    with pytest.raises(ConfigError, match="layers must be a positive int"):
        NonlinearFusion(DIMS, 6, layers=0)
