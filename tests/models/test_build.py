"""ModelConfig's recipe fields: initialisation, encoder style, validation."""

import math

import pytest
import torch

from polymodal.catalog import build_model
from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig

MODALITIES = [{"name": "image", "kind": "image", "shape": [1, 28, 28]}, {"name": "v", "kind": "vector", "shape": [20]}]


def _linear_and_conv(model):
    return [m for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]


def test_xavier_weights_lie_within_the_glorot_bound_and_biases_are_zero():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODALITIES, 10, "early", init="xavier"))
    for layer in _linear_and_conv(model):
        fan_in = layer.weight[0].numel()
        fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel() if layer.weight.dim() > 2 else layer.weight.shape[0]
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.9 * bound  # uniform over the whole interval
        assert torch.count_nonzero(layer.bias) == 0


def test_kaiming_weights_have_the_he_standard_deviation():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODALITIES, 10, "early", init="kaiming"))
    big = [layer for layer in _linear_and_conv(model) if layer.weight.numel() >= 4000]
    assert big
    for layer in big:
        std = math.sqrt(2 / layer.weight[0].numel())
        assert abs(float(layer.weight.detach().std()) / std - 1) < 0.1


def test_torch_init_is_the_model_as_built_and_a_seed_gives_the_same_weights():
    def weights(init):
        torch.manual_seed(3)
        return [p.detach().clone() for p in build_model(ModelConfig(MODALITIES, 10, "tensor", init=init)).parameters()]

    assert all(torch.equal(a, b) for a, b in zip(weights("xavier"), weights("xavier")))
    torched = weights("torch")
    torch.manual_seed(3)
    plain = [p.detach() for p in build_model(ModelConfig(MODALITIES, 10, "tensor")).parameters()]
    assert len(plain) == len(torched) and all(torch.equal(a, b) for a, b in zip(torched, plain))


def test_encoder_style_reaches_every_default_encoder():
    model = build_model(ModelConfig(MODALITIES, 10, "early", encoder_norm="layer", encoder_final_relu=False))
    assert sum(isinstance(m, torch.nn.GroupNorm) for m in model.encoders["image"].modules()) == 2
    assert sum(isinstance(m, torch.nn.LayerNorm) for m in model.encoders["v"].modules()) == 1
    x = {"image": torch.randn(32, 1, 28, 28), "v": torch.randn(32, 20)}
    assert all((model.encoders[m](x[m]) < 0).any() for m in x)


def test_tensor_fusion_without_projection_feeds_the_whole_tensor_to_the_head():
    model = build_model(ModelConfig(MODALITIES, 10, "tensor", fusion_options={"output_dim": None}))
    assert model.fusion.output_dim == 65 * 65 and model.fusion.projection is None
    assert model.head[0].in_features == 65 * 65
    assert build_model(ModelConfig(MODALITIES, 10, "tensor")).head[0].in_features == 64


def test_a_head_too_large_to_build_is_a_clear_error():
    views = [{"name": f"v{i}", "kind": "vector", "shape": [8]} for i in range(5)]  # embedded to 64 each
    config = ModelConfig(views[:4], 10, "tensor", fusion_options={"output_dim": None})
    with pytest.raises(ConfigError, match=rf"the head would read 17,850,625 fused features with "
                                          rf"{17_850_625 * config.hidden_dim:,} weights; .* output_dim=64"):
        build_model(config)  # 65**4 features into the head's first layer
    with pytest.raises(ConfigError, match="unprojected tensor would have 1,160,290,625 features"):
        build_model(ModelConfig(views, 10, "tensor", fusion_options={"output_dim": None}))


def test_auto_normalisation_reaches_convolutions_only():
    config = dict(encoder_norm="auto")
    model = build_model(ModelConfig(MODALITIES, 10, "early", **config))
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.encoders["image"].modules()) == 2
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LayerNorm)) for m in model.encoders["v"].modules())
    raw = build_model(ModelConfig(MODALITIES, 10, "raw", **config))  # the patch tokenizers' convolution too
    assert isinstance(raw.encoders["image"].norm, torch.nn.BatchNorm2d)
    aware = build_model(ModelConfig(MODALITIES, 10, "heterogeneity-aware", **config))
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in aware.encoders["image"].modules()) == 2
    plain = build_model(ModelConfig(MODALITIES, 10, "raw"))  # the default: no normalisation anywhere
    assert plain.encoders["image"].norm is None


def test_token_fusions_take_a_conv_stem_and_other_models_ignore_it():
    from polymodal.models.tokenizers import ConvStemTokenizer

    for fusion in ("raw", "cross-modal-transformer"):
        model = build_model(ModelConfig(MODALITIES, 10, fusion, tokenizer="conv-stem", encoder_norm="auto"))
        assert isinstance(model.encoders["image"], ConvStemTokenizer)
        batch = {"image": torch.randn(4, *MODALITIES[0]["shape"]), "v": torch.randn(4, *MODALITIES[1]["shape"])}
        assert model(batch).shape == (4, 10)
    stem, patch = (build_model(ModelConfig(MODALITIES, 10, "early", tokenizer=t)) for t in ("conv-stem", "patch"))
    assert [k for k in stem.state_dict()] == [k for k in patch.state_dict()]
    assert ModelConfig.from_dict({k: v for k, v in ModelConfig(MODALITIES, 10, "raw").to_dict().items()
                                  if k != "tokenizer"}).tokenizer == "patch"  # a checkpoint from before the field


@pytest.mark.parametrize("kwargs,message", [
    ({"encoder_norm": "group"}, "encoder_norm: 'group' is unknown; choose from auto, none, batch, layer"),
    ({"init": "orthogonal"}, "init: 'orthogonal' is unknown; choose from torch, xavier, kaiming"),
    ({"encoder_final_relu": "yes"}, "encoder_final_relu: 'yes' must be true or false"),
    ({"tokenizer": "linear"}, "tokenizer: 'linear' is unknown; choose from patch, conv-stem"),
])
def test_bad_recipe_fields_name_the_choices(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(MODALITIES, 10, "early", **kwargs)


def test_a_config_stored_before_the_recipe_fields_rebuilds_the_model_it_was():
    stored = ModelConfig(MODALITIES, 10, "early").to_dict()
    for key in ("encoder_norm", "encoder_final_relu", "init"):
        del stored[key]
    config = ModelConfig.from_dict(stored)
    assert (config.encoder_norm, config.encoder_final_relu, config.init) == ("none", True, "torch")
    assert ModelConfig.from_dict(ModelConfig(MODALITIES, 10, "early", encoder_norm="batch").to_dict()).encoder_norm == "batch"
