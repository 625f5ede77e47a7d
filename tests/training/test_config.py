"""TrainConfig: typed, validated, importable without Lightning."""

import re
import subprocess
import sys
import types

import pytest

from polymodal.errors import ConfigError
from polymodal.training.config import TrainConfig


def test_the_config_loads_without_lightning_and_the_package_keeps_fit_the_function():
    code = ("import sys; import polymodal.training.config, polymodal.cli\n"
            "print(sorted(m for m in ('lightning', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    import polymodal.training.pipeline  # noqa: F401 (the submodule that defines it)
    from polymodal.training import fit

    assert isinstance(fit, types.FunctionType) and fit.__module__ == "polymodal.training.pipeline"


@pytest.mark.parametrize("kwargs,message", [
    ({"augment_schedule": "cosine"}, "--augment-schedule: 'cosine' is unknown; choose from constant, linear"),
    ({"missing_strategy": "mean"}, "'mean' cannot be trained"),
    ({"impute": "before"}, "--imputer: 'before' is unknown; choose from joint, after"),
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"optimizer": "rmsprop"}, "--optimizer: 'rmsprop' is unknown; choose from adam, adamw, sgd"),
    ({"momentum": 1.0}, "momentum: 1.0 must be in [0, 1)"),
    ({"lr_schedule": "step"}, "--lr-schedule: 'step' is unknown; choose from constant, cosine"),
    ({"grad_clip": 0}, "--grad-clip: 0 must be positive (omit it for no clipping)"),
    ({"weight_decay": -1e-4}, "weight_decay: -0.0001 must be non-negative"),
])
def test_bad_values_name_the_choices(kwargs, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        TrainConfig(**kwargs)
