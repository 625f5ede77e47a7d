import torch

from polymodal.fusion import ConcatFusion


def test_concatenation_in_declared_order_and_projection():
    f = ConcatFusion({"b": 2, "a": 3})
    a, b = torch.randn(4, 3), torch.randn(4, 2)
    assert torch.equal(f({"a": a, "b": b}), torch.cat([b, a], dim=1))
    assert f.output_dim == 5 and sum(p.numel() for p in f.parameters()) == 0
    g = ConcatFusion({"a": 3, "b": 2}, output_dim=4)
    assert sum(p.numel() for p in g.parameters()) == 4 * (5 + 1)
    expected = torch.cat([a, b], 1) @ g.projection.weight.T + g.projection.bias
    torch.testing.assert_close(g({"a": a, "b": b}), expected)


def test_one_modality_is_the_identity():
    x = torch.randn(3, 6)
    assert torch.equal(ConcatFusion({"x": 6})({"x": x}), x)
