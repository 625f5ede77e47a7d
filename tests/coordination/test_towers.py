"""Coordinated models: shapes, gradients to every parameter, gates, decoders."""

import pytest
import torch

from polymodal.coordination.config import CoordinationConfig, build_coordinated_model
from polymodal.coordination.gated import GatedCoordination
from polymodal.coordination.module import coordination_terms
from polymodal.errors import ConfigError, ShapeError

MODS = [{"name": "img", "kind": "image", "shape": [1, 12, 12]}, {"name": "vec", "kind": "vector", "shape": [7]}]


def _inputs(b=16):
    g = torch.Generator().manual_seed(0)
    return {"img": torch.randn(b, 1, 12, 12, generator=g), "vec": torch.randn(b, 7, generator=g)}


@pytest.mark.parametrize("method,options", [
    ("dcca", {"k": 3}), ("dccae", {}), ("contrastive", {}), ("contrastive", {"objective": "max-margin", "similarity": "rbf"}),
    ("contrastive", {"gated": True}), ("dcca", {"gated": True}),
])
def test_every_parameter_gets_a_gradient(method, options):
    config = CoordinationConfig(MODS, method=method, out_dim=4, embed_dim=8, hidden_dim=16, dropout=0.0, **options)
    model = build_coordinated_model(config)
    terms = coordination_terms(config, model, _inputs())
    terms["loss"].backward()
    uses_scale = method == "contrastive" and config.objective == "infonce"
    for name, p in model.named_parameters():
        if name == "logit_scale.log_scale" and not uses_scale:
            continue
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    z = model(_inputs(5))
    assert z["img"].shape == z["vec"].shape == (5, 4)


def test_dccae_loss_is_correlation_plus_weighted_reconstruction():
    config = CoordinationConfig(MODS, method="dccae", out_dim=4, embed_dim=8, hidden_dim=16, dropout=0.0, reconstruction_weight=0.3)
    model = build_coordinated_model(config)
    terms = coordination_terms(config, model, _inputs())
    rec = model.reconstruct(model(_inputs()))
    assert rec["img"].shape == (16, 1, 12, 12) and rec["vec"].shape == (16, 7)
    want = sum(((rec[m] - _inputs()[m]) ** 2).mean() for m in ("img", "vec"))
    torch.testing.assert_close(terms["reconstruction"], want)
    torch.testing.assert_close(terms["loss"], terms["pair_loss"] + 0.3 * want)


def test_gated_representation_is_gate_times_projection():
    config = CoordinationConfig(MODS, method="contrastive", out_dim=4, embed_dim=8, hidden_dim=16, dropout=0.0, gated=True)
    model = build_coordinated_model(config).eval()
    assert isinstance(model, GatedCoordination) and model.needs_both_modalities
    gates, proj = model.gate_values(_inputs())
    z = model(_inputs())
    for m in ("img", "vec"):
        assert ((gates[m] > 0) & (gates[m] < 1)).all()
        torch.testing.assert_close(z[m], gates[m] * proj[m])
    # the gate of one modality depends on the other
    other = dict(_inputs(), vec=torch.zeros(16, 7))
    assert not torch.allclose(model.gate_values(other)[0]["img"], gates["img"])
    with pytest.raises(ConfigError, match="pairs only"):
        model.embed("img", _inputs()["img"])


def test_single_modality_embedding_matches_pair_forward():
    config = CoordinationConfig(MODS, method="contrastive", out_dim=4, embed_dim=8, hidden_dim=16)
    model = build_coordinated_model(config).eval()
    torch.testing.assert_close(model.embed("vec", _inputs()["vec"]), model(_inputs())["vec"])
    with pytest.raises(ShapeError, match="'vec' is missing"):
        model({"img": _inputs()["img"]})
    with pytest.raises(ShapeError, match="not one of"):
        model.embed("audio", _inputs()["vec"])


def test_config_errors():
    with pytest.raises(ConfigError, match="exactly two modalities"):
        CoordinationConfig(MODS[:1])
    with pytest.raises(ConfigError, match="not a trained coordination"):
        CoordinationConfig(MODS, method="cca")
    with pytest.raises(ConfigError, match="objective"):
        CoordinationConfig(MODS, objective="triplet")
    with pytest.raises(ConfigError, match="similarity 'cos' is unknown"):
        CoordinationConfig(MODS, similarity="cos")
    with pytest.raises(ConfigError, match="k in"):
        CoordinationConfig(MODS, out_dim=4, k=5)
