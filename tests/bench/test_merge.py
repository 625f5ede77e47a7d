"""Benches run as separate processes, merged, against the same bench run in one process."""

import pytest

from polymodal.bench.merge import merge_results
from polymodal.bench.runner import run_bench
from polymodal.errors import ConfigError
from polymodal.training.pipeline import TrainConfig


def test_merged_sub_benches_equal_one_bench_of_every_seed_and_fusion(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu")
    parts = [run_bench(digits, ["early"], config, tmp_path / "a", seeds=[0]),
             run_bench(digits, ["late"], config, tmp_path / "b", seeds=[1]),
             run_bench(digits, ["early"], config, tmp_path / "c", seeds=[1])]
    whole = run_bench(digits, ["early", "late"], config, tmp_path / "whole", seeds=[0, 1])
    merged = merge_results(parts, "polymodal bench --fusions early,late --seeds 0,1")
    assert merged["seeds"] == [0, 1]
    assert list(merged["runs"]) == ["unimodal:bottom", "unimodal:top", "early", "late"]
    for method, by_seed in merged["runs"].items():
        expected = {s: r["test_accuracy"] for s, r in whole["runs"][method].items() if s in by_seed}
        assert {s: r["test_accuracy"] for s, r in by_seed.items()} == expected
        accuracies = list(expected.values())
        assert merged["methods"][method]["test_accuracy"] == pytest.approx(sum(accuracies) / len(accuracies))
    assert set(merged["runs"]["late"]) == {"1"} and set(merged["runs"]["unimodal:top"]) == {"0", "1"}


def test_merged_fusions_follow_the_catalog_not_the_alphabet(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu")
    parts = [run_bench(digits, [fusion], config, tmp_path / fusion, seeds=[0]) for fusion in ("tensor", "additive", "late")]
    merged = merge_results(parts, "polymodal bench --fusions late,additive,tensor --seeds 0")
    # the catalog (polymodal fusions) lists late, additive, tensor in that order
    assert list(merged["runs"]) == ["unimodal:bottom", "unimodal:top", "late", "additive", "tensor"]
    assert list(merged["methods"]) == list(merged["runs"])


def test_benches_of_other_settings_are_not_merged(digits, tmp_path):
    one = run_bench(digits, ["early"], TrainConfig(epochs=1, accelerator="cpu"), tmp_path / "a", seeds=[0])
    two = run_bench(digits, ["early"], TrainConfig(epochs=2, accelerator="cpu"), tmp_path / "b", seeds=[0])
    with pytest.raises(ConfigError, match="benches of different settings cannot be merged"):
        merge_results([one, two], "x")
    with pytest.raises(ConfigError, match="nothing to merge"):
        merge_results([], "x")


def test_parts_with_options_of_their_own_fusions_merge_and_disagreeing_ones_do_not(digits, tmp_path):
    config = TrainConfig(epochs=1, accelerator="cpu")
    ranked = run_bench(digits, ["low-rank"], config, tmp_path / "a", seeds=[0],
                       model_options={"fusion_options": {"low-rank": {"rank": 2}}})
    plain = run_bench(digits, ["early"], config, tmp_path / "b", seeds=[0])
    merged = merge_results([plain, ranked], "x")
    assert merged["settings"]["model_options"]["fusion_options"] == {"low-rank": {"rank": 2}}
    assert set(merged["runs"]) == {"unimodal:top", "unimodal:bottom", "early", "low-rank"}
    other = run_bench(digits, ["low-rank"], config, tmp_path / "c", seeds=[1],
                      model_options={"fusion_options": {"low-rank": {"rank": 3}}})
    with pytest.raises(ConfigError, match="benches of different settings cannot be merged"):
        merge_results([ranked, plain, other], "x")
