import pytest
import io
import re

from polymodal.bench import markdown_table, write_reports


def _results():
    row = dict(test_accuracy=0.5, test_macro_f1=0.4, parameters=1200, train_time_s=1.5, peak_memory_mib=300.0,
               inference_time_per_sample_s=2e-6, epochs=3)
    return {
        "settings": {"dataset": "toy", "dataset_options": {}, "train_config": {"seed": 1, "epochs": 3}},
        "methods": {"unimodal:a": {**row, "method": "unimodal:a"}, "early": {**row, "method": "early", "test_accuracy": 0.75}},
    }


def test_markdown_and_self_contained_html(tmp_path):
    md = markdown_table(_results())
    assert "| early | 0.7500 | 0.4000 | 1,200 | 1.5 | 300.0 | 2.0 | 3 |" in md
    paths = write_reports(_results(), tmp_path, command="polymodal bench --dataset toy")
    page = paths["html"].read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3  # accuracy, vs parameters, vs time
    assert "http" not in page.replace("http-equiv", "")  # nothing loaded from outside
    assert "polymodal bench --dataset toy" in paths["markdown"].read_text()


def test_several_seeds_show_mean_and_spread_and_dynamic_routing(tmp_path):
    results = _results()
    results["seeds"] = [0, 1, 2]
    results["methods"]["early"].update(seeds=[0, 1, 2], test_accuracy_std=0.0123, epochs=4.5)
    results["methods"]["dynamic"] = {**results["methods"]["early"], "method": "dynamic",
                                     "routing": {"fraction": {"a": 0.25, "a+b": 0.75}, "compute_saved": 0.6}}
    md = markdown_table(results)
    assert "| early | 0.7500 ± 0.0123 | 0.4000 ± 0.0000 | 1,200 | 1.5 | 300.0 | 2.0 | 4.5 |" in md
    text = write_reports(results, tmp_path)["markdown"].read_text()
    assert "seeds 0, 1, 2" in text
    assert "`dynamic` routed the test examples to a 25%, a+b 75%; encoder compute saved: 60%." in text


def test_costs_can_come_from_chosen_seeds_only():
    from polymodal.bench.summary import summarize

    base = {"parameters": 10, "test_accuracy": 0.5, "test_macro_f1": 0.5, "epochs": 3, "peak_memory_mib": 1.0,
            "inference_time_per_sample_s": 1e-3}
    runs = {"0": {**base, "train_time_s": 100.0}, "1": {**base, "train_time_s": 500.0}, "2": {**base, "train_time_s": 700.0}}
    assert summarize("m", runs)["train_time_s"] == 500.0
    assert summarize("m", runs, timing_seeds=[0])["train_time_s"] == 100.0
    assert summarize("m", runs, timing_seeds=[5])["train_time_s"] == 500.0  # none of them ran: all seeds


def test_terminal_summary_fits_80_columns_without_truncation():
    from rich.console import Console
    from rich.table import Table

    from polymodal.bench.report import TERMINAL_COLUMNS, terminal_rows

    methods = {m: {"method": m, "test_accuracy": 0.86123, "test_accuracy_std": 0.01234, "seeds": [0, 1, 2],
                   "parameters": 1_234_567, "train_time_s": 1234.5, "epochs": 26.3}
               for m in ("unimodal:image", "cross-modal-transformer", "heterogeneity-aware")}
    table = Table(title="polymodal bench")
    for i, (short, _) in enumerate(TERMINAL_COLUMNS):
        table.add_column(short, no_wrap=True)
    for row in terminal_rows({"methods": methods}):
        table.add_row(*row)
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(table)
    text = console.export_text()
    assert "…" not in text and "0.861±0.012" in text and "cross-modal-transformer" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_imbalance_table_sets_each_probe_beside_the_modality_alone():
    from polymodal.bench.report import imbalance_table

    results = {"methods": {
        "unimodal:a": {"test_accuracy": 0.61},
        "unimodal:b": {"test_accuracy": 0.55},
        "tensor": {"imbalance": {"probe": {"a": 0.7, "b": 0.3}, "contribution": {"a": 0.4, "b": -0.01}}},
    }}
    text = imbalance_table(results)
    assert "| method | a: probe (alone 0.6100) | b: probe (alone 0.5500) | a: contribution | b: contribution |" in text
    assert "| tensor | 0.7000 | 0.3000 | +0.4000 | -0.0100 |" in text
    assert imbalance_table({"methods": {"unimodal:a": {"test_accuracy": 0.6}}}) == ""


def test_imbalance_is_summarised_as_seed_means_of_probes_and_last_contributions():
    from polymodal.bench.summary import summarize

    def run(seed, probe_a, contributions_a):
        return {"test_accuracy": 0.8, "test_macro_f1": 0.8, "epochs": 3, "parameters": 10, "train_time_s": 1.0,
                "peak_memory_mib": 1.0, "inference_time_per_sample_s": 1e-6,
                "imbalance": {"linear_probe_accuracy": {"a": probe_a, "b": 0.5},
                              "contribution_per_epoch": {"a": contributions_a, "b": [0.0, 0.1]}}}

    row = summarize("tensor", {"0": run(0, 0.6, [0.1, 0.3]), "1": run(1, 0.8, [0.2, 0.5])})
    assert row["imbalance"]["probe"] == pytest.approx({"a": 0.7, "b": 0.5})
    assert row["imbalance"]["contribution"] == pytest.approx({"a": 0.4, "b": 0.1})


def test_fusions_below_the_best_unimodal_baseline_are_found_seed_by_seed():
    from polymodal.bench.summary import below_unimodal_by_seed

    def acc(**by_seed):
        return {s.lstrip("s"): {"test_accuracy": a} for s, a in by_seed.items()}

    runs = {"unimodal:image": acc(s0=0.63, s1=0.64, s2=0.62), "unimodal:audio": acc(s0=0.40, s1=0.66, s2=0.41),
            "tensor": acc(s0=0.85, s1=0.65, s2=0.84),  # mean 0.78 beats both means, yet seed 1 is below audio
            "late": acc(s0=0.86, s1=0.85, s2=0.62),  # seed 2: equal to the best baseline is not above it
            "early": acc(s0=0.86, s1=0.87, s2=0.85, s3=0.10)}  # seed 3 has no baseline: not judged
    assert below_unimodal_by_seed(runs) == {"tensor": {"1": (0.65, 0.66)}, "late": {"2": (0.62, 0.62)}}
    assert below_unimodal_by_seed({k: v for k, v in runs.items() if k != "tensor" and k != "late"}) == {}
