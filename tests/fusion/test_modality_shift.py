import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion import ModalityShiftingFusion

DIMS = {"text": 4, "audio": 3, "video": 2}


@torch.no_grad()
def loop_oracle(f: ModalityShiftingFusion, x: dict[str, torch.Tensor]) -> torch.Tensor:
    """MAG (Rahman et al. 2020, Eqs. 3-7), one example at a time."""
    out = []
    for i in range(len(x["text"])):
        z = x["text"][i]
        h = f.shift_bias.clone()
        for m in ("audio", "video"):
            gate = torch.relu(f.gates[m].weight @ torch.cat([z, x[m][i]]) + f.gates[m].bias)
            h = h + gate * (f.shifts[m].weight @ x[m][i])
        alpha = min(f.beta * float(z.norm()) / float(h.norm()), 1.0)
        out.append(z + alpha * h)
    return torch.stack(out)


def test_matches_the_formula_and_bounds_the_shift():
    torch.manual_seed(0)
    f = ModalityShiftingFusion(DIMS, primary="text", beta=0.5).double()
    x = {m: torch.randn(7, d, dtype=torch.float64) for m, d in DIMS.items()}
    out = f(x)
    torch.testing.assert_close(out, loop_oracle(f, x))
    assert ((out - x["text"]).norm(dim=1) <= 0.5 * x["text"].norm(dim=1) + 1e-12).all()


def test_beta_zero_returns_the_primary_modality():
    x = {m: torch.randn(5, d) for m, d in DIMS.items()}
    assert torch.equal(ModalityShiftingFusion(DIMS, primary="text", beta=0.0)(x), x["text"])


def test_zero_displacement_is_finite():
    f = ModalityShiftingFusion(DIMS, primary="text")
    for p in f.parameters():
        torch.nn.init.zeros_(p)  # H = 0
    x = {m: torch.randn(5, d, requires_grad=True) for m, d in DIMS.items()}
    out = f(x)
    assert torch.equal(out, x["text"])
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in f.parameters())
    assert all(torch.isfinite(x[m].grad).all() for m in DIMS)


def test_sequences_shift_every_step():
    torch.manual_seed(1)
    f = ModalityShiftingFusion(DIMS, primary="text", beta=0.7, layer_norm=True)
    x = {m: torch.randn(2, 6, d) for m, d in DIMS.items()}
    out = f(x)
    assert out.shape == (2, 6, 4)
    step = {m: v[:, 3] for m, v in x.items()}  # each step shifted on its own
    torch.testing.assert_close(out[:, 3], f(step))
    with pytest.raises(ShapeError, match=r"modality 'audio' has shape \(2, 5, 3\).*aligned with the primary 'text'"):
        f({**x, "audio": torch.randn(2, 5, 3)})


def test_parameter_count_and_options():
    f = ModalityShiftingFusion(DIMS, primary="text")
    assert f.output_dim == 4
    assert sum(p.numel() for p in f.parameters()) == ((4 + 3 + 1) * 4 + 3 * 4) + ((4 + 2 + 1) * 4 + 2 * 4) + 4
    with pytest.raises(ConfigError, match="primary 'image' is not a modality"):
        ModalityShiftingFusion(DIMS, primary="image")
    with pytest.raises(ConfigError, match="beta must be >= 0"):
        ModalityShiftingFusion(DIMS, beta=-1)
