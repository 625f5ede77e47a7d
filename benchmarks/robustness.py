"""Robustness curves of trained models on real data, and what robust training buys.

1. digits (built in): the whole zoo, ``--seeds`` (bench defaults: 30 epochs, patience 8), every
   model under Gaussian noise on each half and on both, and with each half missing under every
   strategy the model supports.
2. AV-MNIST (MNIST images + FSDD recordings at -10 dB): the unimodal baselines and
   ``--avmnist-fusions`` (seed 0), under image Gaussian noise and audio white noise added to the
   waveforms at SNR 20 - 40 p dB, and with each modality missing.
3. AV-MNIST robust training, seed 0, each a single ``polymodal train`` run evaluated the same way:
   early fusion with modality dropout (q = 0.5) and a learned missing token plus an imputer trained
   afterwards; late fusion with modality dropout and the ``drop`` strategy; early fusion with noise
   augmentation ``image=gaussian:0.5,audio=snr:0.5``.
4. mfeat (six views), seed 0: a few fusions under noise on every view, and with every set of one to
   five views missing (the subsets table is summarised by the number of views missing).

Usage: python benchmarks/robustness.py --data-dir ../shared/data [--seeds 0,1,2] [--skip-avmnist]
Writes the generated part of docs/robustness.md (between its markers) and docs/figures/robustness-*.png;
runs go to runs/robustness-bench/ (a rerun reuses finished runs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "robustness.md"
FIGURES = ROOT / "docs" / "figures"
WORK = ROOT / "runs" / "robustness-bench"
LEVELS = [round(0.1 * i, 1) for i in range(10)]
ROBUST_RUNS = {  # name -> (fusion, ModelConfig extras, TrainConfig extras)
    "early + dropout/token/imputer": ("early", {"missing_token": True, "imputer": 128},
                                      {"modality_dropout": 0.5, "missing_strategy": "token", "impute": "after"}),
    "late + dropout/drop": ("late", {}, {"modality_dropout": 0.5, "missing_strategy": "drop"}),
    "early + noise augmentation": ("early", {}, {"augment": {"image": "gaussian:0.5", "audio": "snr:0.5"}}),
}


def bench(dataset, fusions: list[str], seeds: list[int], out: Path) -> dict:
    from polymodal.bench import run_bench
    from polymodal.training.recipes import settings_for

    settings = settings_for(dataset.name, fusions, train={"epochs": 30, "patience": 8})  # the data set's own recipe
    return run_bench(dataset, fusions, settings.train_config(), out, seeds=seeds, **settings.bench_options())


def train_robust(dataset, name: str, out: Path) -> Path:
    from polymodal.layout import RunLayout
    from polymodal.training.pipeline import fit
    from polymodal.training.recipes import settings_for

    fusion, model_kw, train_kw = ROBUST_RUNS[name]
    run = RunLayout(out)
    if not run.result.is_file():  # a finished run is reused (fit would train on from last.ckpt)
        # the data set's own recipe, under the run's settings; the run's augmentation replaces the recipe's
        settings = settings_for(dataset.name, [fusion], train={"epochs": 30, "patience": 8, **train_kw}, model=model_kw)
        fit(dataset, settings.model_config(dataset, fusion), settings.train_config(fusion), out, progress_bar=False)
    return out


def robustness(run: Path, dataset, out: Path, **kw) -> tuple[dict, float]:
    from polymodal.robustness.run import RobustnessSettings, run_robustness

    start = time.perf_counter()
    result = run_robustness(run, dataset, out, RobustnessSettings(levels=LEVELS, **kw))
    return result, time.perf_counter() - start


def fmt(v: float | None, signed: bool = False) -> str:
    return "–" if v is None else (f"{v:+.3f}" if signed else f"{v:.3f}")


def summary_table(models: dict, names: list[str]) -> list[str]:
    """clean, RR and ER with all modalities perturbed, and the best accuracy with each modality missing (its strategy)."""
    lines = ["| model | clean | RR all | ER all | " + " | ".join(f"{m} missing: best (strategy) / zero" for m in names) + " |",
             "|---|---|---|---|" + "---|" * len(names)]
    for method, e in models.items():
        key = "all" if "all" in e["relative_robustness"] else next(iter(e["relative_robustness"]))
        cells = []
        for m in names:
            accs = e["missing"].get(m)
            if not accs:
                cells.append("–")
                continue
            best = max(accs, key=accs.get)
            cells.append(f"{accs[best]:.3f} ({best}) / {accs['zero']:.3f}")
        er = e["effective_robustness"].get(key)
        lines.append(f"| {method} | {e['clean']:.4f} | {e['relative_robustness'][key]:.3f}"
                     f"{'' if key == 'all' else f' ({key})'} | {fmt(er, True)} | " + " | ".join(cells) + " |")
    return lines


def curve_table(models: dict, key: str) -> list[str]:
    levels = [f"{v:g}" for v in LEVELS]
    lines = [f"| model ({key} perturbed) | " + " | ".join(levels) + " |", "|---|" + "---|" * len(levels)]
    for method, e in models.items():
        if key in e["noise"]:
            lines.append(f"| {method} | " + " | ".join(f"{e['noise'][key][lv]:.3f}" for lv in levels) + " |")
    return lines


def merge(*results: dict) -> dict:
    """One ``{"models": ...}`` from several robustness results; effective robustness recomputed against the first late fusion."""
    from polymodal.robustness.run import add_metrics

    models = {}
    for r in results:
        models.update(r["models"])
    add_metrics(models, LEVELS)
    return {"models": models}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--avmnist-fusions", default="early,late,gated,tensor")
    parser.add_argument("--mfeat-fusions", default="early,late,gated,additive")
    parser.add_argument("--skip-avmnist", action="store_true")
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    from polymodal.data.registry import load_dataset
    from polymodal.io import atomic_write_text, replace_section
    from polymodal.robustness.report import plot_robustness

    seeds = [int(s) for s in args.seeds.split(",")]
    FIGURES.mkdir(parents=True, exist_ok=True)
    timings = {}
    lines = [f"Generated by `python benchmarks/robustness.py {' '.join(sys.argv[1:])}` "
             f"(levels {', '.join(f'{v:g}' for v in LEVELS)}; noise seed 0; bench recipe: 30 epochs, patience 8).", ""]

    from polymodal.fusion.registry import fusion_names

    digits = load_dataset("digits", seed=seeds[0])
    bench(digits, fusion_names(), seeds, WORK / "digits")
    r, timings["digits (20 models x 3 seeds)"] = robustness(WORK / "digits", digits, WORK / "digits" / "robustness")
    shutil.copy(WORK / "digits" / "robustness" / "robustness.png", FIGURES / "robustness-digits.png")
    names = list(digits.modalities)
    lines += [f"## digits: the zoo, seeds {args.seeds} (means)", "",
              "Gaussian noise of `p` times each feature's training s.d. on each half; missing: the half removed "
              "from every test example.", "", *summary_table(r["models"], names), "", *curve_table(r["models"], "all"),
              "", "![digits](figures/robustness-digits.png)", ""]

    if not args.skip_avmnist:
        av = load_dataset("avmnist", args.data_dir, seed=0, cache_dir=args.cache_dir)
        bench(av, args.avmnist_fusions.split(","), [0], WORK / "avmnist")
        base, timings["avmnist bench"] = robustness(WORK / "avmnist", av, WORK / "avmnist" / "robustness")
        extra = []
        for name in ROBUST_RUNS:
            run = train_robust(av, name, WORK / "avmnist-robust" / name.replace(" ", "").replace("/", "-").replace("+", "-"))
            res, timings[f"avmnist {name}"] = robustness(run, av, run / "robustness")
            extra.append({"models": {name: next(iter(res["models"].values()))}})
        merged = merge(base, *extra)
        plot_robustness(merged, FIGURES / "robustness-avmnist.png", title="AV-MNIST: robustness (seed 0)")
        names = list(av.modalities)
        lines += ["## AV-MNIST, seed 0", "",
                  "Image: Gaussian noise of `p` times each image's s.d.; audio: white noise added to the 1 s waveform "
                  "(already at -10 dB) at an SNR of 20 - 40p dB of that signal, then the same spectrogram front end. "
                  "The last three rows are single runs trained for robustness (see below).", "",
                  *summary_table(merged["models"], names), "", *curve_table(merged["models"], "image"), "",
                  *curve_table(merged["models"], "audio"), "", *curve_table(merged["models"], "all"), "",
                  "![avmnist](figures/robustness-avmnist.png)", ""]
        r2 = json.loads((WORK / "avmnist-robust" / "early-dropout-token-imputer" / "result.json").read_text()).get("imputer_r2")
        if r2:
            lines += ["Held-out (validation) R^2 of the imputer trained after `early + dropout/token/imputer`: "
                      + ", ".join(f"{k} {v:.3f}" for k, v in r2.items()) + ".", ""]

    mfeat = load_dataset("mfeat", args.data_dir, seed=0)
    bench(mfeat, args.mfeat_fusions.split(","), [0], WORK / "mfeat")
    mr, timings["mfeat bench"] = robustness(WORK / "mfeat", mfeat, WORK / "mfeat" / "robustness")
    shutil.copy(WORK / "mfeat" / "robustness" / "robustness.png", FIGURES / "robustness-mfeat.png")
    by_count = ["| model | clean | RR all | " + " | ".join(f"{k} of 6 missing (best strategy)" for k in range(1, 6)) + " |",
                "|---|---|---|" + "---|" * 5]
    for method, e in mr["models"].items():
        if not e["missing"]:
            continue
        cells = []
        for k in range(1, 6):
            subsets = [accs for key, accs in e["missing"].items() if len(key.split("+")) == k]
            best = [max(a.values()) for a in subsets]
            cells.append(f"{statistics.mean(best):.3f}")
        by_count.append(f"| {method} | {e['clean']:.4f} | {e['relative_robustness']['all']:.3f} | " + " | ".join(cells) + " |")
    lines += ["## mfeat (six views), seed 0", "",
              "Gaussian noise on every view at once; missing: the mean over the sets of k views removed, each at its best "
              "strategy.", "", *by_count, "", "![mfeat](figures/robustness-mfeat.png)", ""]
    lines += ["## Time of `polymodal robustness` (2 CPU cores)", "", "| evaluated | seconds |", "|---|---|",
              *(f"| {k} | {v:.0f} |" for k, v in timings.items()), ""]
    text = DOC.read_text() if DOC.exists() else "# Robustness\n"
    atomic_write_text(DOC, replace_section(text, "robustness:generated", "\n".join(lines)))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
