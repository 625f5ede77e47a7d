"""PID of data sets and of trained models, with both estimators.

1. The synthetic data sets with known interactions (bits-*, latent-*): every estimator
   (cluster with the PCA recipe, cluster with the learned reduction, batch with the learned and
   the exact joint); the dominant term found against the one the data set is built to have.
2. Real data: pairs of UCI Multiple Features views and AV-MNIST's image and audio (cluster with
   the PCA recipe, batch with the exact joint).
3. Optionally, model PID of the AV-MNIST fusion models a ``polymodal bench`` run trained
   (``--runs DIR``, the bench's ``runs`` folder): which interactions each model's predictions use.

Usage: python benchmarks/pid_data.py --data-dir ../shared/data [--runs runs/bench-avmnist/runs]
                                     [--sections synthetic,real,models] [--quick]
Writes docs/pid-<section>.md (tables, settings, command) and docs/figures/pid-*.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC = {"bits-and": "S", "bits-or": "S", "bits-xor": "S", "latent-redundancy": "R",
             "latent-unique1": "U1", "latent-unique2": "U2", "latent-synergy": "S"}
ESTIMATORS = {  # label -> dataset_pid options
    "cluster, PCA recipe": {"estimator": "cluster", "reduce": "pca", "n_clusters": 20},
    "cluster, learned": {"estimator": "cluster", "reduce": "learned", "n_clusters": 10},
    "batch, learned joint": {"estimator": "batch", "joint": "learned"},
    "batch, exact joint": {"estimator": "batch", "joint": "exact"},
}
REAL_ESTIMATORS = {k: ESTIMATORS[k] for k in ("cluster, PCA recipe", "batch, learned joint")}
SECTIONS = ("synthetic", "real", "models")
MFEAT_PAIRS = [("fou", "pix"), ("kar", "zer"), ("fac", "mor")]
MODEL_FUSIONS = ["early", "late", "additive", "multiplicative", "tensor", "low-rank", "gated", "transformer"]
TERMS = ("R", "U1", "U2", "S")


def fmt_row(name: str, estimate, extra: list[str] | None = None) -> str:
    terms = estimate.pid.as_dict()
    best = max(TERMS, key=terms.get)
    cells = [f"**{terms[t]:.3f}**" if t == best else f"{terms[t]:.3f}" for t in TERMS]
    return "| " + " | ".join([name, *cells, f"{terms['I']:.3f}", *(extra or [])]) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="folder with mnist/, fsdd/recordings/, mfeat/")
    parser.add_argument("--runs", type=Path, help="an AV-MNIST bench's runs folder, for the model PID table")
    parser.add_argument("--quick", action="store_true", help="three synthetic sets only (a smoke test)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="which of synthetic, real, models to run")
    args = parser.parse_args()
    from polymodal.data.registry import load_dataset
    from polymodal.information.dataset_pid import dataset_pid, model_pid
    from polymodal.information.plot import plot_pid
    from polymodal.io import atomic_write_text

    figures = ROOT / "docs" / "figures"
    header = "| {} | R | U1 | U2 | S | I(Y; X1, X2) |{}\n|---|---|---|---|---|---|{}"
    sections = [v.strip() for v in args.sections.split(",") if v.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: {', '.join(sorted(unknown))} unknown; choose from {', '.join(SECTIONS)}")
    if "models" in sections and not args.runs:
        parser.error("--sections models needs --runs (an AV-MNIST bench's runs folder)")
    command = "python benchmarks/pid_data.py --data-dir ../shared/data" + (
        f" --runs {args.runs}" if args.runs else "") + f" --sections {args.sections}" + (" --quick" if args.quick else "")
    preamble = [
        f"Command: `{command}`. Seed 0 throughout. Estimators (`polymodal.information.dataset_pid`): *cluster, PCA "
        "recipe*: L2-normalise, 2 principal components, 20 k-means clusters per modality, exact PID of the clusters' "
        "joint with Y (Liang et al. 2023's recipe); *cluster, learned*: 10 clusters per modality in the 2-d "
        "encoder space of a small model trained on the train split to predict Y from both modalities; *batch*: "
        "calibrated MLP classifiers (train split) give p(y|x1), p(y|x2), p(y|x1,x2); batches of 256 test samples; "
        "the joint minimising I(Y; X1, X2) under the batch's marginals is the paper's learned network with "
        "Sinkhorn scaling, or the exact optimum (`solve_broja`). Modalities with at most as many distinct values as "
        "clusters (the bits) are used as they are. Bits throughout.", ""]

    def write(section: str) -> None:
        body = docs.get(section, [])
        summary = []
        if section == "synthetic":
            summary = ["Summary: " + "; ".join(f"{k}: {sum(v)} of {len(v)}" for k, v in recovered.items())
                       + " dominant interactions recovered.", ""]
        doc = "\n".join([f"# Partial information decomposition: {section}", "", *preamble, *body, *summary])
        atomic_write_text(ROOT / "docs" / f"pid-{section}.md", doc + "\n")
        print(f"wrote docs/pid-{section}.md", flush=True)

    recovered: dict = {}
    names = list(SYNTHETIC)[:: 3] if args.quick else list(SYNTHETIC)
    docs: dict[str, list[str]] = {}
    lines = docs.setdefault("synthetic", []) if "synthetic" in sections else []
    lines += ["## Synthetic data sets with a known dominant interaction", "",
              "Test split (2,000 samples for bits-*, 4,000 for latent-*); the largest term in bold. "
              "Built to be dominant: AND, OR, XOR: S (AND and OR also have R = 0.311, S = 0.5 exactly; XOR S = 1); "
              "latent-*: the term in the name, 1 bit.", ""]
    for label, options in (ESTIMATORS.items() if "synthetic" in sections else ()):
        lines += [f"**{label}**", "", header.format("data set", " dominant | found | seconds |", "---|---|---|")]
        for name in names:
            start = time.perf_counter()
            est = dataset_pid(load_dataset(name), seed=0, **options)
            found = max(TERMS, key=est.pid.as_dict().get)
            ok = found == SYNTHETIC[name]
            recovered.setdefault(label, []).append(ok)
            lines.append(fmt_row(name, est, [SYNTHETIC[name], found + ("" if ok else " (**wrong**)"),
                                             f"{time.perf_counter() - start:.1f}"]))
            print(f"{label:22s} {name:18s} {found:3s} {'ok' if ok else 'WRONG'}", flush=True)
        lines += ["", f"Dominant interaction recovered on {sum(recovered[label])} of {len(names)} data sets.", ""]
    if "synthetic" in sections:
        write("synthetic")
    if "real" in sections and not args.quick:
        lines = docs.setdefault("real", [])
        lines += ["## Real data", "", "Test split. mfeat: pairs of the six views of UCI Multiple Features; "
                  "avmnist: image and audio (-10 dB noise).", ""]
        for label, options in REAL_ESTIMATORS.items():
            lines += [f"**{label}**", "", header.format("data set, modalities", " seconds |", "---|")]
            real = [("mfeat", pair) for pair in MFEAT_PAIRS] + [("avmnist", ("image", "audio"))]
            charts = {}
            for name, pair in real:
                start = time.perf_counter()
                est = dataset_pid(load_dataset(name, args.data_dir), modalities=list(pair), seed=0, **options)
                lines.append(fmt_row(f"{name}, {' & '.join(pair)}", est, [f"{time.perf_counter() - start:.1f}"]))
                charts[f"{name} {'&'.join(pair)}"] = est
                print(f"{label:22s} {name} {pair} {est.pid}", flush=True)
            slug = label.split(",")[0]
            plot_pid(charts, figures / f"pid-real-{slug}.png", title=f"PID of real modality pairs ({label})")
            lines += ["", f"![{label}](figures/pid-real-{slug}.png)", ""]
    if "real" in sections and not args.quick:
        write("real")
    if "models" in sections and not args.quick:
        from polymodal.training.checkpoint import load_model

        lines = docs.setdefault("models", [])
        lines += ["## Model PID of the AV-MNIST fusion models", "",
                  f"The seed-0 models of an AV-MNIST bench (`{args.runs.name}`); target: each model's predicted class "
                  "on the test split; batch estimator, learned joint. The labels' own PID is the first row.", "",
                  header.format("model", " test accuracy |", "---|")]
        ds = load_dataset("avmnist", args.data_dir)
        labels = dataset_pid(ds, estimator="batch", joint="learned", seed=0)
        lines.append(fmt_row("labels (the data set)", labels, ["–"]))
        charts = {"labels": labels}
        for fusion in MODEL_FUSIONS:
            ckpt = args.runs / fusion / "seed-0" / "checkpoints" / "best.ckpt"
            if not ckpt.is_file():
                continue
            model = load_model(ckpt)
            est = model_pid(model, ds, estimator="batch", joint="learned", seed=0)
            acc = json.loads((ckpt.parents[1] / "result.json").read_text())["test_accuracy"]
            lines.append(fmt_row(fusion, est, [f"{acc:.4f}"]))
            charts[fusion] = est
            print(f"model {fusion}: {est.pid}", flush=True)
        plot_pid(charts, figures / "pid-avmnist-models.png", title="AV-MNIST: PID of the labels and of each model's predictions")
        lines += ["", "![models](figures/pid-avmnist-models.png)", ""]
        write("models")
    return 0


if __name__ == "__main__":
    sys.exit(main())
