"""The command line as a user runs it: exit codes, one-line errors, outputs."""

import json
import subprocess
import sys

import pytest


def polymodal(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "polymodal", *args], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.mark.parametrize("args,message", [
    (["bench", "--fusions", "early,nope"], "--fusions: nope unknown"),
    (["bench", "--dataset", "cifar"], "dataset 'cifar' is unknown"),
    (["bench", "--dataset", "mfeat", "--data-dir", "no/such/dir"], "data directory no/such/dir does not exist"),
    (["bench", "--epochs", "many"], "'--epochs'"),
    (["train", "--fusion", "tensr"], "--fusion: 'tensr' is unknown"),
    (["train", "--fusion", "polynomial", "--option", "order=5"], "order must be an int from 1 to the number of modalities (2), got 5"),
    (["train", "--fusion", "low-rank", "--option", "rank"], "--option 'rank': expected KEY=VALUE"),
    (["data", "info", "avmnist", "--data-dir", "."], "missing data file"),
    (["bench", "--no-such-option"], "No such option"),
    (["bench", "--seed", "-1"], "'--seed'"),
    (["bench", "--seeds", "0,x"], "--seeds: '0,x' is not a comma-separated list of integers"),
    (["train", "--accelerator", "tpu-of-dreams"], "--accelerator 'tpu-of-dreams'"),
    (["train", "--accelerator", "cpu", "--devices", "zero"], "--devices 'zero'"),
    (["pid", "--dataset", "bits-and", "--estimator", "guess"], "--estimator: 'guess' is unknown"),
    (["pid", "--dataset", "bits-and", "--modalities", "x1"], "exactly two modalities"),
    (["pid", "--dataset", "bits-and", "--model", "no/such.ckpt"], "checkpoint no/such.ckpt does not exist"),
    (["heterogeneity", "--dataset", "hetero-groups", "--modalities", "a"], "at least two modalities"),
    (["heterogeneity", "--dataset", "hetero-groups", "--score", "best"], "score 'best' is unknown"),
    (["heterogeneity", "--dataset", "digits", "--interactions"], "needs at least 4 modalities"),
    (["heterogeneity", "--dataset", "digits", "--groups", "3"], "n_groups must be an integer from 1 to the number of modalities or pairs (2)"),
    (["train", "--dataset", "hetero-groups", "--fusion", "heterogeneity-aware", "--option", 'groups=[["a","b"],["c"]]'],
     "['d'] are in no group"),
    (["train", "--balance", "greedy"], "--balance: 'greedy' is unknown; choose from none, gblend, ogm, agm, pmr"),
    (["train", "--fusion", "tensor", "--balance", "ogm"], "--balance ogm needs a fusion whose prediction splits"),
    (["train", "--balance", "agm", "--balance-option", "alpha=-1"], "--balance-option alpha=-1: must be a positive number"),
    (["bench", "--balance", "none,greedy"], "--balance: 'greedy' is unknown"),
    (["train", "--balance", "warmstart", "--epochs", "3"], "--balance-option epochs=3: warmstart's unimodal phase would "
                                                           "take all 3 epochs"),
    (["train", "--optimizer", "lion"], "--optimizer: 'lion' is unknown; choose from adam, adamw, sgd"),
    (["coordinate", "--lr-schedule", "step"], "--lr-schedule: 'step' is unknown; choose from constant, cosine"),
    (["train", "--dataset", "hetero-groups", "--fusion", "heterogeneity-aware", "--option",
      'groups=[["a","b"],["b","c","d"]]'], "'b' is in more than one group"),
])
def test_errors_are_one_line_and_non_zero(args, message, monkeypatch):
    monkeypatch.delenv("POLYMODAL_DATA_DIR", raising=False)
    proc = polymodal(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args,option", [
    (["bench", "--epochs", "0"], "--epochs"),
    (["bench", "--epochs", "-3"], "--epochs"),
    (["bench", "--batch-size", "0"], "--batch-size"),
    (["bench", "--patience", "-1"], "--patience"),
    (["train", "--epochs", "0"], "--epochs"),
    (["coordinate", "--epochs", "-1"], "--epochs"),
    (["coordinate", "--k", "0"], "--k"),
    (["pid", "--steps", "0"], "--steps"),
    (["pid", "--steps", "-5"], "--steps"),
    (["pid", "--clusters", "0"], "--clusters"),
    (["interactions", "--model", "m.ckpt", "--pid-steps", "0"], "--pid-steps"),
    (["interactions", "--model", "m.ckpt", "--emap-samples", "0"], "--emap-samples"),
    (["heterogeneity", "--budget", "0"], "--budget"),
    (["heterogeneity", "--adapter-epochs", "0"], "--adapter-epochs"),
    (["heterogeneity", "--finetune-steps", "-1"], "--finetune-steps"),
    (["heterogeneity", "--groups", "0"], "--groups"),
])
def test_budgets_of_zero_or_less_are_one_line_and_exit_2(args, option):
    proc = polymodal(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"'{option}'" in lines[0], proc.stderr


def test_step_times_are_written_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYMODAL_STEP_TIMES", str(tmp_path / "steps.json"))
    proc = polymodal("data", "info", "digits")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads((tmp_path / "steps.json").read_text())
    assert steps["load data"]["inclusive"] > 0


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path, monkeypatch):
    monkeypatch.delenv("POLYMODAL_PROGRESS", raising=False)
    proc = polymodal("train", "--epochs", "1", "--out", str(tmp_path / "t"), "--accelerator", "cpu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "eta" not in proc.stderr and "epoch 1/1" not in proc.stderr


def test_data_info(data_dir):
    proc = polymodal("data", "info", "mfeat", "--data-dir", str(data_dir), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert [m["name"] for m in info["modalities"]] == ["fac", "fou", "kar", "mor", "pix", "zer"]
    assert info["splits"]["test"]["label_counts"] == [30] * 10
    table = polymodal("data", "info", "digits")
    assert "top" in table.stdout and "1257" in table.stdout


def test_bench_writes_results_and_report(tmp_path):
    proc = polymodal("bench", "--fusions", "early,late", "--epochs", "3", "--out", str(tmp_path / "b"), "--accelerator", "cpu")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert list(results["methods"]) == ["unimodal:top", "unimodal:bottom", "early", "late"]
    assert (tmp_path / "b" / "report.html").stat().st_size > 10_000
    assert "| late |" in (tmp_path / "b" / "results.md").read_text()
    again = polymodal("bench", "--fusions", "early,late", "--epochs", "3", "--out", str(tmp_path / "b"), "--accelerator", "cpu")
    assert again.returncode == 0 and json.loads((tmp_path / "b" / "results.json").read_text()) == results


def test_bench_split_seed_keeps_the_split_while_the_training_seed_changes(tmp_path):
    runs = {}
    for name, extra in (("first", []), ("split0", ["--split-seed", "0"])):
        proc = polymodal("bench", "--fusions", "early", "--epochs", "1", "--seeds", "3", *extra,
                         "--out", str(tmp_path / name), "--accelerator", "cpu")
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[name] = json.loads((tmp_path / name / "results.json").read_text())
    assert runs["first"]["settings"]["dataset_options"]["seed"] == 3  # default: the first of --seeds
    assert runs["split0"]["settings"]["dataset_options"]["seed"] == 0
    assert list(runs["split0"]["runs"]["early"]) == ["3"] and runs["split0"]["settings"]["train_config"]["seed"] == 3


def test_fusions_lists_every_model_of_the_catalog(monkeypatch):
    from polymodal.catalog import CATALOG

    monkeypatch.setenv("COLUMNS", "240")
    proc = polymodal("fusions")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines() if line.count("│") > 3}
    rows.pop("", None)  # the continuation lines of a long summary
    assert list(rows) == list(CATALOG)
    assert "LowRankFusion:" in rows["low-rank"] and " tokens " in rows["raw"] and " fission " in rows["factorized"]
    assert " no " in rows["heterogeneity-aware"] and " yes " in rows["tensor"]


def test_pid_prints_the_terms_and_writes_json_and_a_chart(tmp_path):
    proc = polymodal("pid", "--dataset", "bits-and", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "R" in proc.stdout and "cluster estimator on 2000 samples" in proc.stdout
    result = json.loads((tmp_path / "pid.json").read_text())
    assert abs(result["S"] - 0.5) < 0.03 and abs(result["R"] - 0.311) < 0.03
    assert result["settings"]["dataset"] == "bits-and" and result["num_samples"] == 2000
    assert (tmp_path / "pid.png").stat().st_size > 1000


def test_heterogeneity_writes_its_files_and_heterogeneity_aware_fusion_trains_on_its_groups(tmp_path):
    out = tmp_path / "het"
    proc = polymodal("heterogeneity", "--dataset", "hetero-groups", "--budget", "3", "--adapter-epochs", "2",
                     "--finetune-steps", "5", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((out / "heterogeneity.json").read_text())
    assert list(data) == ["modalities", "matrix", "matrix_raw", "groups", "settings"]
    assert "groups:" in proc.stdout and (out / "heterogeneity.png").exists() and (out / "report.md").exists()
    proc = polymodal("train", "--dataset", "hetero-groups", "--fusion", "heterogeneity-aware", "--epochs", "1",
                     "--option", "groups=measured", "--option", f"heterogeneity={out / 'heterogeneity.json'}",
                     "--out", str(tmp_path / "train"))
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "train" / "result.json").read_text())
    assert result["model_config"]["fusion_options"]["groups"] == data["groups"]


def test_a_heterogeneity_file_of_other_modalities_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "heterogeneity.json"
    path.write_text(json.dumps({"modalities": ["top", "bottom"], "matrix": [[0, 1], [1, 0]], "matrix_raw": [[0, 1], [1, 0]],
                                "groups": [["top"], ["bottom"]], "settings": {}}))
    proc = polymodal("train", "--dataset", "hetero-groups", "--fusion", "heterogeneity-aware", "--option",
                     "groups=measured", "--option", f"heterogeneity={path}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "was measured on modalities ['top', 'bottom']" in lines[0], proc.stderr


def test_a_unimodal_model_is_augmented_on_its_own_modality_only(tmp_path):
    out = tmp_path / "top"
    proc = polymodal("train", "--dataset", "digits", "--fusion", "unimodal", "--modalities", "top", "--epochs", "1",
                     "--augment", "top=gaussian:0.2 + dropout:0.1,bottom=gaussian:0.2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "result.json").read_text())["train_config"]["augment"] == {"top": "gaussian:0.2+dropout:0.1"}
    proc = polymodal("train", "--dataset", "digits", "--fusion", "unimodal", "--modalities", "top", "--epochs", "1",
                     "--augment", "left=gaussian:0.2", "--out", str(tmp_path / "bad"))
    assert proc.returncode == 2 and "--augment: modality 'left' is not in data set 'digits' (top, bottom)" in proc.stderr
