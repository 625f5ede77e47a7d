import torch

from polymodal.fusion import AdditiveFusion


def test_sum_of_linear_maps_plus_bias_for_three_modalities():
    torch.manual_seed(0)
    dims = {"a": 4, "b": 2, "c": 3}
    f = AdditiveFusion(dims, output_dim=5)
    with torch.no_grad():
        f.bias.normal_()
    x = {m: torch.randn(7, d) for m, d in dims.items()}
    expected = sum(x[m] @ f.weights[m].weight.T for m in dims) + f.bias
    torch.testing.assert_close(f(x), expected)
    assert sum(p.numel() for p in f.parameters()) == 5 * (4 + 2 + 3 + 1)


def test_no_interaction_between_modalities():
    # additive: f(a, b) - f(a', b) does not depend on b
    f = AdditiveFusion({"a": 3, "b": 3}, 4)
    a, a2, b, b2 = (torch.randn(1, 3) for _ in range(4))
    torch.testing.assert_close(f({"a": a, "b": b}) - f({"a": a2, "b": b}), f({"a": a, "b": b2}) - f({"a": a2, "b": b2}))
