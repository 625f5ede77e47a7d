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
