import torch

from polymodal.fusion import MultiplicativeFusion


def test_product_of_affine_maps_for_three_modalities():
    torch.manual_seed(0)
    dims = {"a": 3, "b": 2, "c": 4}
    f = MultiplicativeFusion(dims, output_dim=5)
    x = {m: torch.randn(6, d) for m, d in dims.items()}
    expected = torch.ones(6, 5)
    for m in dims:
        expected = expected * (x[m] @ f.maps[m].weight.T + f.maps[m].bias)
    torch.testing.assert_close(f(x), expected)
    assert sum(p.numel() for p in f.parameters()) == 5 * sum(d + 1 for d in dims.values())


def test_starts_near_one_plus_the_additive_terms():
    f = MultiplicativeFusion({"a": 3, "b": 2}, output_dim=4)
    assert all(torch.equal(layer.bias, torch.ones(4)) for layer in f.maps.values())
    with torch.no_grad():
        for layer in f.maps.values():
            layer.weight.mul_(1e-3)
    x = {"a": torch.randn(5, 3), "b": torch.randn(5, 2)}
    additive = 1 + x["a"] @ f.maps["a"].weight.T + x["b"] @ f.maps["b"].weight.T
    torch.testing.assert_close(f(x), additive, atol=1e-5, rtol=0)  # second-order term is ~1e-6
