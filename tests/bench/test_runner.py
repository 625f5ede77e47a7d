import json

import lightning as L
import numpy as np
import pytest

from polymodal.bench import bench_methods, parse_fusions, run_bench
from polymodal.bench.runner import parse_seeds
from polymodal.data import load_dataset
from polymodal.errors import ConfigError
from polymodal.fusion import fusion_names
from polymodal.training import TrainConfig


class Interrupt(Exception):
    pass


class InterruptAt(L.Callback):
    """Simulates a crash in the middle of training, after a checkpoint was written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == self.epoch:
            raise Interrupt()


def test_methods_and_fusion_names(digits):
    assert [m.name for m in bench_methods(digits, ["early", "late"])] == ["unimodal:top", "unimodal:bottom", "early", "late"]
    assert parse_fusions("all") == fusion_names() and {"early", "polynomial", "dynamic", "raw"} <= set(fusion_names())
    assert parse_fusions("late, early,late") == ["late", "early"]
    with pytest.raises(ConfigError, match="--fusions: tensr unknown"):
        parse_fusions("early,tensr")


def test_interrupted_bench_resumes(digits, tmp_path):
    config = TrainConfig(epochs=4, patience=10, seed=0, accelerator="cpu")

    def crash_in_late(method, position, total):
        return [InterruptAt(2)] if method.name == "late" else []

    with pytest.raises(Interrupt):
        run_bench(digits, ["early", "late"], config, tmp_path, on_method=crash_in_late)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert list(saved["methods"]) == ["unimodal:top", "unimodal:bottom", "early"]
    assert (tmp_path / "runs" / "late" / "seed-0" / "checkpoints" / "last.ckpt").is_file()
    done_before = {m: (tmp_path / "runs" / m.replace(":", "-") / "seed-0" / "result.json").stat().st_mtime_ns
                   for m in saved["methods"]}

    trained = []
    results = run_bench(digits, ["early", "late"], config, tmp_path,
                        on_method=lambda m, i, n: trained.append(m.name) or [])
    assert list(results["methods"]) == ["unimodal:top", "unimodal:bottom", "early", "late"]
    late = results["runs"]["late"]["0"]
    assert late["resumed_from"].endswith("last.ckpt") and late["epochs"] == 4
    assert late["test_samples"] == len(digits.splits["test"])
    for m, mtime in done_before.items():  # finished methods were not retrained
        assert (tmp_path / "runs" / m.replace(":", "-") / "seed-0" / "result.json").stat().st_mtime_ns == mtime
        assert results["methods"][m] == saved["methods"][m]
    assert json.loads((tmp_path / "results.json").read_text()) == json.loads(json.dumps(results))

    with pytest.raises(ConfigError, match="other settings"):
        run_bench(digits, ["early"], TrainConfig(epochs=5, accelerator="cpu"), tmp_path)


def test_seeds_are_summarised_and_added_seeds_run_alone(digits, tmp_path):
    config = TrainConfig(epochs=2, patience=10, accelerator="cpu")
    first = run_bench(digits, ["early"], config, tmp_path, seeds=[0])
    trained = []
    both = run_bench(digits, ["early"], config, tmp_path, seeds=[0, 1],
                     on_method=lambda m, i, n: trained.append((m.name, i, n)) or [])
    assert trained == [("unimodal:top", 0, 6), ("unimodal:bottom", 1, 6), ("early", 2, 6),
                       ("unimodal:top", 3, 6), ("unimodal:bottom", 4, 6), ("early", 5, 6)]
    assert both["seeds"] == [0, 1] and both["runs"]["early"]["0"] == first["runs"]["early"]["0"]
    accs = [both["runs"]["early"][s]["test_accuracy"] for s in ("0", "1")]
    row = both["methods"]["early"]
    assert row["seeds"] == [0, 1]
    assert row["test_accuracy"] == pytest.approx(np.mean(accs))
    assert row["test_accuracy_std"] == pytest.approx(np.std(accs, ddof=1))
    with pytest.raises(ConfigError, match="--seeds: '0,x' is not a comma-separated list"):
        parse_seeds("0,x")
    with pytest.raises(ConfigError, match=r"must list integers in \[0, 2\*\*32\)"):
        parse_seeds([-1])


def test_a_fusion_too_large_for_the_data_set_is_reported_not_fatal(data_dir, tmp_path):
    mfeat = load_dataset("mfeat", data_dir)
    results = run_bench(mfeat, ["tensor", "low-rank"], TrainConfig(epochs=1, accelerator="cpu"), tmp_path)
    assert "tensor" not in results["methods"] and "low-rank" in results["methods"]
    weights = 65**6 * 64  # prod(d_m + 1) x output size, six 64-dimensional embeddings
    assert f"{weights:,}" in results["skipped"]["tensor"] and "low-rank" in results["skipped"]["tensor"]


def test_identity_has_neither_training_seeds_nor_data_location(digits, tmp_path):
    """Seeds added in another process (--seeds 2) and a moved data file both resume the same bench."""
    import shutil

    from polymodal.data import load_dataset

    first_home = digits.to_npz(tmp_path / "a" / "d.npz")
    config = TrainConfig(epochs=1, accelerator="cpu")
    out = tmp_path / "bench"
    run_bench(load_dataset(str(first_home)), ["early"], config, out, seeds=[0])
    moved = tmp_path / "b" / "d.npz"
    moved.parent.mkdir()
    shutil.move(first_home, moved)
    results = run_bench(load_dataset(str(moved)), ["early"], config, out, seeds=[2])
    assert sorted(results["runs"]["early"]) == ["0", "2"] and results["seeds"] == [0, 2]
    assert results["settings"]["dataset_options"]["path"] == str(moved)
    with pytest.raises(ConfigError, match="other settings"):  # another split is another bench
        run_bench(load_dataset(str(moved), seed=1), ["early"], config, out, seeds=[0])


def test_each_fusion_trains_with_each_balancing_method_and_unfit_pairs_are_skipped(digits, tmp_path):
    results = run_bench(digits, ["tensor", "late"], TrainConfig(epochs=1, accelerator="cpu"), tmp_path,
                        balances=["none", "ogm", "agm"], balance_options={"agm.alpha": 0.2})
    assert list(results["methods"]) == ["unimodal:top", "unimodal:bottom", "tensor", "tensor+agm", "late", "late+ogm",
                                        "late+agm"]
    assert "needs a fusion whose prediction splits by modality" in results["skipped"]["tensor+ogm"]
    config = {name: runs["0"]["train_config"] for name, runs in results["runs"].items()}
    assert config["late+agm"]["balance"] == "agm" and config["late+agm"]["balance_options"] == {"alpha": 0.2}
    assert config["late+ogm"]["balance_options"] == {} and config["unimodal:top"]["balance"] == "none"
    # adding a balancing method later resumes the same bench: only the new runs train
    again = run_bench(digits, ["late"], TrainConfig(epochs=1, accelerator="cpu"), tmp_path, balances=["none", "pmr"])
    assert again["runs"]["late"] == results["runs"]["late"] and "late+pmr" in again["methods"]


def test_results_json_lists_a_pair_skipped_after_the_last_run_and_keeps_earlier_calls_skips(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu")
    results = run_bench(digits, ["late", "tensor"], config, tmp_path, balances=["none", "ogm"])  # tensor+ogm comes last
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert list(on_disk["skipped"]) == list(results["skipped"]) == ["tensor+ogm"]
    assert on_disk["runs"].keys() == results["runs"].keys()
    run_bench(digits, ["late"], config, tmp_path, balances=["none", "pmr"])  # resumes the bench, trains late+pmr
    assert list(json.loads((tmp_path / "results.json").read_text())["skipped"]) == ["tensor+ogm"]


def test_a_unimodal_baseline_is_augmented_on_its_own_modality_only(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu", augment={"top": "gaussian:0.3"})
    results = run_bench(digits, ["early"], config, tmp_path)
    augment = {name: runs["0"]["train_config"]["augment"] for name, runs in results["runs"].items()}
    assert augment == {"unimodal:top": {"top": "gaussian:0.3"}, "unimodal:bottom": {}, "early": {"top": "gaussian:0.3"}}
    with pytest.raises(ConfigError, match="--augment: modality 'audio' is not in data set 'digits' \\(top, bottom\\)"):
        run_bench(digits, ["early"], TrainConfig(epochs=1, augment={"audio": "time-mask:0.1"}), tmp_path / "other")


def test_balance_options_are_scoped_when_a_bench_has_several_methods():
    from polymodal.bench.runner import balance_options_for

    assert balance_options_for({"alpha": 0.5}, "agm", ["none", "agm"]) == {"alpha": 0.5}
    assert balance_options_for({"alpha": 0.5}, "none", ["none", "agm"]) == {}
    assert balance_options_for({"agm.alpha": 0.5, "pmr.momentum": 0.9}, "pmr", ["agm", "pmr"]) == {"momentum": 0.9}
    with pytest.raises(ConfigError, match="with several --balance methods, scope it, e.g. agm.alpha"):
        balance_options_for({"alpha": 0.5}, "agm", ["agm", "pmr"])
    with pytest.raises(ConfigError, match="'umt' is not a --balance method of this bench"):
        balance_options_for({"umt.weight": 1.0}, "agm", ["agm"])


def test_a_bench_recorded_before_a_training_field_existed_has_the_identity_of_its_old_behaviour():
    from dataclasses import asdict

    from polymodal.bench.runner import bench_identity

    now = {"dataset": "digits", "train_config": asdict(TrainConfig())}
    before = json.loads(json.dumps(now))
    del before["train_config"]["lr_schedule"]  # recorded before the learning-rate schedule
    assert bench_identity(before) == bench_identity(now)
    cosine = {"dataset": "digits", "train_config": asdict(TrainConfig(lr_schedule="cosine"))}
    assert bench_identity(before) != bench_identity(cosine)


def test_a_model_option_left_out_means_the_behaviour_it_had_before_recipes_set_it():
    from polymodal.bench.runner import bench_identity

    before = {"dataset": "avmnist", "model_options": {"encoder_norm": "auto"}}  # recorded before the tokenizer
    patch = {"dataset": "avmnist", "model_options": {"encoder_norm": "auto", "tokenizer": "patch"}}
    stem = {"dataset": "avmnist", "model_options": {"encoder_norm": "auto", "tokenizer": "conv-stem"}}
    assert bench_identity(before) == bench_identity(patch) != bench_identity(stem)


def test_fusions_run_first_into_a_folder_keep_their_results_when_the_rest_follow(digits, tmp_path):
    """A bench of a few fusions, then one of others into the same folder: nothing is lost or retrained."""
    config = TrainConfig(epochs=1, patience=10, seed=0, accelerator="cpu")
    first = run_bench(digits, ["late"], config, tmp_path)
    second = run_bench(digits, ["early"], config, tmp_path)
    assert list(second["methods"]) == ["unimodal:top", "unimodal:bottom", "early", "late"]
    assert second["runs"]["late"] == first["runs"]["late"]
    assert second["runs"]["unimodal:top"] == first["runs"]["unimodal:top"]  # not retrained: same times
    assert json.loads((tmp_path / "results.json").read_text())["runs"]["late"] == first["runs"]["late"]


def test_parts_of_one_bench_keep_each_fusions_options_and_must_agree_on_fusions_both_trained(digits, tmp_path):
    """A recipe sets only the options of the fusions trained, so a part of a few fusions records fewer."""
    config = TrainConfig(epochs=1, patience=10, seed=0, accelerator="cpu")
    ranked = {"fusion_options": {"low-rank": {"rank": 2}}}
    first = run_bench(digits, ["low-rank"], config, tmp_path, model_options=ranked)
    both = run_bench(digits, ["early"], config, tmp_path)
    assert both["settings"]["model_options"]["fusion_options"] == {"low-rank": {"rank": 2}}
    assert both["runs"]["low-rank"] == first["runs"]["low-rank"] and "early" in both["runs"]
    again = run_bench(digits, ["low-rank", "early"], config, tmp_path, model_options=ranked)
    assert again["runs"] == both["runs"]  # the same bench: nothing retrained
    with pytest.raises(ConfigError, match="other settings"):
        run_bench(digits, ["low-rank"], config, tmp_path, model_options={"fusion_options": {"low-rank": {"rank": 3}}})
    with pytest.raises(ConfigError, match="other settings"):  # no entry is low-rank's defaults, not rank 2
        run_bench(digits, ["low-rank"], config, tmp_path)


def test_parts_agree_on_the_own_training_settings_of_the_fusions_both_trained():
    from polymodal.bench.runner import join_settings

    def part(fusion_train):
        return {"dataset": "d", "train_config": {"lr": 0.1}, "model_options": {}, **({"fusion_train": fusion_train} if fusion_train else {})}

    half = part({"low-rank": {"lr": 0.05}})
    assert join_settings(half, {"low-rank"}, part({}), {"late"})["fusion_train"] == {"low-rank": {"lr": 0.05}}
    assert join_settings(half, {"low-rank"}, part({}), {"low-rank"}) is None  # no entry: the shared rate
    assert join_settings(half, {"low-rank"}, part({"low-rank": {"lr": 0.02}}), {"low-rank", "late"}) is None
    assert join_settings(half, {"low-rank"}, half, {"low-rank"}) == half
