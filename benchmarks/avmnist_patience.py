"""Do some AV-MNIST fusions fail, or does early stopping end them before the audio joins?

In ``polymodal bench --dataset avmnist`` (patience 8, at most 30 epochs) tensor fusion stays at
the image-only level (0.63-0.65) with every seed and low-rank fusion with one seed of three,
while the other fusions reach 0.80-0.85. This script retrains chosen (fusion, seed) pairs with the bench's settings but a
longer budget, records the validation accuracy of every epoch, and replays on that curve the
rule of Lightning's ``EarlyStopping`` (stop once ``patience`` epochs in a row have not beaten
the best validation accuracy strictly) to show where the bench's patience would have stopped.

Usage: python benchmarks/avmnist_patience.py [--data-dir ../shared/data] [--pairs tensor:0,tensor:1,tensor:2,low-rank:1]
       [--epochs 60] [--patience 30] [--jobs 2] [--recipe adam] [--bench-results runs/bench-avmnist/results.json]

The runs use ``--recipe`` (default ``adam``, the recipe this study is about), whatever the data set's own recipe.
Writes docs/avmnist_patience.md and docs/figures/avmnist-patience.png; runs go to
runs/avmnist-patience (a finished run is reused, an interrupted one resumes).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_PATIENCE = 8
BENCH_EPOCHS = 30
LEFT_PLATEAU = 0.72  # validation accuracy above every unimodal model's (image alone: at most 0.68)


def stop_epoch(curve: list[float], patience: int) -> tuple[int, int]:
    """Replay early stopping on a validation curve.

    Args:
        curve: validation accuracy after epochs 0, 1, ...
        patience: epochs without a strictly better value before stopping.

    Returns:
        ``(last_epoch, best_epoch)``: the epoch after which training would stop (the curve's last
        epoch if it never does) and the epoch of the best value up to then.
    """
    best, best_epoch = float("-inf"), 0
    for epoch, value in enumerate(curve):
        if value > best:
            best, best_epoch = value, epoch
        elif epoch - best_epoch >= patience:
            return epoch, best_epoch
    return len(curve) - 1, best_epoch


def validation_curve(run_dir: Path) -> list[float]:
    """Validation accuracy per epoch from the run's ``logs/metrics.csv`` (shape: (epochs,))."""
    rows = list(csv.DictReader((run_dir / "logs" / "metrics.csv").open()))
    by_epoch = {int(r["epoch"]): float(r["val_acc"]) for r in rows if r.get("val_acc")}
    return [by_epoch[e] for e in sorted(by_epoch)]


def train_pair(fusion: str, seed: int, data_dir: str, epochs: int, patience: int, out: str, recipe: str = "adam") -> dict:
    """Train one (fusion, seed) with the bench's settings under ``recipe`` on the split of seed 0; one thread."""
    import torch

    torch.set_num_threads(1)
    from polymodal.data.registry import load_dataset
    from polymodal.training.pipeline import fit, quiet_lightning
    from polymodal.training.recipes import settings_for

    quiet_lightning()
    run_dir = Path(out) / fusion / f"seed-{seed}"
    done = run_dir / "result.json"
    if done.is_file():
        result = json.loads(done.read_text())
    else:
        ds = load_dataset("avmnist", data_dir, seed=0, snr_db="-10", cache_dir=None)
        settings = settings_for("avmnist", [fusion], recipe=recipe,
                                train={"epochs": epochs, "batch_size": 64, "patience": patience, "seed": seed, "accelerator": "cpu"})
        result = fit(ds, settings.model_config(ds, fusion), settings.train_config(fusion), run_dir, progress_bar=False)
    return {"fusion": fusion, "seed": seed, "test_accuracy": result["test_accuracy"],
            "curve": validation_curve(run_dir)}


def parse_pairs(spec: str) -> list[tuple[str, int]]:
    """``"tensor:1,low-rank:2"`` -> ``[("tensor", 1), ("low-rank", 2)]``."""
    from polymodal.fusion import fusion_names

    pairs = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        fusion, _, seed = item.partition(":")
        if not fusion or not seed.isdigit():
            raise SystemExit(f"--pairs: {item!r} is not FUSION:SEED, e.g. tensor:1")
        if fusion not in fusion_names():
            raise SystemExit(f"--pairs: unknown fusion {fusion!r}; choose from {', '.join(fusion_names())}")
        pairs.append((fusion, int(seed)))
    if not pairs:
        raise SystemExit("--pairs: no FUSION:SEED given, e.g. --pairs tensor:1,low-rank:1")
    return pairs


def bench_accuracy(path: Path | None, fusion: str, seed: int) -> str:
    """The bench's test accuracy for (fusion, seed), or '-' when not known."""
    if path is None or not path.is_file():
        return "-"
    run = json.loads(path.read_text())["runs"].get(fusion, {}).get(str(seed))
    return f"{run['test_accuracy']:.4f} ({run['epochs']} epochs)" if run else "-"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import save_figure

    fig, ax = plt.subplots(figsize=(7, 4))
    for row in rows:
        line, = ax.plot(row["curve"], label=f"{row['fusion']}, seed {row['seed']}")
        ax.axvline(row["bench_stop"], color=line.get_color(), linestyle=":", linewidth=1)
    ax.axhline(LEFT_PLATEAU, color="grey", linewidth=0.8)
    ax.axvline(BENCH_EPOCHS - 1, color="black", linestyle="--", linewidth=0.8)
    ax.set(xlabel="epoch", ylabel="validation accuracy",
           title=f"AV-MNIST: dotted = where patience {BENCH_PATIENCE} stops, dashed = the bench's last epoch")
    ax.legend(fontsize=8)
    save_figure(fig, path)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("POLYMODAL_DATA_DIR"))
    parser.add_argument("--pairs", default="tensor:0,tensor:1,tensor:2,low-rank:1")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--patience", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--recipe", default="adam", help="the recipe of the bench studied (default adam, the "
                        "bench's recipe before issue 20, under which tensor fusion stalled)")
    parser.add_argument("--bench-results", type=Path, default=ROOT / "runs" / "bench-avmnist" / "results.json")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "avmnist-patience")
    args = parser.parse_args()
    if not args.data_dir:
        raise SystemExit("--data-dir: not given and POLYMODAL_DATA_DIR is not set; pass the folder with mnist/ and fsdd/")
    pairs = parse_pairs(args.pairs)
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_pair, f, s, args.data_dir, args.epochs, args.patience, str(args.out), args.recipe)
                   for f, s in pairs]
        rows = [f.result() for f in futures]

    from polymodal.io import atomic_write_text

    lines = ["# AV-MNIST: early stopping against a late audio branch", "",
             f"Command: `python benchmarks/avmnist_patience.py {shlex.join(sys.argv[1:])}`", "",
             f"Bench settings (Adam, lr 1e-3, batch 64, split of seed 0) but at most {args.epochs} epochs and patience "
             f"{args.patience}. *Patience {BENCH_PATIENCE} stops after* replays the bench's early stopping on the same "
             f"validation curve; *leaves the plateau* is the first epoch with validation accuracy above {LEFT_PLATEAU}. "
             f"The bench stops after at most {BENCH_EPOCHS} epochs. These runs use one CPU thread and the bench used "
             "two; the order of floating-point sums depends on the thread count, so the curves here are not the "
             "bench's curves and the bench's runs may have stopped elsewhere.", "",
             "| fusion | seed | bench test accuracy | patience 8 stops after epoch (best) | leaves the plateau at epoch "
             f"| best validation epoch | test accuracy, patience {args.patience} |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        row["bench_stop"], best = stop_epoch(row["curve"], BENCH_PATIENCE)
        left = next((e for e, v in enumerate(row["curve"]) if v > LEFT_PLATEAU), None)
        _, best_long = stop_epoch(row["curve"], args.patience)
        lines.append(f"| {row['fusion']} | {row['seed']} | {bench_accuracy(args.bench_results, row['fusion'], row['seed'])} "
                     f"| {row['bench_stop']} ({best}) | {'never' if left is None else left} | {best_long} "
                     f"| {row['test_accuracy']:.4f} |")
        print(lines[-1])
    plot(rows, ROOT / "docs" / "figures" / "avmnist-patience.png")
    lines += ["", "![validation curves](figures/avmnist-patience.png)", ""]
    atomic_write_text(ROOT / "docs" / "avmnist_patience.md", "\n".join(lines))
    print("wrote docs/avmnist_patience.md, docs/figures/avmnist-patience.png")


if __name__ == "__main__":
    main()
