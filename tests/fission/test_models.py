"""Fission models: representations, parameter counts, gradients, their losses, training."""

import pytest
import torch
import torch.nn.functional as F

from polymodal.data import load_digits
from polymodal.errors import ConfigError
from polymodal.fission.discriminative import DiscriminativeFission
from polymodal.fission.mmd import mmd_to_standard_normal
from polymodal.catalog import build_model, model_names
from polymodal.models.build import ModelConfig

FISSION_MODELS = model_names(families=["fission"])
from polymodal.training.pipeline import TrainConfig, fit

MODS = [{"name": n, "kind": "vector", "shape": [d]} for n, d in (("a", 5), ("b", 3), ("c", 4))]


def _inputs(b=16):
    g = torch.Generator().manual_seed(0)
    return {m["name"]: torch.randn(b, m["shape"][0], generator=g) for m in MODS}


def test_discriminative_fission_representations_and_parameter_count():
    dims = {"a": 5, "b": 3, "c": 4}
    fusion = DiscriminativeFission(dims, output_dim=6, hidden_dim=7)
    x = _inputs()
    reps = fusion.representations(x)
    assert list(reps) == ["a", "b", "c", "joint"] and all(r.shape == (16, 6) for r in reps.values())
    torch.testing.assert_close(fusion(x), torch.cat(list(reps.values()), 1))
    mlp = lambda d: d * 7 + 7 + 7 * 6 + 6  # noqa: E731
    assert sum(p.numel() for p in fusion.parameters()) == mlp(5) + mlp(3) + mlp(4) + mlp(12)
    # the unimodal representation of a reads a only
    x2 = dict(x, b=torch.zeros(16, 3))
    torch.testing.assert_close(fusion.representations(x2)["a"], reps["a"])


@pytest.mark.parametrize("name", FISSION_MODELS)
def test_every_parameter_gets_a_gradient_with_three_modalities(name):
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODS, num_classes=3, fusion=name, embed_dim=8, hidden_dim=8, dropout=0.0)).train()
    logits = model(_inputs())
    loss = F.cross_entropy(logits, torch.arange(16) % 3)
    aux = model.auxiliary_loss()
    assert (aux is not None) == (name != "discriminative-fission")
    (loss + (aux if aux is not None else 0)).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
    model.eval()
    model(_inputs())
    assert model.auxiliary_loss() is None


def test_factorized_loss_is_reconstruction_plus_prior():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODS, num_classes=3, fusion="factorized", embed_dim=8, hidden_dim=8, dropout=0.0,
                                    fusion_options={"shared_dim": 4, "private_dim": 2, "reconstruction_weight": 0.5,
                                                    "prior_weight": 0.0})).train()
    x = _inputs()
    model(x)
    factors = model.factors(x)
    assert factors["shared"].shape == (16, 4) and factors["b"].shape == (16, 2)
    rec = model.reconstruct(factors)
    want = 0.5 * sum(F.mse_loss(rec[m], x[m]) for m in x)
    torch.testing.assert_close(model.auxiliary_loss(), want)
    # the prior term is the MMD of every factor to N(0, I)
    model.prior_weight, model.reconstruction_weight = 1.0, 0.0
    torch.manual_seed(5)
    model(x)
    torch.manual_seed(5)
    prior = sum(mmd_to_standard_normal(z) for z in model.factors(x).values())
    torch.testing.assert_close(model.auxiliary_loss(), prior)


def test_autoencoder_reconstructs_from_the_fused_code():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODS, num_classes=3, fusion="autoencoder", embed_dim=8, hidden_dim=8, dropout=0.0,
                                    fusion_options={"base": "additive", "reconstruction_weight": 2.0})).train()
    x = _inputs()
    model(x)
    z = model.code(x)
    assert z.shape == (16, 8)
    torch.testing.assert_close(model.auxiliary_loss(), 2.0 * model.reconstruction_loss(x, z))
    with pytest.raises(ConfigError, match="late"):
        build_model(ModelConfig(MODS, num_classes=3, fusion="autoencoder", fusion_options={"base": "late"}))
    with pytest.raises(ConfigError, match="factorized"):
        build_model(ModelConfig(MODS, num_classes=3, fusion="factorized", fusion_options={"rank": 3}))


@pytest.mark.parametrize("name", FISSION_MODELS)
def test_trains_through_the_pipeline(name, tmp_path):
    ds = load_digits()
    result = fit(ds, ModelConfig.for_dataset(ds, name), TrainConfig(epochs=4), tmp_path, progress_bar=False)
    assert result["test_accuracy"] > 0.6
