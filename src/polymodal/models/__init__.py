"""Encoders and the generic encode-fuse-predict model (built by name with :func:`polymodal.catalog.build_model`).

The names below load on first use, so that :mod:`polymodal.models.names` stays free of PyTorch.
"""

from importlib import import_module
from typing import Any

_WHERE = {"LeNetEncoder": "encoders", "MLPEncoder": "encoders", "make_encoder": "encoders", "ModelConfig": "build",
          "MultimodalModel": "multimodal"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'polymodal.models' has no attribute {name!r}")
    return getattr(import_module(f"polymodal.models.{_WHERE[name]}"), name)
