"""Which AV-MNIST fusions use cross-modal interactions? EMAP and response categories for every model of a bench run.

For every fusion trained by ``polymodal bench --dataset avmnist`` (seed ``--seed`` of its output
folder), computes the test accuracy, the accuracy of its EMAP projection on ``--emap-samples``
test examples (the best additive approximation of the model; Hessel and Lee 2020), their gap,
and the response categories of its predictions against the bench's two unimodal baselines.

Usage: python benchmarks/interactions_avmnist.py --runs runs/bench-avmnist/runs --data-dir ../shared/data
       [--seed 0] [--emap-samples 2000] [--emap-samples-for raw=500,cross-modal-transformer=500] [--cache DIR]
       [--only-cache]
Fusions over token sequences evaluate a transformer on each of the N^2 pairs (about 90 min for N = 2000 on one
CPU thread), so --emap-samples-for gives them a smaller N; the table lists the N of every row.
Each fusion's result is kept in --cache (default runs/interactions-avmnist), beside its run's record in the
bench's results.json: it is reused, without the checkpoint, while that record (test accuracy, model and training
settings) and N are unchanged, so a cache kept in the repository (benchmarks/results) spans sessions whose run
folders are gone; a fusion with neither a checkpoint nor a valid entry is left out, with a line saying so.
Writes docs/figures/interactions-avmnist.png and the interactions section of docs/benchmarks.md (the reading below it is
written by hand and kept).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="the runs/ folder of a polymodal bench output")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--emap-samples", type=int, default=2000)
    parser.add_argument("--emap-samples-for", default="", help="per-fusion N, e.g. raw=500,cross-modal-transformer=500")
    parser.add_argument("--cache", type=Path, default=ROOT / "runs" / "interactions-avmnist",
                        help="folder of each fusion's result, reused while its run's record is unchanged")
    parser.add_argument("--only-cache", action="store_true",
                        help="compute and keep the results, write no docs (for a bench not finished yet)")
    args = parser.parse_args()
    try:
        samples_for = {name: int(n) for name, n in (item.split("=") for item in args.emap_samples_for.split(",") if item)}
    except ValueError:
        parser.error(f"--emap-samples-for {args.emap_samples_for!r}: expected NAME=N[,NAME=N...], e.g. raw=500")
    from polymodal.data.registry import load_dataset
    from polymodal.interactions.analyze import UNIMODAL_PREFIX, analyze_interactions, load_unimodal
    from polymodal.io import atomic_write_text
    from polymodal.layout import BenchLayout
    from polymodal.training.checkpoint import load_model

    ds = load_dataset("avmnist", args.data_dir, seed=0)
    rows = {}
    records = bench_records(args.runs.parent / "results.json", args.seed)
    folders = {p.name for p in args.runs.iterdir() if p.is_dir()} if args.runs.is_dir() else set()
    methods = folders | set(records)
    for method in sorted(m for m in methods if not m.startswith(UNIMODAL_PREFIX)):
        ckpt = BenchLayout(args.runs.parent).run(method, args.seed).best
        done = args.cache / f"{method}.json"
        n = samples_for.get(method, args.emap_samples)
        cached = json.loads(done.read_text()) if done.is_file() else None
        if cached and cached["emap"]["samples"] == n and cached.get("run") == records.get(method):
            rows[method] = cached
            continue
        if not ckpt.is_file():
            print(f"{method}: no checkpoint and no kept result for this run; left out", flush=True)
            continue
        model = load_model(ckpt)
        # the bench's own baselines, looked up in this folder (a merged bench's runs are links to others)
        unimodal = {m: BenchLayout(args.runs.parent).run(f"{UNIMODAL_PREFIX}{m}", args.seed).best for m in model.modalities}
        if not all(p.is_file() for p in unimodal.values()):
            print(f"{method}: the bench has no unimodal checkpoint of seed {args.seed} ({', '.join(map(str, unimodal.values()))}); "
                  "left out", flush=True)
            continue
        baselines = load_unimodal(unimodal)
        print(method, flush=True)
        result = analyze_interactions(model, ds, unimodal=baselines, emap_samples=n, seed=args.seed)
        result["run"] = records.get(method)
        args.cache.mkdir(parents=True, exist_ok=True)
        atomic_write_text(done, json.dumps(result))
        rows[method] = result
    if not args.only_cache:
        write(rows, " ".join(sys.argv[1:]), args.seed)


def bench_records(results: Path, seed: int) -> dict[str, dict]:
    """``{method folder name: identity}`` of each run of seed ``seed`` in a bench's ``results.json``:
    what a kept interaction result must match to be reused (its fusion, test accuracy, model and
    training settings; nothing that names a path)."""
    from polymodal.layout import method_slug

    if not results.is_file():
        return {}
    keys = ("fusion", "modalities", "seed", "test_accuracy", "model_config", "train_config")
    return {method_slug(method): {k: by_seed[str(seed)][k] for k in keys if k in by_seed[str(seed)]}
            for method, by_seed in json.loads(results.read_text())["runs"].items() if str(seed) in by_seed}


def write(rows: dict, argv: str, seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.interactions.response_categories import CATEGORIES
    from polymodal.io import atomic_write_text, replace_section, save_figure

    order = sorted(rows, key=lambda m: -rows[m]["emap"]["gap"])
    any_row = next(iter(rows.values()))
    a, b = any_row["categories"]["A"], any_row["categories"]["B"]
    names = [c.replace("dominance-A", f"dominance {a}").replace("dominance-B", f"dominance {b}") for c in CATEGORIES]
    table = ["| fusion | test accuracy | EMAP examples | accuracy on them | EMAP accuracy | gap | " + " | ".join(names) + " |",
             "|---|---:|---:|---:|---:|---:|" + "---:|" * len(CATEGORIES)]
    for m in order:
        r = rows[m]
        e, c = r["emap"], r["categories"]
        table.append(f"| {m} | {r['accuracy']:.4f} | {e['samples']} | {e['model']:.4f} | {e['emap']:.4f} | {e['gap']:+.4f} | "
                     + " | ".join(f"{c[k]:.3f}" for k in CATEGORIES) + " |")
    # the baselines most rows were measured against; a row whose run outlived its bench's baseline
    # checkpoints was measured against baselines of the same seed and settings trained again
    shown = [tuple(sorted(r["unimodal_accuracy"].items())) for r in rows.values()]
    uni = dict(max(set(shown), key=shown.count))
    others = [f"{m} against {a} {rows[m]['unimodal_accuracy'][a]:.3f} and {b} {rows[m]['unimodal_accuracy'][b]:.3f}"
              for m in order if rows[m]["unimodal_accuracy"] != uni]
    retrained = (f" Except {'; '.join(others)}: baselines of the same seed and settings trained again, on another "
                 "machine, after the bench's checkpoints were gone." if others else "")
    fig, ax = plt.subplots(figsize=(9, 3.8))
    xs = range(len(order))
    ax.bar([x - 0.2 for x in xs], [rows[m]["emap"]["model"] for m in order], 0.4, label="model")
    ax.bar([x + 0.2 for x in xs], [rows[m]["emap"]["emap"] for m in order], 0.4, label="EMAP (additive projection)")
    ax.set_xticks(list(xs), order, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("test accuracy (EMAP examples)")
    ax.set_ylim(0.4, 1)
    ax.legend(fontsize=8)
    ax.set_title("AV-MNIST: each fusion against its best additive approximation", fontsize=10)
    fig.tight_layout()
    save_figure(fig, ROOT / "docs" / "figures" / "interactions-avmnist.png")
    samples = max(r["emap"]["samples"] for r in rows.values())
    body = "\n".join([
        "## Which AV-MNIST fusions use interactions", "",
        f"Command: `python benchmarks/interactions_avmnist.py {argv}`. Seed-{seed} models of the AV-MNIST bench; EMAP on "
        f"{samples} test examples ({samples ** 2:,} recombined pairs; a random subset, seed {seed}, where the split is larger or the table says fewer); response categories on the whole test split "
        f"against the unimodal baselines ({a} {uni[a]:.3f}, {b} {uni[b]:.3f} test accuracy).{retrained} Sorted by gap.", "",
        *table, "", "![model against EMAP accuracy](figures/interactions-avmnist.png)", "",
    ])
    doc = ROOT / "docs" / "benchmarks.md"
    atomic_write_text(doc, replace_section(doc.read_text(), "interactions", body))
    print("\n".join(table))


if __name__ == "__main__":
    main()
