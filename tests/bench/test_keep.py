"""A bench kept apart from its machine and restored elsewhere resumes as the same bench."""

import json

import pytest

from polymodal.bench.keep import (
    add_missing_runs, environments, kept_text, local_results, own_runs, portable_results, without_balance,
)
from polymodal.bench.runner import run_bench
from polymodal.errors import ConfigError
from polymodal.layout import BenchLayout
from polymodal.training.pipeline import TrainConfig


def test_kept_results_name_no_path_of_the_machine_and_a_restored_bench_trains_only_what_it_lacks(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu")
    first = run_bench(digits, ["early"], config, tmp_path / "made", seeds=[0])
    kept = portable_results(first, tmp_path / "made")
    assert str(tmp_path) not in json.dumps(kept)
    assert kept["runs"]["early"]["0"]["checkpoint"] == "runs/early/seed-0/checkpoints/best.ckpt"

    elsewhere = BenchLayout(tmp_path / "elsewhere")
    restored = local_results(kept, elsewhere.root)
    assert restored["runs"]["early"]["0"]["checkpoint"] == (elsewhere.run("early", 0).best).as_posix()
    elsewhere.root.mkdir()
    elsewhere.results.write_text(json.dumps(restored))
    both = run_bench(digits, ["early", "late"], config, elsewhere.root, seeds=[0])
    assert not elsewhere.run("early", 0).root.exists()  # skipped, not retrained
    assert not elsewhere.run("unimodal:top", 0).root.exists()
    assert elsewhere.run("late", 0).result.is_file()
    assert both["runs"]["early"] == restored["runs"]["early"]
    assert set(both["runs"]) == {"unimodal:top", "unimodal:bottom", "early", "late"}


def test_a_checkpoint_outside_the_bench_folder_is_refused(tmp_path):
    results = {"runs": {"early": {"0": {"checkpoint": str(tmp_path / "other" / "best.ckpt")}}}}
    with pytest.raises(ConfigError, match="not inside the bench folder"):
        portable_results(results, tmp_path / "bench")


def test_own_runs_leave_out_the_runs_linked_from_another_bench(tmp_path):
    bench, zoo = tmp_path / "balance", tmp_path / "zoo"
    (bench / "runs" / "unimodal-image").mkdir(parents=True)
    (zoo / "runs" / "unimodal-image" / "seed-0").mkdir(parents=True)
    # merge_bench.py --link-runs: the run folder is a link into the other bench
    (bench / "runs" / "unimodal-image" / "seed-1").symlink_to(zoo / "runs" / "unimodal-image" / "seed-0")
    results = {"runs": {
        "unimodal:image": {"0": {"checkpoint": str(zoo / "runs/unimodal-image/seed-0/checkpoints/best.ckpt")},
                           "1": {"checkpoint": str(bench / "runs/unimodal-image/seed-1/checkpoints/best.ckpt")}},
        "tensor": {"0": {"checkpoint": str(bench / "runs/tensor/seed-0/checkpoints/best.ckpt")}},
        "tensor+pmr": {"0": {"test_accuracy": 0.8}}}}
    own = own_runs(results, bench)
    assert own["runs"] == {"tensor": results["runs"]["tensor"], "tensor+pmr": results["runs"]["tensor+pmr"]}
    assert "runs/tensor/seed-0" in portable_results(own, bench)["runs"]["tensor"]["0"]["checkpoint"]
    assert len(results["runs"]["unimodal:image"]) == 2  # the input is not changed


def test_without_balance_drops_one_methods_runs_and_summaries():
    results = {"runs": {"tensor": {"0": {}}, "tensor+gblend": {"0": {}, "1": {}}, "late+gblend": {"0": {}},
                        "late+pmr": {"0": {}}},
               "methods": {"tensor": {}, "tensor+gblend": {}, "late+gblend": {}, "late+pmr": {}}}
    kept, dropped = without_balance(results, "gblend")
    assert dropped == ["tensor+gblend", "late+gblend"]
    assert list(kept["runs"]) == list(kept["methods"]) == ["tensor", "late+pmr"]
    assert "tensor+gblend" in results["runs"]  # the input is not changed
    assert without_balance({"runs": {"tensor": {}}}, "gblend") == ({"runs": {"tensor": {}}}, [])


def test_a_folder_keeps_its_own_runs_and_gains_the_kept_ones_it_lacks():
    existing = {"runs": {"early": {"0": {"test_accuracy": 0.5}}}, "command": "here"}
    kept = {"runs": {"early": {"0": {"test_accuracy": 0.9}, "1": {"test_accuracy": 0.7}},
                     "late": {"0": {"test_accuracy": 0.6}}}}
    joined = add_missing_runs(existing, kept)
    assert joined["runs"] == {"early": {"0": {"test_accuracy": 0.5}, "1": {"test_accuracy": 0.7}},
                              "late": {"0": {"test_accuracy": 0.6}}}
    assert joined["command"] == "here" and existing["runs"]["early"] == {"0": {"test_accuracy": 0.5}}


def test_environments_ignore_the_platform_and_tell_installations_apart():
    def run(torch, platform):
        return {"environment": {"python": "3.11.7", "torch": torch, "platform": platform}}
    results = {"runs": {"a": {"0": run("2.13.0", "linux-1"), "1": run("2.13.0", "linux-2")}, "b": {"0": run("2.12.0", "x")}}}
    assert len(environments(results)) == 2


def test_a_kept_file_reads_back_as_the_results_with_one_run_or_summary_per_line():
    run = {"test_accuracy": 0.5, "imbalance": {"contribution_per_epoch": {"a": [0.1, 0.2, 0.3]}}, "note": "é"}
    results = {"command": "polymodal bench", "settings": {"train_config": {"epochs": 3}}, "seeds": [0, 1],
               "runs": {"early": {"0": run, "1": {**run, "test_accuracy": 0.75}}, "late": {}},
               "methods": {"early": {"test_accuracy": [0.625, 0.125]}}, "skipped": {}}
    text = kept_text(results)
    assert json.loads(text) == results
    lines = text.splitlines()
    for record in (run, {**run, "test_accuracy": 0.75}, results["methods"]["early"]):
        assert sum(json.dumps(record, ensure_ascii=False) in line for line in lines) == 1
    assert any(line.strip() == '"late": {}' for line in lines) and text.endswith("}\n")
