"""Heterogeneity matrices on synthetic and real data, and heterogeneity-aware fusion against its two extremes.

1. ``hetero-groups`` (truth by construction: {a, b} and {c, d}), seeds 0, 1, 2: the matrix, the
   largest within-group and smallest across-group entry, the groups found.
2. mfeat (six views of one digit), seeds 0, 1, 2: the 6 x 6 matrix (seed 0) and the groups of each
   seed; the 15 x 15 interaction matrix over pairs (seed 0).
3. AV-MNIST image/audio and digits top/bottom: the 2 x 2 matrices.
4. Heterogeneity-aware fusion on mfeat with the measured groups (seed 0 of part 2; with and
   without cross-modal layers shared by the measured groups of pairs) against all-separate
   (= early fusion over per-modality encoders) and all-shared: test accuracy over
   ``--seeds``, encoder and total parameters, training time. Every variant has one extra shared
   hidden layer in its trunks (``trunk_layers=1``); bench settings otherwise (30 epochs, patience 8).

All with the defaults of ``polymodal heterogeneity`` (HeterogeneitySettings()).

Usage: python benchmarks/heterogeneity.py --data-dir ../shared/data [--seeds 0,1,2] [--skip-avmnist]
Writes the generated part of docs/heterogeneity.md (between its markers) and docs/figures/heterogeneity-*.png;
runs go to runs/heterogeneity-bench/ (a rerun resumes them).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "heterogeneity.md"
FIGURES = ROOT / "docs" / "figures"
WORK = ROOT / "runs" / "heterogeneity-bench"


def measure(name: str, data_dir: str, seed: int, cache_dir: str | None = None, interactions: bool = False):
    from polymodal.data.registry import load_dataset
    from polymodal.heterogeneity import HeterogeneitySettings, run_heterogeneity

    options = {"seed": seed} | ({"cache_dir": cache_dir} if name == "avmnist" and cache_dir else {})
    ds = load_dataset(name, data_dir if name in ("mfeat", "avmnist") else None, **options)
    results = run_heterogeneity(ds, WORK / f"{name}-seed{seed}", settings=HeterogeneitySettings(seed=seed),
                                interactions=interactions,
                                command=f"polymodal heterogeneity --dataset {name} --seed {seed}")
    return ds, results, results["modalities"].seconds  # the runs' own times: a resumed rerun reports the same


def table(names, matrix) -> list[str]:
    from polymodal.heterogeneity.run import matrix_table

    return [matrix_table(names, np.asarray(matrix)), ""]


def fusion_bench(ds, groups, pair_groups, seeds: list[int]) -> dict[str, dict]:
    from polymodal.training.complexity import count_parameters
    from polymodal.training.pipeline import fit
    from polymodal.training.recipes import settings_for
    from polymodal.training.checkpoint import load_model

    variants = {"all-separate": {"groups": "separate"}, "measured groups": {"groups": groups},
                "measured groups and pair groups": {"groups": groups, "pair_groups": pair_groups},
                "all-shared": {"groups": "shared"}}
    out = {}
    for label, options in variants.items():
        rows = []
        for seed in seeds:
            settings = settings_for(ds.name, ["heterogeneity-aware"], train={"epochs": 30, "patience": 8, "seed": seed},
                                    fusion_options={"heterogeneity-aware": {**options, "trunk_layers": 1}})
            config = settings.model_config(ds, "heterogeneity-aware")
            run_dir = WORK / "fusion" / label.replace(" ", "-") / f"seed{seed}"
            done = run_dir / "result.json"
            result = (json.loads(done.read_text()) if done.exists() else  # a finished run is not trained again
                      fit(ds, config, settings.train_config("heterogeneity-aware"), run_dir, progress_bar=False))
            model = load_model(result["checkpoint"])
            rows.append({"accuracy": result["test_accuracy"], "time": result["train_time_s"],
                         "parameters": result["parameters"], "encoder_parameters": count_parameters(model.encoders)})
            print(f"  {label} seed {seed}: {result['test_accuracy']:.4f} ({result['train_time_s']:.1f} s)", flush=True)
        out[label] = {"groups": config.fusion_options["groups"], "pair_groups": config.fusion_options["pair_groups"],
                      "runs": rows}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--skip-avmnist", action="store_true")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    from polymodal.heterogeneity import format_groups
    from polymodal.heterogeneity.plot import plot_heterogeneity
    from polymodal.io import atomic_write_text, replace_section

    lines = [f"Command: `python benchmarks/heterogeneity.py --data-dir ../shared/data --seeds {args.seeds}`"
             f"{' --skip-avmnist' if args.skip_avmnist else ''}. Settings: `HeterogeneitySettings()` (the "
             "defaults of `polymodal heterogeneity`): 20 epochs from scratch, 10 adapter epochs, 20 fine-tuning "
             "steps (at lr 1e-4), linear adapters for vectors and LeNets for images, width and hidden 64, a tenth of the "
             "training split held out to pick the best epoch; scores on the validation split.", ""]
    summary = {}

    lines += ["### hetero-groups: truth by construction", "",
              "| seed | max within-group | min across-group | groups | seconds (all runs) |", "|---|---|---|---|---|"]
    for seed in seeds:
        ds, both, secs = measure("hetero-groups", args.data_dir, seed)
        r = both["modalities"]
        idx = {n: i for i, n in enumerate(r.names)}
        within = max(r.matrix[idx["a"], idx["b"]], r.matrix[idx["c"], idx["d"]])
        across = min(r.matrix[idx[i], idx[j]] for i in "ab" for j in "cd")
        lines.append(f"| {seed} | {within:.3f} | {across:.3f} | {format_groups(r.groups)} | {secs:.1f} |")
        if seed == seeds[0]:
            plot_heterogeneity(r, FIGURES / "heterogeneity-hetero-groups.png", "hetero-groups (seed 0)")
            first = r
        print(f"hetero-groups seed {seed}: {format_groups(r.groups)} within {within:.3f} across {across:.3f}", flush=True)
    lines += ["", f"Seed {seeds[0]}, symmetric matrix (bits):", ""] + table(first.names, first.matrix)
    lines += ["![hetero-groups](figures/heterogeneity-hetero-groups.png)", ""]

    lines += ["### mfeat: six views of one digit", "", "| seed | groups | seconds (all runs) |", "|---|---|---|"]
    mfeat_results = []
    for seed in seeds:
        ds, both, secs = measure("mfeat", args.data_dir, seed, interactions=seed == seeds[0])
        r = both["modalities"]
        mfeat_results.append(r)
        if seed == seeds[0]:
            pairs = both["interactions"]
        lines.append(f"| {seed} | {format_groups(r.groups)} | {secs:.1f} |")
        print(f"mfeat seed {seed}: {format_groups(r.groups)}", flush=True)
    mfeat = mfeat_results[0]
    plot_heterogeneity(mfeat, FIGURES / "heterogeneity-mfeat.png", "mfeat (seed 0)")
    lines += ["", f"Seed {seeds[0]}, symmetric matrix (bits):", ""] + table(mfeat.names, mfeat.matrix)
    lines += [f"Seed {seeds[0]}, raw matrix (row = source, column = target):", ""] + table(mfeat.names, mfeat.matrix_raw)
    scratch = {n: mfeat.runs[f"scratch:{n}"] for n in mfeat.names}
    lines += ["Each view alone (from scratch, validation): " + ", ".join(
        f"{n} {s['bits']:.2f} bits / {s['accuracy']:.3f}" for n, s in scratch.items()) + ".", "",
        "![mfeat](figures/heterogeneity-mfeat.png)", ""]
    summary["mfeat_groups"] = mfeat.groups
    plot_heterogeneity(pairs, FIGURES / "heterogeneity-mfeat-pairs.png", "mfeat pairs (seed 0)")
    lines += [f"Interaction heterogeneity over the 15 pairs (seed {seeds[0]}, {len(pairs.runs)} runs, "
              f"{pairs.seconds:.1f} s): groups {format_groups(pairs.groups)}.", "",
              "![mfeat pairs](figures/heterogeneity-mfeat-pairs.png)", ""]
    summary["mfeat_pair_groups"] = pairs.groups

    for name in (["digits"] if args.skip_avmnist else ["avmnist", "digits"]):
        ds, both, secs = measure(name, args.data_dir, seeds[0], args.cache_dir)
        r = both["modalities"]
        lines += [f"### {name}: {' / '.join(r.names)} ({secs:.0f} s)", "", "Raw matrix (bits; row = source, column = target):", ""]
        lines += table(r.names, r.matrix_raw)
        lines += ["| run | bits | accuracy |", "|---|---|---|"]
        for run, s in r.runs.items():
            bits = s.get("bits", s.get("finetuned_bits"))
            acc = s.get("accuracy", s.get("finetuned_accuracy"))
            zs = "" if run.startswith("scratch") else f" (zero-shot {s['zero_shot_bits']:.3f} / {s['zero_shot_accuracy']:.3f})"
            lines.append(f"| {run} | {bits:.3f} | {acc:.3f}{zs} |")
        lines.append("")
        print(f"{name}: {r.matrix_raw.round(3).tolist()}", flush=True)

    from polymodal.data.registry import load_dataset

    ds = load_dataset("mfeat", args.data_dir, seed=0)
    bench = fusion_bench(ds, mfeat.groups, [[k.split("+") for k in g] for g in pairs.groups], seeds)
    lines += ["### Heterogeneity-aware fusion on mfeat", "",
              f"Test accuracy over seeds {args.seeds} (mean ± s.d.); `trunk_layers=1`, 30 epochs, patience 8.", "",
              "| variant | groups | test accuracy | encoder parameters | all parameters | training time (s, median) |",
              "|---|---|---|---|---|---|"]
    base = bench["all-separate"]["runs"][0]["encoder_parameters"]
    for label, b in bench.items():
        accs = [r["accuracy"] for r in b["runs"]]
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        enc = b["runs"][0]["encoder_parameters"]
        shown = format_groups(b["groups"]) + (f"; {len(b['pair_groups'])} pair groups" if b["pair_groups"] else "")
        lines.append(f"| {label} | {shown} | {statistics.mean(accs):.4f} ± {sd:.4f} | "
                     f"{enc:,} ({enc / base - 1:+.0%}) | {b['runs'][0]['parameters']:,} | "
                     f"{statistics.median(r['time'] for r in b['runs']):.1f} |")
    summary["fusion"] = bench
    lines.append("")
    text = DOC.read_text() if DOC.exists() else "# Heterogeneity\n"
    atomic_write_text(DOC, replace_section(text, "heterogeneity:generated", "\n".join(lines)))
    (WORK / "summary.json").write_text(json.dumps(summary, indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
