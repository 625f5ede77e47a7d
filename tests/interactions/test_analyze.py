"""``interactions`` on a small benchmark: EMAP of an additive model, categories, the command line."""

import json
import subprocess
import sys

import pytest

from polymodal.bench.runner import run_bench
from polymodal.data import load_digits
from polymodal.errors import ConfigError
from polymodal.interactions.analyze import analyze_interactions, bench_unimodal_checkpoints, load_unimodal
from polymodal.training.checkpoint import load_model
from polymodal.training.pipeline import TrainConfig


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    run_bench(load_digits(), ["late", "tensor"], TrainConfig(epochs=3), out)
    return out / "runs"


def test_late_fusion_is_its_own_additive_projection(bench):
    ds = load_digits()
    model = load_model(bench / "late" / "seed-0" / "checkpoints" / "best.ckpt")
    result = analyze_interactions(model, ds, emap_samples=120)
    assert result["emap"]["gap"] == 0.0 and result["emap"]["model"] == result["emap"]["emap"]
    assert result["categories"] is None and result["pid"] is None


def test_categories_and_pid_with_the_bench_baselines(bench):
    ds = load_digits()
    ckpt = bench / "tensor" / "seed-0" / "checkpoints" / "best.ckpt"
    found = bench_unimodal_checkpoints(ckpt, list(ds.modalities))
    assert set(found) == set(ds.modalities)
    result = analyze_interactions(load_model(ckpt), ds, unimodal=load_unimodal(found), emap_samples=None,
                                  pid_options={"estimator": "batch"})
    cats = result["categories"]
    assert sum(v for k, v in cats.items() if k not in ("A", "B")) == pytest.approx(1.0)
    # on all test examples, the EMAP subset is the whole split: its model accuracy is the model's accuracy
    assert result["emap"]["model"] == pytest.approx(result["accuracy"])
    assert set(result["pid"]) >= {"R", "U1", "U2", "S"}
    with pytest.raises(ConfigError, match="unimodal model of each"):
        analyze_interactions(load_model(ckpt), ds, unimodal={"top": load_model(found["top"])})


def test_command_line(bench, tmp_path):
    out = tmp_path / "inter"
    ckpt = bench / "tensor" / "seed-0" / "checkpoints" / "best.ckpt"
    proc = subprocess.run([sys.executable, "-m", "polymodal", "interactions", "--model", str(ckpt), "--emap-samples", "100",
                           "--pid-estimator", "none", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = json.loads((out / "interactions.json").read_text())
    assert saved["emap"]["samples"] == 100 and saved["categories"] is not None
    assert (out / "interactions.png").is_file() and "EMAP" in (out / "report.md").read_text()
    bad = subprocess.run([sys.executable, "-m", "polymodal", "interactions", "--model", str(tmp_path / "nope.ckpt")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "does not exist" in bad.stderr
