"""One training pipeline (Lightning) for every multimodal model.

The names below load on first use, so that :mod:`polymodal.training.config` (and with it the
command line's help) does not import Lightning.
"""

import sys
import types
from importlib import import_module
from typing import Any

_WHERE = {
    "load_model": "checkpoint", "predict_logits": "checkpoint", "TrainConfig": "config", "TrainedRun": "fit",
    "fit": "fit", "train_module": "fit", "classification_metrics": "metrics", "confusion_matrix": "metrics",
    "ClassificationModule": "module",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'polymodal.training' has no attribute {name!r}")
    return getattr(import_module(f"polymodal.training.{_WHERE[name]}"), name)


class _Package(types.ModuleType):
    """Keeps ``polymodal.training.fit`` the function: importing the submodule ``fit`` would
    otherwise record the module under that name (an eager ``from .fit import fit`` used to
    overwrite it the same way)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
