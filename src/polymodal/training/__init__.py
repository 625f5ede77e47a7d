"""One training pipeline (Lightning) for every multimodal model.

The names below load on first use, so that :mod:`polymodal.training.config` (and with it the
command line's help) does not import Lightning.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "load_model": "checkpoint", "predict_logits": "checkpoint", "TrainConfig": "config", "TrainedRun": "pipeline",
    "fit": "pipeline", "train_module": "pipeline", "classification_metrics": "metrics", "confusion_matrix": "metrics",
    "ClassificationModule": "module",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'polymodal.training' has no attribute {name!r}")
    return getattr(import_module(f"polymodal.training.{_WHERE[name]}"), name)
