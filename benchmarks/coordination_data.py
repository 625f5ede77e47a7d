"""Coordinated representations of real modality pairs: correlation, retrieval, zero-shot use.

For mfeat view pairs (fou & pix, kar & zer, fac & mor) and AV-MNIST (image & audio), runs
``polymodal.coordination.run.coordinate`` with linear CCA, Deep CCA, DCCAE and the contrastive
(CLIP InfoNCE) towers, and a supervised unimodal baseline of the query modality (the second of
each pair). Reports the total test correlation of the top k = 10 canonical components (CCA
fitted on training representations), class-level cross-modal retrieval (query: second
modality, gallery: first), zero-shot accuracy on the query modality from prototypes of the
labelled first modality (and, on AV-MNIST, from text prompts), next to the supervised baseline.
Finished runs are reused (their result.json), so an interrupted benchmark resumes.

Usage: python benchmarks/coordination_data.py --data-dir ../shared/data [--datasets mfeat,avmnist]
       [--epochs 30] [--seed 0] [--out runs/coordination-bench]
Writes docs/coordination-real.md, docs/figures/coordination-*.png and the coordination section
of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRS = {"mfeat": [("fou", "pix"), ("kar", "zer"), ("fac", "mor")], "avmnist": [("image", "audio")]}
METHODS = ("cca", "dcca", "dccae", "contrastive")
K = 10


def run_or_load(run_dir: Path, job) -> dict:
    """The run's result.json if it finished before, else run ``job()`` (which writes it)."""
    done = run_dir / "result.json"
    if done.is_file():
        return json.loads(done.read_text())
    return job()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--datasets", default="mfeat,avmnist")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "coordination-bench")
    parser.add_argument("--baselines", action="append", default=[], metavar="DATASET=RUNS",
                        help="take the supervised unimodal baseline of DATASET from a polymodal bench output "
                             "(RUNS/unimodal-<m>/seed-<seed>/result.json) instead of training it, e.g. avmnist=runs/bench-avmnist/runs")
    args = parser.parse_args()
    baselines = dict(b.split("=", 1) for b in args.baselines)

    from polymodal.coordination.run import coordinate
    from polymodal.coordination.text import DEFAULT_TEMPLATES, sentence_encoder
    from polymodal.data.registry import load_dataset
    from polymodal.errors import ConfigError
    from polymodal.training.pipeline import TrainConfig, fit
    from polymodal.training.recipes import settings_for

    try:
        encoder = sentence_encoder()
    except ConfigError as exc:
        print(f"no text prompts: {exc}")
        encoder = None
    results: dict = {}
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        ds = load_dataset(name, args.data_dir, seed=args.seed)
        train = TrainConfig(epochs=args.epochs, batch_size=128, patience=6, seed=args.seed)
        for a, b in PAIRS[name]:
            pair = f"{a}-{b}"
            base = args.out / name / pair
            row: dict = {}
            for method in METHODS:
                text = dict(templates=DEFAULT_TEMPLATES, text_encoder=encoder) if method == "contrastive" and encoder else {}
                print(f"{name} {pair} {method}", flush=True)
                row[method] = run_or_load(base / method, lambda: coordinate(
                    ds, method, base / method, modalities=[a, b], k=K, train_config=train, progress_bar=False, **text))
            uni = ds.select([b])
            bench_run = Path(baselines[name]) / f"unimodal-{b}" / f"seed-{args.seed}" if name in baselines else None
            supervised = settings_for(name, ["unimodal"], train={"epochs": args.epochs, "patience": 6, "seed": args.seed})
            row["supervised"] = run_or_load(bench_run or base / f"unimodal-{b}", lambda: fit(
                uni, supervised.model_config(uni, "unimodal"), supervised.train_config("unimodal"), base / f"unimodal-{b}",
                progress_bar=False))
            results[(name, a, b)] = row
    write(results, " ".join(sys.argv[1:]), args.out, baselines)


def _total(result: dict) -> str:
    """Total test correlation, with the number of components when a view has fewer features than k."""
    n = len(result["test_correlations"])
    return f"{result['total_test_correlation']:.2f}" + (f" (k = {n})" if n < K else "")


def write(results: dict, argv: str, out: Path, baselines: dict[str, str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from polymodal.io import atomic_write_text, replace_section, save_figure

    command = f"python benchmarks/coordination_data.py {argv}"
    corr = ["| data set | modalities | " + " | ".join(METHODS) + " |", "|---|---|" + "---:|" * len(METHODS)]
    cross = ["| data set | query / gallery | method | recall@1 | recall@10 | zero-shot | zero-shot, text prompts | "
             "linear probe (query labels) | supervised unimodal | class shift (target / source) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (name, a, b), row in results.items():
        corr.append(f"| {name} | {a} & {b} | " + " | ".join(_total(row[m]) for m in METHODS) + " |")
        for m in METHODS:
            r = row[m]
            text = f"{r['zero_shot_text']['accuracy']:.3f}" if "zero_shot_text" in r else "–"
            shift = r["class_shift"]
            cross.append(
                f"| {name} | {b} / {a} | {m} | {r['retrieval']['recall@1']:.3f} | {r['retrieval']['recall@10']:.3f} | "
                f"{r['zero_shot']['accuracy']:.3f} | {text} | {r['zero_shot']['supervised_probe_accuracy']:.3f} | "
                f"{row['supervised']['test_accuracy']:.3f} | {shift['mean_target_precision']:.2f} / {shift['mean_source_precision']:.2f} |")
    by_class = []
    if ("avmnist", "image", "audio") in results:
        r = results[("avmnist", "image", "audio")]["contrastive"]["retrieval"]
        per_class = {k: {str(c): v for c, v in r[f"recall@{k}_by_class"].items()} for k in (1, 10)}  # int keys until saved
        classes = sorted(per_class[1], key=int)
        by_class = ["| digit | " + " | ".join(classes) + " |", "|---|" + "---:|" * len(classes)]
        for k in (1, 10):
            by_class.append(f"| recall@{k} | " + " | ".join(f"{per_class[k][c]:.2f}" for c in classes) + " |")
        src = out / "avmnist" / "image-audio" / "contrastive" / "coordination.png"
        if src.is_file():
            shutil.copyfile(src, ROOT / "docs" / "figures" / "coordination-avmnist-contrastive.png")

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    labels = [f"{n}\n{a} & {b}" for n, a, b in results]
    xs = np.arange(len(labels))
    for j, m in enumerate(METHODS):
        axes[0].bar(xs + (j - 1.5) * 0.2, [row[m]["total_test_correlation"] for row in results.values()], 0.2, label=m)
        axes[1].bar(xs + (j - 1.5) * 0.2, [row[m]["zero_shot"]["accuracy"] for row in results.values()], 0.2, label=m)
    axes[1].scatter(xs, [row["supervised"]["test_accuracy"] for row in results.values()], color="black", marker="_", s=600,
                    label="supervised unimodal", zorder=3)
    axes[0].set_ylabel(f"total test correlation (top {K})")
    axes[1].set_ylabel("zero-shot accuracy of the second modality")
    for ax in axes:
        ax.set_xticks(xs, labels, fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, ROOT / "docs" / "figures" / "coordination-real.png")

    intro = (f"Command: `{command}`. Test split; k = {K}; one seed. Test correlations: a linear CCA fitted on the "
             "training representations, applied to the test representations (linear CCA: on the raw inputs after a PCA "
             "to 100 components per view). Retrieval is class-level (a hit is a gallery item of the query's class). "
             "Zero-shot: the query modality classified by prototypes of the labelled gallery modality (training split), "
             "with no label of the query modality; text prompts: six templates of the digit names embedded by "
             "all-MiniLM-L6-v2 and mapped into the space through the gallery modality's prototypes. The supervised "
             "unimodal baseline is a model of the query modality alone trained with its labels (same encoder"
             + (f"; for {', '.join(baselines)} the unimodal run of the fusion bench" if baselines else "") + ").")
    body = "\n".join([
        "## Coordination of real modalities", "", intro, "",
        f"### Total test correlation (top {K})", "", *corr, "",
        "### Cross-modal retrieval and zero-shot classification", "", *cross, "",
        *(["### AV-MNIST, contrastive: audio query, image gallery, by digit", "", *by_class, "",
           "![AV-MNIST contrastive](figures/coordination-avmnist-contrastive.png)", ""] if by_class else []),
        "![correlation and zero-shot accuracy](figures/coordination-real.png)", "",
    ])
    atomic_write_text(ROOT / "docs" / "coordination-real.md", "# Coordination on real data\n\n" + body.split("\n", 2)[2])
    doc = ROOT / "docs" / "benchmarks.md"
    atomic_write_text(doc, replace_section(doc.read_text(), "coordination", body))
    print("\n".join(corr + [""] + cross + [""] + by_class))


if __name__ == "__main__":
    main()
