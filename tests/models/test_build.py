import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.models import ModelConfig, MultimodalModel, build_model

MODS = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "image", "shape": [1, 28, 28]}]


def test_encode_fuse_predict_and_config_round_trip():
    config = ModelConfig(MODS, num_classes=3, fusion="additive", embed_dim=8, hidden_dim=5)
    model = build_model(config)
    assert isinstance(model, MultimodalModel) and model.modalities == ["a", "b"]
    x = {"a": torch.randn(4, 6), "b": torch.randn(4, 1, 28, 28)}
    assert model(x).shape == (4, 3)
    assert ModelConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ShapeError, match="modality 'b' is missing"):
        model({"a": x["a"]})


def test_late_fusion_has_no_head_and_unimodal_is_one_encoder():
    late = build_model(ModelConfig(MODS, 3, fusion="late"))
    assert isinstance(late.head, torch.nn.Identity)
    uni = build_model(ModelConfig(MODS[:1], 3, fusion="unimodal"))
    assert uni.modalities == ["a"] and uni({"a": torch.randn(2, 6)}).shape == (2, 3)
    with pytest.raises(ConfigError, match="exactly one modality"):
        build_model(ModelConfig(MODS, 3, fusion="unimodal"))
