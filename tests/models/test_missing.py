"""Missing modalities: every model of the catalog under every strategy it declares."""

import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion.gated import GatedFusion
from polymodal.catalog import CATALOG, UNIMODAL, build_model
from polymodal.models.build import ModelConfig, embedding_shapes
from polymodal.models.missing import Missing, Presence, mean_embeddings, random_masks, supported_strategies

DROP_CAPABLE = {"late", "gated", "gated-hard", "additive", "multiplicative", "mixture", "mixture-hard"}


@pytest.fixture(scope="module")
def batch(digits):
    return digits.splits["test"].batch(range(12))


@pytest.mark.parametrize("name", [n for n in CATALOG if n != UNIMODAL])
def test_every_model_works_under_every_strategy_it_declares(digits, batch, name):
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(digits, name, missing_token=True, imputer=16)).eval()
    with torch.no_grad():
        for p in (model.missing_tokens or {}).values():
            p.normal_()  # a trained token is not zero
    declared = supported_strategies(model)
    assert set(declared) >= {"zero", "mean", "token", "impute"}
    assert ("drop" in declared) == (name in DROP_CAPABLE)
    means = {m: torch.randn(s) for m, s in embedding_shapes(model).items()}
    top, bottom = list(digits.modalities)
    x = batch["inputs"]
    noise = {**x, top: torch.randn_like(x[top]) * 5}
    half = torch.arange(12) % 2 == 0
    with torch.no_grad():
        full = model(x)
        for strategy in declared:
            absent = model({bottom: x[bottom]}, Presence(strategy, means=means))
            assert absent.shape == full.shape and torch.isfinite(absent).all()
            masked = model(noise, Presence(strategy, {top: torch.zeros(12, dtype=torch.bool)}, means))
            assert torch.allclose(masked, absent, atol=1e-5), strategy  # the absent values are never read
            mixed = model(x, Presence(strategy, {top: half}, means))
            assert torch.allclose(mixed[~half], absent[~half], atol=1e-5)
            assert torch.allclose(mixed[half], full[half], atol=1e-5), strategy  # complete examples are untouched


def test_late_fusion_with_one_head_dropped_is_the_other_heads_logits(digits, batch):
    model = build_model(ModelConfig.for_dataset(digits, "late")).eval()
    top, bottom = list(digits.modalities)
    with torch.no_grad():
        emb = model.encode(batch["inputs"])
        alone = model.fusion.predictors[bottom](emb[bottom])
        dropped = model({bottom: batch["inputs"][bottom]}, Presence("drop"))
    assert torch.allclose(dropped, alone, atol=1e-6)
    learned = build_model(ModelConfig.for_dataset(digits, "late", fusion_options={"combine": "learned"})).eval()
    with torch.no_grad():
        learned.fusion.vote_logits.copy_(torch.tensor([2.0, -1.0]))
        emb = learned.encode(batch["inputs"])
        out = learned({top: batch["inputs"][top]}, Presence("drop"))
    assert torch.allclose(out, learned.fusion.predictors[top](emb[top]), atol=1e-6)


@pytest.mark.parametrize("gate", ["softmax", "hard", "sigmoid"])
def test_gates_renormalise_over_the_modalities_present(gate):
    fusion = GatedFusion({"a": 4, "b": 3, "c": 5}, 6, gate=gate).eval()
    x = {m: torch.randn(8, d) for m, d in fusion.input_dims.items()}
    masks = {"a": torch.ones(8, dtype=torch.bool), "b": torch.arange(8) % 2 == 0, "c": torch.zeros(8, dtype=torch.bool)}
    fusion.fuse_present(x, masks)
    g = fusion.last_gates  # (B, M, o)
    assert (g[:, 2] == 0).all() and (g[1::2, 1] == 0).all()
    if gate != "sigmoid":
        assert torch.allclose(g.sum(1), torch.ones(8, 6))
    else:
        fusion.fuse(x)
        assert torch.allclose(g[0::2, :2], fusion.last_gates[0::2, :2])  # the present gates keep their values


def test_a_mixture_renormalises_its_gate_over_the_experts_that_can_drop(digits, batch):
    model = build_model(ModelConfig.for_dataset(digits, "mixture")).eval()
    top, _ = list(digits.modalities)
    with torch.no_grad():
        model(batch["inputs"], Presence("drop", {top: torch.zeros(12, dtype=torch.bool)}))
    g = model.fusion.last_gates
    experts = list(model.fusion.experts)
    assert torch.allclose(g.sum(1), torch.ones(12)) and (g[:, experts.index("nonlinear")] == 0).all()


def test_missing_without_a_strategy_keeps_the_error_and_names_the_option(digits, batch):
    model = build_model(ModelConfig.for_dataset(digits, "early"))
    top, bottom = list(digits.modalities)
    with pytest.raises(ShapeError, match="name a missing-modality strategy"):
        model({bottom: batch["inputs"][bottom]})
    with pytest.raises(ConfigError, match="does not support it; it supports zero, mean"):
        model({bottom: batch["inputs"][bottom]}, Presence("token"))
    with pytest.raises(ConfigError, match="strategy: 'guess' is unknown"):
        Presence("guess")
    with pytest.raises(ShapeError, match="every modality the model reads"):
        model({}, Presence("zero"))
    with pytest.raises(ShapeError, match="none of its modalities"):
        model(batch["inputs"], Presence("zero", {top: torch.zeros(12, dtype=torch.bool), bottom: torch.zeros(12, dtype=torch.bool)}))


def test_mean_strategy_uses_the_training_mean_embedding(digits):
    model = build_model(ModelConfig.for_dataset(digits, "early")).eval()
    train = digits.splits["train"]
    means = mean_embeddings(model, train, batch_size=50)
    with torch.no_grad():
        emb = model.encode(train.batch(range(len(train)))["inputs"])
    assert all(torch.allclose(means[m], emb[m].mean(0), atol=1e-5) for m in emb)
    top, bottom = list(digits.modalities)
    inputs, presence = Missing([top], "mean", means).apply(train.batch(range(4))["inputs"])
    assert list(inputs) == [bottom] and presence.strategy == "mean"


def test_random_masks_drop_at_the_rate_and_always_keep_one():
    masks = random_masks(["a", "b", "c"], 30000, 0.4, torch.Generator().manual_seed(0))
    stacked = torch.stack(list(masks.values()), 1)
    assert stacked.any(1).all()
    # P(dropped) = q minus the share restored: q - q^3 / 3 per modality
    assert abs(float((~stacked).float().mean()) - (0.4 - 0.4**3 / 3)) < 0.01
    assert random_masks(["a"], 10, 0.9)["a"].all()


def test_unimodal_models_take_no_strategy_but_have_nothing_to_miss(digits):
    model = build_model(ModelConfig.for_dataset(digits.select(["top"]), UNIMODAL))
    assert supported_strategies(model) == ["zero", "mean"]
