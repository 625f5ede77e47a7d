import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import TensorFusion


def test_outer_product_with_appended_one_against_kron():
    torch.manual_seed(0)
    dims = {"a": 2, "b": 3, "c": 2}
    f = TensorFusion(dims)
    x = {m: torch.randn(4, d) for m, d in dims.items()}
    t = f(x)
    assert t.shape == (4, 3 * 4 * 3) and f.output_dim == 36
    for i in range(4):  # per example, with torch.kron as the oracle
        one = torch.ones(1)
        expected = torch.kron(torch.kron(torch.cat([x["a"][i], one]), torch.cat([x["b"][i], one])), torch.cat([x["c"][i], one]))
        torch.testing.assert_close(t[i], expected)


def test_unimodal_and_bimodal_terms_are_present_unchanged():
    torch.manual_seed(0)
    x = {"a": torch.randn(5, 3), "b": torch.randn(5, 4)}
    t = TensorFusion({"a": 3, "b": 4})(x).reshape(5, 4, 5)  # index (a or its 1, b or its 1)
    assert torch.equal(t[:, :3, 4], x["a"])  # b takes its appended 1
    assert torch.equal(t[:, 3, :4], x["b"])  # a takes its appended 1
    assert torch.equal(t[:, 3, 4], torch.ones(5))
    torch.testing.assert_close(t[:, :3, :4], x["a"][:, :, None] * x["b"][:, None, :])


def test_projection_parameters_and_size_guard():
    f = TensorFusion({"a": 3, "b": 4, "c": 1}, output_dim=6)
    assert sum(p.numel() for p in f.parameters()) == 6 * (4 * 5 * 2 + 1)
    x = {"a": torch.randn(2, 3), "b": torch.randn(2, 4), "c": torch.randn(2, 1)}
    torch.testing.assert_close(f(x), f.outer(x) @ f.projection.weight.T + f.projection.bias)
    with pytest.raises(ConfigError, match="low-rank fusion"):
        TensorFusion({m: 64 for m in "abcdef"}, output_dim=64)
