import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import GatedFusion


def test_two_modalities_with_softmax_is_the_gated_multimodal_unit():
    """GMU (Arevalo et al. 2017): z = s * h_v + (1 - s) * h_t, s = sigmoid(W_z [x_v; x_t])."""
    torch.manual_seed(0)
    fusion = GatedFusion({"v": 4, "t": 3}, output_dim=5).double()
    xv, xt = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    hv, ht = torch.tanh(fusion.transforms["v"](xv)), torch.tanh(fusion.transforms["t"](xt))
    scores = fusion.gate_scores(torch.cat([xv, xt], -1)).view(6, 2, 5)
    s = torch.sigmoid(scores[:, 0] - scores[:, 1])
    torch.testing.assert_close(fusion({"v": xv, "t": xt}), s * hv + (1 - s) * ht)


def test_gates_per_mode():
    torch.manual_seed(0)
    dims = {"a": 3, "b": 2, "c": 4}
    x = {m: torch.randn(8, d) for m, d in dims.items()}
    for gate in ("softmax", "sigmoid", "hard"):
        fusion = GatedFusion(dims, 5, gate=gate)
        for training in (True, False):
            fusion.train(training)
            z = fusion(x)
            g = fusion.last_gates
            assert g.shape == (8, 3, 5) and z.shape == (8, 5)
            if gate == "hard":  # one modality per example and unit
                assert set(g.unique().tolist()) <= {0.0, 1.0} and torch.equal(g.sum(1), torch.ones(8, 5))
                h = torch.stack([torch.tanh(fusion.transforms[m](x[m])) for m in dims], 1)
                torch.testing.assert_close(z, (g * h).sum(1))
            elif gate == "softmax":
                torch.testing.assert_close(g.sum(1), torch.ones(8, 5))
            else:
                assert ((g > 0) & (g < 1)).all()


def test_parameter_count_and_options():
    dims = {"a": 3, "b": 2, "c": 4}
    assert sum(p.numel() for p in GatedFusion(dims, 5).parameters()) == (4 + 3 + 5) * 5 + (9 + 1) * 3 * 5
    with pytest.raises(ConfigError, match="gate must be one of"):
        GatedFusion(dims, 5, gate="argmax")
