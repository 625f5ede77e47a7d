"""A bench's balancing methods against joint training: gains and costs against sums written by hand."""

import statistics

import pytest

from polymodal.bench.balance import (accuracy_table, balance_gains, gains_table, lowest_table, not_run_summary,
                                     probe_gains, probe_gains_summary)
from polymodal.bench.report import write_reports

HERE, THERE = {"cpu_kernels": "AVX512"}, {"cpu_kernels": "AVX2"}


def run(accuracy, seconds=100.0, epochs=10, environment=HERE):
    return {"test_accuracy": accuracy, "train_time_s": seconds, "epochs": epochs, "environment": environment}


RUNS = {
    "unimodal:a": {"0": run(0.60), "1": run(0.64)},
    "tensor": {"0": run(0.80, 100, 10), "1": run(0.82, 200, 20)},
    "tensor+pmr": {"0": run(0.83, 150, 10), "1": run(0.81, 100, 5)},
    "late": {"0": run(0.70, 100, 10), "1": run(0.90, 100, 10)},
    "late+pmr": {"0": run(0.75, 300, 30, THERE), "1": run(0.95, 400, 10)},  # seed 0 made elsewhere
    "late+agm": {"0": run(0.69, 50, 10), "1": run(0.90)},  # seed 1 ties joint training: not improved
    "early+agm": {"0": run(0.99)},  # no joint run of early: not compared
}


def test_gains_are_point_differences_per_pair_and_costs_median_ratios_within_one_environment():
    gains = balance_gains(RUNS)
    assert list(gains) == ["agm", "pmr"]  # in the order of BALANCE_METHODS
    pmr = gains["pmr"]
    # tensor: +3 and -1 points, mean +1; late: +5 and +5
    assert pmr.per_fusion == pytest.approx({"tensor": 1.0, "late": 5.0})
    assert pmr.gain == pytest.approx(3.0)
    assert (pmr.improved, pmr.pairs, pmr.pairs_not_timed) == (3, 4, 1)
    assert (pmr.lowest, pmr.highest) == (pytest.approx(-1.0), pytest.approx(5.0))  # tensor seed 1; late, either seed
    # ratios of the three pairs made in one environment: 150/100, 100/200, 400/100
    assert pmr.time_ratio == pytest.approx(statistics.median([1.5, 0.5, 4.0]))
    # per epoch: (150/10)/(100/10), (100/5)/(200/20), (400/10)/(100/10)
    assert pmr.time_per_epoch_ratio == pytest.approx(statistics.median([1.5, 2.0, 4.0]))
    agm = gains["agm"]
    assert agm.per_fusion == pytest.approx({"late": -0.5}) and (agm.improved, agm.pairs) == (0, 2)
    assert (agm.lowest, agm.highest) == (pytest.approx(-1.0), pytest.approx(0.0))
    assert agm.time_ratio == pytest.approx(0.75) and agm.time_per_epoch_ratio == pytest.approx(0.75)
    assert balance_gains({"tensor": RUNS["tensor"], "unimodal:a": RUNS["unimodal:a"]}) == {}


def test_times_compare_only_within_one_machine_and_boot():
    one, other = {"cpu": "EPYC", "boot": "a"}, {"cpu": "EPYC", "boot": "b"}
    runs = {"late": {"0": {**run(0.8, 100), "host": one}, "1": {**run(0.8, 100), "host": one},
                     "2": run(0.8, 100), "3": run(0.8, 100)},
            "late+pmr": {"0": {**run(0.8, 200), "host": one},     # same boot: 2.0x
                         "1": {**run(0.8, 900), "host": other},   # another boot: left out of the ratio
                         "2": {**run(0.8, 700), "host": other},   # joint run's host unknown: left out
                         "3": run(0.8, 300)}}                     # neither recorded (older runs): 3.0x
    pmr = balance_gains(runs)["pmr"]
    assert (pmr.pairs, pmr.pairs_not_timed) == (4, 2)
    assert pmr.time_ratio == pytest.approx(statistics.median([2.0, 3.0]))


def probed(accuracy, audio):
    return {**run(accuracy), "imbalance": {"linear_probe_accuracy": {"image": 0.9, "audio": audio}}}


def test_probe_gains_compare_each_run_with_joint_training_of_its_own_fusion_and_seed():
    runs = {"tensor": {"0": probed(0.8, 0.50), "1": probed(0.8, 0.60)},
            "tensor+pmr": {"0": probed(0.8, 0.55), "1": probed(0.8, 0.58)},   # +5, -2
            "late": {"0": probed(0.8, 0.62)},
            "late+pmr": {"0": probed(0.8, 0.63), "1": probed(0.8, 0.99)},    # +1; seed 1 has no joint run
            "late+agm": {"0": run(0.8)},                                       # not probed: no pair
            "early+agm": {"0": probed(0.8, 0.99)}}                             # no joint run of early
    gains = probe_gains(runs, "audio")
    assert list(gains) == ["pmr"]
    pmr = gains["pmr"]
    assert (pmr.lowest, pmr.highest) == (pytest.approx(-2.0), pytest.approx(5.0)) and (pmr.raised, pmr.pairs) == (2, 3)
    assert probe_gains(runs, "image")["pmr"].pairs == 3 and probe_gains(runs, "image")["pmr"].raised == 0
    assert probe_gains_summary(gains, "audio") == (
        "Paired with joint training of the same fusion and seed, the pairs whose audio probe each method raised, "
        "and the change in points (lowest to highest): pmr 2/3 (-2.0 to +5.0).\n")
    assert probe_gains(RUNS, "audio") == {} and probe_gains_summary({}, "audio") == ""
    with pytest.raises(ValueError, match=r"modality='text' has no linear probe.*\['audio', 'image'\]"):
        probe_gains(runs, "text")


def test_the_tables_show_each_cell_the_seeds_behind_it_and_the_pairs_behind_a_cost():
    text = accuracy_table(RUNS, [0, 1])
    assert "| fusion | none | agm | pmr |" in text
    assert f"| tensor | 0.8100 ± {statistics.stdev([0.80, 0.82]):.4f} | – | 0.8200 ± {statistics.stdev([0.83, 0.81]):.4f} |" in text
    assert f"| late | 0.8000 ± {statistics.stdev([0.70, 0.90]):.4f} | {statistics.mean([0.69, 0.90]):.4f} ± " in text
    assert "| early | – | 0.9900 (1) | – |" in text
    assert "Unimodal baselines: a 0.6200." in text
    assert accuracy_table({"tensor": RUNS["tensor"]}, [0, 1]) == ""
    lowest = lowest_table(RUNS, [0, 1])
    assert "| fusion | none | agm | pmr |" in lowest
    assert "| tensor | 0.8000 | – | 0.8100 |" in lowest and "| late | 0.7000 | 0.6900 | 0.7500 |" in lowest
    assert "| early | – | 0.9900 (1) | – |" in lowest
    assert lowest_table(RUNS, [0]) == "" and lowest_table({"tensor": RUNS["tensor"]}, [0, 1]) == ""
    gains = gains_table(balance_gains(RUNS))
    assert "| pmr | +3.0 | +1.0 (tensor) to +5.0 (late) | 3/4 | -1.0 to +5.0 | 1.50x (3 pairs) | 2.00x (3 pairs) |" in gains
    assert "| agm | -0.5 | late only | 0/2 | -1.0 to +0.0 | 0.75x | 0.75x |" in gains
    assert gains_table({}) == ""


def test_a_bench_report_has_the_balance_section_only_when_the_bench_balanced(tmp_path):
    def results(runs):
        row = dict(test_macro_f1=0.4, parameters=1200, train_time_s=1.5, peak_memory_mib=300.0,
                   inference_time_per_sample_s=2e-6, epochs=3)
        methods = {m: {**row, "method": m, "test_accuracy": statistics.mean(r["test_accuracy"] for r in by_seed.values())}
                   for m, by_seed in runs.items()}
        return {"settings": {"dataset": "toy", "dataset_options": {}, "train_config": {"seed": 0, "epochs": 3}},
                "seeds": [0, 1], "runs": runs, "methods": methods}

    write_reports(results(RUNS), tmp_path / "balanced")
    text = (tmp_path / "balanced" / "results.md").read_text()
    assert "Balanced learning" in text and gains_table(balance_gains(RUNS)) in text and lowest_table(RUNS, [0, 1]) in text
    assert "<h2>Balanced learning</h2>" in (tmp_path / "balanced" / "report.html").read_text()
    write_reports(results({m: r for m, r in RUNS.items() if "+" not in m}), tmp_path / "plain")
    assert "Balanced learning" not in (tmp_path / "plain" / "results.md").read_text()


def test_skipped_methods_are_listed_once_per_reason_with_their_own_fusion_named_generally():
    skipped = {"tensor+ogm": "--balance ogm needs a decomposable fusion; 'tensor' does not. With it, use: agm.",
               "low-rank+ogm": "--balance ogm needs a decomposable fusion; 'low-rank' does not. With it, use: agm.",
               "tensor+agm": "out of memory for 'low-rank'."}  # another fusion's name stays
    assert not_run_summary(skipped) == (
        "tensor+ogm, low-rank+ogm: --balance ogm needs a decomposable fusion; the fusion does not. With it, use: agm; "
        "tensor+agm: out of memory for 'low-rank'")
    assert not_run_summary({}) == ""
