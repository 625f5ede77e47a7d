"""``polymodal robustness`` on a real bench: the clean accuracy is the bench's, the files are complete, bad input is one line."""

import json
import subprocess
import sys

import pytest

from polymodal.bench import run_bench
from polymodal.robustness.run import RobustnessSettings, missing_subsets, run_robustness
from polymodal.training.pipeline import TrainConfig


def polymodal(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "polymodal", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def bench(digits, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    run_bench(digits, ["early", "late", "gated"], TrainConfig(epochs=2), out, seeds=[0, 1])
    return out


def test_robustness_reproduces_the_bench_and_writes_every_file(digits, bench, tmp_path):
    levels = [0.0, 0.5, 1.0]
    result = run_robustness(bench, digits, tmp_path, RobustnessSettings(levels=levels))
    results = json.loads((bench / "results.json").read_text())
    saved = json.loads((tmp_path / "robustness.json").read_text())
    assert saved == json.loads(json.dumps(result)) and list(saved) == ["models"]
    for method, entry in saved["models"].items():
        assert set(entry) == {"clean", "noise", "missing", "relative_robustness", "effective_robustness"}
        assert entry["clean"] == pytest.approx(results["methods"][method]["test_accuracy"], abs=1e-12)  # the same evaluation
        assert all(list(curve) == ["0", "0.5", "1"] and curve["0"] == entry["clean"] for curve in entry["noise"].values())
    top, bottom = list(digits.modalities)
    assert set(saved["models"]["late"]["noise"]) == {top, bottom, "all"}
    assert set(saved["models"][f"unimodal:{top}"]["noise"]) == {top} and saved["models"][f"unimodal:{top}"]["missing"] == {}
    assert set(saved["models"]["late"]["missing"][top]) == {"zero", "mean", "drop"}
    assert set(saved["models"]["early"]["missing"][top]) == {"zero", "mean"}
    assert saved["models"]["late"]["effective_robustness"] == {top: 0.0, bottom: 0.0, "all": 0.0}
    assert (tmp_path / "robustness.png").stat().st_size > 0
    assert "late" in (tmp_path / "robustness.md").read_text()
    assert "<h2>Robustness</h2>" in (bench / "report.html").read_text()


def test_missing_subsets_go_up_to_all_but_one():
    assert missing_subsets(["a", "b", "c"]) == [("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c")]
    assert missing_subsets(["a"]) == [] and missing_subsets(["a", "b"], [["b"], ["a", "b"], ["z"]]) == [("b",)]


@pytest.mark.parametrize("args,message", [
    (["--levels", "0,0.5,1.5"], "--levels: 1.5 is outside [0, 1]"),
    (["--perturbation", "top=snr"], "'snr' is unknown for kind 'vector'; choose from gaussian, dropout"),
    (["--strategies", "token"], "no model of the bench supports token; supported: drop, mean, zero"),
    (["--subsets", "top+bottom"], "top+bottom removes every modality"),
])
def test_bad_input_is_one_line_and_exit_2(bench, args, message):
    proc = polymodal("robustness", "--run", str(bench), *args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr


def test_a_folder_without_checkpoints_is_one_line_and_exit_2(tmp_path):
    proc = polymodal("robustness", "--run", str(tmp_path))
    assert proc.returncode == 2 and "no checkpoints/best.ckpt here" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    (tmp_path / "results.json").write_text(json.dumps({"runs": {"early": {"0": {}}}, "settings": {"dataset": "digits"}}))
    proc = polymodal("robustness", "--run", str(tmp_path))
    assert proc.returncode == 2 and "the bench has no checkpoints" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_one_trained_run_through_the_cli(tmp_path):
    run = tmp_path / "run"
    proc = polymodal("train", "--fusion", "late", "--epochs", "2", "--modality-dropout", "0.3", "--missing-strategy",
                     "token", "--imputer", "after", "--out", str(run))
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = polymodal("robustness", "--run", str(run), "--levels", "0,0.5")
    assert proc.returncode == 0, proc.stderr[-2000:]
    entry = json.loads((run / "robustness" / "robustness.json").read_text())["models"]["late"]
    assert set(entry["missing"]["top"]) == {"zero", "mean", "token", "drop", "impute"}
    assert entry["clean"] == json.loads((run / "result.json").read_text())["test_accuracy"]
