"""Which part of the training recipe keeps fusions from learning the audio of AV-MNIST: an ablation.

Starting from a base recipe (by default polymodal's recipe before issue 20: Adam at 1e-3, no
normalisation in the encoders, a ReLU at the end of every embedding, tensor fusion projected to
the 64-wide fused vector, PyTorch's initialisation), each variant changes **one factor** toward
MultiBench's AV-MNIST recipe (LeNet encoders with BatchNorm, SGD at lr 0.1 with gradient
clipping, the fused vector straight into an MLP head); the last variants combine factors.

Every run is ``polymodal train`` on AV-MNIST for a fixed number of epochs (early stopping kept
from stopping), in its own process, ``--jobs`` at a time with one PyTorch thread each. Reported
per variant and fusion, over the seeds:

* **audio joins**: the first epoch whose validation accuracy exceeds the image-only model's best
  validation accuracy (same seed, base recipe) by 0.02: before it, the fusion predicts from the
  image alone; ``-`` when it never does within the epochs;
* **test accuracy** of the best validation epoch.

Runs are kept under ``--work`` (one folder per run, holding ``result.json``), so an interrupted
ablation continues where it stopped.

Two tables: every variant on ``--fusions`` and ``--seeds`` (default tensor and early fusion, seed
0), then the candidate ``--confirm`` against the base recipe on ``--confirm-fusions`` over
``--confirm-seeds`` (default tensor, low-rank, early and dynamic fusion, seeds 0, 1, 2; the base
recipe on ``--seeds``).

Usage: python benchmarks/avmnist_recipe.py --data-dir ../shared/data [--epochs 6] [--jobs 2]
Writes docs/avmnist_recipe.md and docs/avmnist_recipe.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from polymodal.training.recipes import RECIPES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "avmnist_recipe.md"
FIGURE = ROOT / "docs" / "avmnist_recipe.png"
JOIN_MARGIN = 0.02

#: The recipe before issue 20 (the ``adam`` recipe), spelled out so that the ablation does not move
#: with the defaults: tensor fusion projected to the fused size, dynamic fusion's penalty at full
#: strength from the first epoch.
BASE = {**RECIPES["adam"].train, **RECIPES["adam"].model, "hidden_dim": 64, "embed_dim": 64}
BASE_FUSION_OPTIONS = RECIPES["adam"].fusion_options


@dataclass(frozen=True)
class Variant:
    """One recipe: the base with ``changes``; ``fusion_options`` per fusion (others: not applicable)."""

    name: str
    factor: str
    changes: dict = field(default_factory=dict)
    fusion_options: dict = field(default_factory=dict)

    def applies_to(self, fusion: str) -> bool:
        return not self.fusion_options or fusion in self.fusion_options


VARIANTS = [
    Variant("base", "(today)"),
    Variant("sgd", "optimizer", {"optimizer": "sgd", "lr": 0.1, "momentum": 0.9}),
    Variant("sgd-plain", "optimizer", {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0}),
    Variant("adamw", "optimizer", {"optimizer": "adamw", "weight_decay": 1e-2}),
    Variant("clip", "gradient clipping", {"grad_clip": 8.0}),
    Variant("batchnorm", "normalisation", {"encoder_norm": "batch"}),
    Variant("layernorm", "normalisation", {"encoder_norm": "layer"}),
    Variant("no-final-relu", "embedding ReLU", {"encoder_final_relu": False}),
    Variant("fused-128", "fused size", {"hidden_dim": 128}),
    Variant("no-projection", "projection after tensor fusion", fusion_options={"tensor": {"output_dim": None}}),
    Variant("xavier", "initialisation", {"init": "xavier"}),
    Variant("kaiming", "initialisation", {"init": "kaiming"}),
    Variant("multibench", "combined", {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "grad_clip": 8.0,
                                       "encoder_norm": "batch"},
            fusion_options={"tensor": {"output_dim": None}, "low-rank": {}, "early": {}, "dynamic": {}}),
    Variant("bn-sgd", "combined", {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "grad_clip": 8.0,
                                   "encoder_norm": "batch"}),
    Variant("bn-noproj", "combined", {"encoder_norm": "batch"},
            fusion_options={"tensor": {"output_dim": None}, "low-rank": {}, "early": {}, "dynamic": {}}),
    # the candidate default: batch norm after convolutions only (the patch tokenizers' too), tensor
    # fusion unprojected, dynamic fusion's penalty warmed up over 10 epochs
    Variant("candidate", "combined", {"encoder_norm": "auto"},
            fusion_options={"tensor": {"output_dim": None}, "low-rank": {}, "early": {}, "dynamic": {"penalty_warmup": 10}}),
]
UNIMODAL = Variant("image-only", "(threshold)")


def run_dir(work: Path, variant: Variant, fusion: str, seed: int, epochs: int) -> Path:
    return work / f"{variant.name}-{fusion}-seed{seed}-e{epochs}"


def train(work: Path, data_dir: Path, variant: Variant, fusion: str, seed: int, epochs: int) -> Path:
    """Run ``polymodal train`` (once: a finished run's folder is reused) and return its folder."""
    out = run_dir(work, variant, fusion, seed, epochs)
    if (out / "result.json").is_file():
        return out
    settings = {**BASE, **variant.changes}
    options = [f"{k}={json.dumps(v)}" for k, v in settings.items()]
    fusion_options = {**BASE_FUSION_OPTIONS.get(fusion, {}), **variant.fusion_options.get(fusion, {})}
    options += [f"{k}={json.dumps(v)}" for k, v in fusion_options.items()]
    command = [sys.executable, "-m", "polymodal", "train", "--dataset", "avmnist", "--data-dir", str(data_dir),
               "--fusion", "unimodal" if variant is UNIMODAL else fusion, "--seed", str(seed),
               "--epochs", str(epochs), "--patience", str(epochs), "--out", str(out)]
    if variant is UNIMODAL:
        command += ["--modalities", "image"]
    for option in options:
        command += ["--option", option]
    env = {**os.environ, "POLYMODAL_THREADS": "1", "POLYMODAL_PROGRESS": "0"}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    print(f"{out.name}: {time.perf_counter() - start:.0f} s", flush=True)
    return out


def curve(out: Path) -> list[float]:
    """Validation accuracy per epoch, ``(epochs,)``, from the run's ``logs/metrics.csv``."""
    rows = [r for r in csv.DictReader((out / "logs" / "metrics.csv").open()) if r.get("val_acc")]
    return [float(r["val_acc"]) for r in sorted(rows, key=lambda r: int(r["epoch"]))]


def join_epoch(accuracies: list[float], threshold: float) -> int | None:
    """First epoch (counted from 1) with validation accuracy above ``threshold``; ``None`` if none."""
    return next((e + 1 for e, a in enumerate(accuracies) if a > threshold), None)


def summarise(work: Path, variants: list[Variant], fusions: list[str], seeds: list[int], epochs: int) -> list[dict]:
    """One row per variant and fusion: audio-join epochs, test accuracies and curves over ``seeds``."""
    thresholds = {s: max(curve(run_dir(work, UNIMODAL, "image", s, epochs))) + JOIN_MARGIN for s in seeds}
    rows = []
    for v in variants:
        for f in fusions:
            if not v.applies_to(f):
                continue
            runs = [run_dir(work, v, f, s, epochs) for s in seeds]
            results = [json.loads((r / "result.json").read_text()) for r in runs]
            joins = [join_epoch(curve(r), thresholds[s]) for r, s in zip(runs, seeds)]
            rows.append({"variant": v.name, "factor": v.factor, "fusion": f, "joins": joins, "seeds": seeds,
                         "test": [r["test_accuracy"] for r in results], "curves": [curve(r) for r in runs],
                         "seconds": [r["train_time_s"] for r in results]})
    return rows


def fmt_join(joins: list[int | None]) -> str:
    return ", ".join("-" if j is None else str(j) for j in joins)


def table(rows: list[dict]) -> list[str]:
    """Markdown rows: one per variant, a column per fusion with "audio joins / test accuracy"."""
    fusions = list(dict.fromkeys(r["fusion"] for r in rows))
    lines = ["| factor | variant | seeds | " + " | ".join(f"{f}: audio joins / test" for f in fusions) + " |",
             "|---|---|---|" + "---|" * len(fusions)]
    by_key = {(r["variant"], r["fusion"]): r for r in rows}
    for name in dict.fromkeys(r["variant"] for r in rows):
        first = next(r for r in rows if r["variant"] == name)
        cells = []
        for f in fusions:
            r = by_key.get((name, f))
            if r is None:
                cells.append("n/a")
                continue
            per_seed = ", ".join(f"{t:.3f}" for t in r["test"])
            cells.append(f"{fmt_join(r['joins'])} / {statistics.mean(r['test']):.4f} ({per_seed})")
        lines.append(f"| {first['factor']} | {name} | {', '.join(map(str, first['seeds']))} | " + " | ".join(cells) + " |")
    return lines


def write(screen: list[dict], confirm: list[dict], image: dict[int, float], command: str, epochs: int,
          candidate: str) -> str:
    lines = [
        "# AV-MNIST: which part of the training recipe decides whether fusions learn the audio",
        "",
        f"Command: `{command}`. {epochs} epochs per run (no early stopping), one PyTorch thread per run, each "
        "run `polymodal train` in its own process.",
        "",
        "**Audio joins**: the first epoch whose validation accuracy exceeds the image-only model's best "
        f"validation accuracy by {JOIN_MARGIN} (image-only, base recipe, same seed: "
        + ", ".join(f"seed {s} {a:.4f}" for s, a in image.items())
        + "); `-`: never within the epochs, the fusion predicts from the image alone. **Test**: test accuracy "
        "of the best validation epoch, mean over the seeds (per seed in brackets).",
        "",
        "## One factor at a time",
        "",
        "Each variant changes one factor of the base recipe (the recipe before issue 20: Adam 1e-3, weight "
        "decay 1e-4, no normalisation in the encoders, a ReLU at the end of every embedding, tensor fusion "
        "projected to 64, PyTorch's initialisation) toward MultiBench's AV-MNIST recipe; the `combined` rows "
        "change several (`multibench`: BatchNorm, plain SGD at 0.1, clipping at 8, tensor fusion unprojected).",
        "",
        *table(screen),
        "",
        f"## `{candidate}` on more fusions and seeds",
        "",
        *table(confirm),
        "",
        "## What the runs say",
        "",
        *findings(screen + confirm),
        "",
        f"![validation accuracy per epoch]({FIGURE.name})",
        "",
    ]
    return "\n".join(lines)


def findings(rows: list[dict]) -> list[str]:
    """Sentences computed from the tables: per fusion, the variants with which the audio joined on
    every seed, and the best variant by mean test accuracy against the base recipe."""
    rows = list({(r["variant"], r["fusion"]): r for r in rows}.values())  # a row of both tables once
    out = []
    for f in dict.fromkeys(r["fusion"] for r in rows):
        mine = [r for r in rows if r["fusion"] == f]
        base = next((r for r in mine if r["variant"] == "base"), None)
        joined = [r for r in mine if all(j is not None for j in r["joins"])]
        best = max(mine, key=lambda r: statistics.mean(r["test"]))
        said = (f"- **{f}**: the audio joined on every seed with "
                + (", ".join(f"`{r['variant']}` ({r['factor']}, epoch {fmt_join(r['joins'])})" for r in joined)
                   if joined else "no variant")
                + f"; best test accuracy `{best['variant']}` {statistics.mean(best['test']):.4f}")
        if base is not None:
            said += f" against {statistics.mean(base['test']):.4f} with the base recipe"
        out.append(said + ".")
    return out


def plot(rows: list[dict], image: dict[int, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fusions = list(dict.fromkeys(r["fusion"] for r in rows))
    fig, axes = plt.subplots(1, len(fusions), figsize=(4.2 * len(fusions), 3.6), sharey=True, squeeze=False)
    for ax, f in zip(axes[0], fusions):
        for r in (r for r in rows if r["fusion"] == f):
            seed0 = r["curves"][0]
            ax.plot(range(1, len(seed0) + 1), seed0, label=r["variant"], linewidth=1.2)
        ax.axhline(next(iter(image.values())) + JOIN_MARGIN, color="black", linestyle=":", linewidth=1,
                   label=f"image-only + {JOIN_MARGIN}")
        ax.set_title(f"{f} (first seed)")
        ax.set_xlabel("epoch")
    axes[0][0].set_ylabel("validation accuracy")
    axes[0][-1].legend(fontsize=6, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with mnist/ and fsdd/")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--fusions", default="tensor,early", help="fusions of the one-factor table")
    parser.add_argument("--seeds", default="0", help="seeds of the one-factor table")
    parser.add_argument("--variants", default=",".join(v.name for v in VARIANTS))
    parser.add_argument("--confirm", default="bn-noproj", help="the candidate run on more fusions and seeds")
    parser.add_argument("--confirm-fusions", default="tensor,low-rank,early,dynamic")
    parser.add_argument("--confirm-seeds", default="0,1,2")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (one thread each)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "avmnist_recipe")
    args = parser.parse_args()
    known = {v.name: v for v in VARIANTS}
    names = args.variants.split(",") + [args.confirm]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"--variants/--confirm: {unknown[0]!r} is unknown; choose from {', '.join(known)}")
    variants = [known[n] for n in args.variants.split(",")]
    seeds, fusions = [int(s) for s in args.seeds.split(",")], args.fusions.split(",")
    confirm_seeds, confirm_fusions = [int(s) for s in args.confirm_seeds.split(",")], args.confirm_fusions.split(",")
    candidate = known[args.confirm]
    jobs = [(UNIMODAL, "image", s) for s in dict.fromkeys(seeds + confirm_seeds)]
    jobs += [(v, f, s) for v in variants for f in fusions for s in seeds if v.applies_to(f)]
    jobs += [(known["base"], f, s) for f in confirm_fusions for s in seeds]
    jobs += [(candidate, f, s) for f in confirm_fusions for s in confirm_seeds if candidate.applies_to(f)]
    jobs = list({(v.name, f, s): (v, f, s) for v, f, s in jobs}.values())  # each run once
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(lambda job: train(args.work, args.data_dir, *job, args.epochs), jobs))
    screen = summarise(args.work, variants, fusions, seeds, args.epochs)
    confirm = (summarise(args.work, [known["base"]], confirm_fusions, seeds, args.epochs)
               + summarise(args.work, [candidate], confirm_fusions, confirm_seeds, args.epochs))
    image = {s: max(curve(run_dir(args.work, UNIMODAL, "image", s, args.epochs)))
             for s in dict.fromkeys(seeds + confirm_seeds)}
    command = "python benchmarks/avmnist_recipe.py" + "".join(f" {a}" for a in sys.argv[1:] if "--work" not in a)
    text = write(screen, confirm, image, command, args.epochs, candidate.name)
    DOC.write_text(text)
    plot(screen, image, FIGURE)
    print(text)


if __name__ == "__main__":
    main()
