"""Which AV-MNIST fusions use cross-modal interactions? EMAP and response categories for every model of a bench run.

For every fusion trained by ``polymodal bench --dataset avmnist`` (seed ``--seed`` of its output
folder), computes the test accuracy, the accuracy of its EMAP projection on ``--emap-samples``
test examples (the best additive approximation of the model; Hessel and Lee 2020), their gap,
and the response categories of its predictions against the bench's two unimodal baselines.

Usage: python benchmarks/interactions_avmnist.py --runs runs/bench-avmnist/runs --data-dir ../shared/data
       [--seed 0] [--emap-samples 2000] [--emap-samples-for raw=500,cross-modal-transformer=500]
Fusions over token sequences evaluate a transformer on each of the N^2 pairs (about 90 min for N = 2000 on one
CPU thread), so --emap-samples-for gives them a smaller N; the table lists the N of every row.
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
    args = parser.parse_args()
    try:
        samples_for = {name: int(n) for name, n in (item.split("=") for item in args.emap_samples_for.split(",") if item)}
    except ValueError:
        parser.error(f"--emap-samples-for {args.emap_samples_for!r}: expected NAME=N[,NAME=N...], e.g. raw=500")
    from polymodal.data.registry import load_dataset
    from polymodal.interactions.analyze import UNIMODAL_PREFIX, analyze_interactions, bench_unimodal_checkpoints, load_unimodal
    from polymodal.layout import BenchLayout
    from polymodal.training.checkpoint import load_model

    ds = load_dataset("avmnist", args.data_dir, seed=0)
    rows = {}
    cache = ROOT / "runs" / "interactions-avmnist"
    for method_dir in sorted(p for p in args.runs.iterdir() if p.is_dir() and not p.name.startswith(UNIMODAL_PREFIX)):
        ckpt = BenchLayout(args.runs.parent).run(method_dir.name, args.seed).best
        if not ckpt.is_file():
            continue
        done = cache / f"{method_dir.name}.json"
        n = samples_for.get(method_dir.name, args.emap_samples)
        cached = json.loads(done.read_text()) if done.is_file() else None
        if cached and cached["emap"]["samples"] == n:
            rows[method_dir.name] = cached
            continue
        model = load_model(ckpt)
        baselines = load_unimodal(bench_unimodal_checkpoints(ckpt, model.modalities))
        print(method_dir.name, flush=True)
        result = analyze_interactions(model, ds, unimodal=baselines, emap_samples=n, seed=args.seed)
        done.parent.mkdir(parents=True, exist_ok=True)
        done.write_text(json.dumps(result))
        rows[method_dir.name] = result
    write(rows, " ".join(sys.argv[1:]), args.seed)


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
    uni = any_row["unimodal_accuracy"]
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
        f"against the unimodal baselines ({a} {uni[a]:.3f}, {b} {uni[b]:.3f} test accuracy). Sorted by gap.", "",
        *table, "", "![model against EMAP accuracy](figures/interactions-avmnist.png)", "",
    ])
    doc = ROOT / "docs" / "benchmarks.md"
    atomic_write_text(doc, replace_section(doc.read_text(), "interactions", body))
    print("\n".join(table))


if __name__ == "__main__":
    main()
