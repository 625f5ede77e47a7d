"""``coordinate`` end to end: every method on digits, real mfeat views, the command line."""

import json
import subprocess
import sys

import numpy as np
import pytest

from polymodal.coordination.run import coordinate
from polymodal.coordination.text import DEFAULT_TEMPLATES
from polymodal.data import load_digits
from polymodal.data.registry import load_dataset
from polymodal.errors import ConfigError
from polymodal.training.pipeline import TrainConfig


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.mark.parametrize("method", ["cca", "dcca", "dccae", "contrastive"])
def test_every_method_runs_and_writes_its_report(digits, method, tmp_path):
    result = coordinate(digits, method, tmp_path, k=5, train_config=TrainConfig(epochs=3, batch_size=128), progress_bar=False)
    for name in ("result.json", "report.md", "coordination.png"):
        assert (tmp_path / name).is_file()
    assert json.loads((tmp_path / "result.json").read_text())["total_test_correlation"] == pytest.approx(result["total_test_correlation"])
    corr = np.array(result["test_correlations"])
    assert len(corr) == 5 and np.all(np.abs(corr) <= 1) and result["total_test_correlation"] == pytest.approx(corr.sum())
    # the top and bottom halves of a digit share its class: far above chance (0.1) without bottom labels
    assert result["zero_shot"]["accuracy"] > 0.4
    assert result["retrieval"]["recall@10"] > 0.7
    # moving a query to another class's direction retrieves that class more often than chance
    assert result["class_shift"]["mean_target_precision"] > 2 * result["class_shift"]["chance"]
    if method != "cca":
        assert (tmp_path / "checkpoints" / "best.ckpt").is_file() and (tmp_path / "checkpoints" / "last.ckpt").is_file()


def test_text_prompt_prototypes(digits, tmp_path, bag_of_words):
    result = coordinate(digits, "cca", tmp_path, k=8, templates=DEFAULT_TEMPLATES, text_encoder=bag_of_words)
    text = result["zero_shot_text"]
    assert text["class_names"][3] == "three" and text["accuracy"] > 0.4
    assert "text prompts" in (tmp_path / "report.md").read_text()


def test_gated_model_skips_single_modality_evaluations(digits, tmp_path):
    result = coordinate(digits, "contrastive", tmp_path, k=4, train_config=TrainConfig(epochs=1, batch_size=128),
                        options={"gated": True}, progress_bar=False)
    assert "zero_shot" not in result and "pairs only" in result["skipped"][0]


def test_resume_continues_from_last_checkpoint(digits, tmp_path):
    coordinate(digits, "dcca", tmp_path, k=4, train_config=TrainConfig(epochs=2, batch_size=128, patience=10), progress_bar=False)
    again = coordinate(digits, "dcca", tmp_path, k=4, train_config=TrainConfig(epochs=4, batch_size=128, patience=10), progress_bar=False)
    assert again["resumed_from"].endswith("last.ckpt") and again["epochs"] == 4


def test_real_mfeat_views_are_correlated(tmp_path, data_dir):
    ds = load_dataset("mfeat", data_dir, seed=0)
    cca = coordinate(ds, "cca", tmp_path / "cca", modalities=["fou", "kar"], k=10)
    con = coordinate(ds, "contrastive", tmp_path / "con", modalities=["fou", "kar"], k=10,
                     train_config=TrainConfig(epochs=5, batch_size=128), progress_bar=False)
    # Fourier and Karhunen-Loeve coefficients of the same handwritten digit: strongly related views
    assert cca["test_correlations"][0] > 0.8
    assert con["zero_shot"]["accuracy"] > 0.5 and cca["zero_shot"]["accuracy"] > 0.5


def test_bad_arguments(digits, tmp_path):
    with pytest.raises(ConfigError, match="method 'pca' is unknown"):
        coordinate(digits, "pca", tmp_path)
    with pytest.raises(ConfigError, match="modalities"):
        coordinate(digits, "cca", tmp_path, modalities=["top", "left"])


def test_command_line(tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "polymodal", "coordinate", "--method", "dccae", "--k", "4", "--epochs", "1",
                           "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "zero-shot bottom accuracy" in proc.stdout and (out / "result.json").is_file()
    bad = subprocess.run([sys.executable, "-m", "polymodal", "coordinate", "--method", "contrastive", "--objective", "hinge",
                          "--epochs", "1", "--out", str(tmp_path / "bad")], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "objective 'hinge' is unknown" in bad.stderr


@pytest.mark.slow
def test_two_process_data_parallel_training(tmp_path):
    import os

    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "polymodal", "coordinate", "--method", "contrastive", "--k", "4", "--epochs", "2",
           "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp", "--batch-size", "61", "--out", str(out)]
    env = {**os.environ, "PL_DISABLE_FORK": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((out / "result.json").read_text())
    assert result["zero_shot"]["accuracy"] > 0.3 and np.isfinite(result["best_val_score"])
