import torch

from polymodal.fusion import BilinearFusion


def test_bilinear_form_per_output_against_a_loop():
    torch.manual_seed(0)
    f = BilinearFusion({"a": 3, "b": 4}, output_dim=5)
    with torch.no_grad():
        f.bias.normal_()
    xa, xb = torch.randn(2, 3), torch.randn(2, 4)
    w, bias = f.forms[0].weight.detach(), f.bias.detach()  # (5, 3, 4), (5,)
    expected = torch.tensor([[float(xa[i] @ w[k] @ xb[i]) + float(bias[k]) for k in range(5)] for i in range(2)])
    torch.testing.assert_close(f({"a": xa, "b": xb}), expected)
    assert sum(p.numel() for p in f.parameters()) == 5 * (3 * 4 + 1)


def test_three_modalities_sum_the_pairwise_terms():
    torch.manual_seed(0)
    dims = {"a": 2, "b": 3, "c": 4}
    f = BilinearFusion(dims, output_dim=2)
    x = {m: torch.randn(5, d) for m, d in dims.items()}
    expected = sum(
        torch.einsum("bi,kij,bj->bk", x[p], form.weight, x[q]) for (p, q), form in zip(f.pairs, f.forms)
    )
    torch.testing.assert_close(f(x), expected)
    assert f.pairs == [("a", "b"), ("a", "c"), ("b", "c")]
    assert sum(p.numel() for p in f.parameters()) == 2 * (2 * 3 + 2 * 4 + 3 * 4 + 1)
