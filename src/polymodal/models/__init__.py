"""Encoders and the generic encode-fuse-predict model."""

from polymodal.models.build import ModelConfig, build_model
from polymodal.models.encoders import LeNetEncoder, MLPEncoder, make_encoder
from polymodal.models.multimodal import MultimodalModel

__all__ = ["LeNetEncoder", "MLPEncoder", "ModelConfig", "MultimodalModel", "build_model", "make_encoder"]
