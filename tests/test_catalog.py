import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.catalog import build_model
from polymodal.models import ModelConfig, MultimodalModel

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


# --- the catalog as the one table of models -------------------------------------------------

import subprocess
import sys
from pathlib import Path
from typing import get_args

from polymodal.bench import parse_fusions
from polymodal.catalog import CATALOG, model_entry, model_names
from polymodal.fusion.registry import FUSIONS
from polymodal.models.names import IN_ALL, MODEL_NAMES, ModelName

SRC = Path(__file__).resolve().parents[1] / "src" / "polymodal"


def test_catalog_names_are_the_typed_names_and_the_bench_list():
    assert tuple(CATALOG) == MODEL_NAMES == get_args(ModelName)
    assert parse_fusions("all") == list(IN_ALL) == model_names(in_all=True)
    # every fusion of the fusion registry is in the catalog, and 'all' is exactly those fusions
    assert set(FUSIONS) == set(IN_ALL)
    assert model_names(families=["fission"]) == ["discriminative-fission", "factorized", "autoencoder"]
    assert model_names(families=["routed"]) == ["dynamic"]
    assert {n for n, e in CATALOG.items() if e.reads == "tokens"} == {"cross-modal-transformer", "raw"}


def test_an_unknown_name_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"--fusion: 'tensr' is unknown; choose from unimodal, early"):
        model_entry("tensr", "--fusion")
    with pytest.raises(ConfigError, match="fusion: 'tensr' is unknown"):
        ModelConfig(MODS, 3, fusion="tensr")


def test_every_entry_builds_a_model_that_predicts():
    x = {"a": torch.randn(3, 6), "b": torch.randn(3, 1, 28, 28)}
    for name, entry in CATALOG.items():
        mods = MODS[:1] if name == "unimodal" else MODS
        model = build_model(ModelConfig(mods, 4, fusion=name, embed_dim=8, hidden_dim=8)).eval()
        with torch.no_grad():
            assert model({m["name"]: x[m["name"]] for m in mods}).shape == (3, 4), name
        assert entry.summary() and entry.defined_by, name


def test_models_do_not_import_fission_nor_the_catalog():
    """The generic layers load without the layers above them: no models <-> fission cycle."""
    code = ("import importlib, pkgutil, sys, polymodal.models as m, polymodal.fusion as f\n"
            "for pkg in (m, f):\n"
            "    for info in pkgutil.iter_modules(pkg.__path__):\n"
            "        importlib.import_module(f'{pkg.__name__}.{info.name}')\n"
            "print(sorted(k for k in sys.modules if k.startswith(('polymodal.fission', 'polymodal.catalog'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_module_outside_models_branches_on_a_model_name_or_fusion_class():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(("models/", "fusion/")) or rel == "catalog.py":
            continue
        text = path.read_text()
        for needle in ("isinstance(model.fusion", "DynamicFusion)", '== "dynamic"', "READS_TOKENS", "FISSION_MODELS",
                       '== "unimodal"', "HETEROGENEITY_AWARE"):
            if needle in text:
                offenders.append(f"{rel}: {needle}")
    assert offenders == []
