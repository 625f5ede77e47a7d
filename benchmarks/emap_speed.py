"""EMAP speed: encode once and recombine embeddings, against running the whole model on every pair.

On N = 2000 AV-MNIST test examples, EMAP needs the model's logits on all N^2 = 4 million
(image, audio) recombinations. ``model_emap`` encodes each modality once and evaluates only
the fusion and head on the pairs; the naive evaluation runs the encoders (two CNNs) on every
pair. The naive cost is linear in the number of rows of the N x N grid, so it is timed on
``--naive-rows`` rows and scaled to N (and its row means are checked against the fast path's).
Medians of ``--repeats`` runs, side by side in one process, one thread.

Usage: python benchmarks/emap_speed.py --data-dir ../shared/data [--model CKPT] [--n 2000] [--naive-rows 8] [--repeats 3]
Without --model, a freshly initialised tensor-fusion model is timed (speed does not depend on training).
Writes docs/emap_speed.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--naive-rows", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from polymodal.data.registry import load_dataset
    from polymodal.interactions.emap import model_emap
    from polymodal.io import atomic_write_text
    from polymodal.catalog import build_model
    from polymodal.models.build import ModelConfig
    from polymodal.training.checkpoint import load_model

    ds = load_dataset("avmnist", args.data_dir, seed=0)
    torch.manual_seed(0)
    model = load_model(args.model) if args.model else build_model(ModelConfig.for_dataset(ds, "tensor")).eval()
    split = ds.splits["test"]
    n = min(args.n, len(split))
    inputs = {m: split.modality(m)[:n] for m in model.modalities}

    fast_times, naive_times = [], []
    for rep in range(args.repeats):
        start = time.perf_counter()
        fast = model_emap(model, inputs)
        fast_times.append(time.perf_counter() - start)
        rows = {m: x[: args.naive_rows] for m, x in inputs.items()}
        start = time.perf_counter()
        with torch.inference_mode():  # rows of the grid: image from example i (i < rows), audio from every j
            block = torch.stack([model({"image": rows["image"][i : i + 1].expand(n, *rows["image"].shape[1:]),
                                        "audio": inputs["audio"]}).double() for i in range(args.naive_rows)])
        naive_times.append((time.perf_counter() - start) * n / args.naive_rows)
        print(f"repeat {rep}: fast {fast_times[-1]:.1f} s, naive (scaled) {naive_times[-1]:.0f} s", flush=True)
    diff = float(np.abs(block.mean(1).numpy() - fast.unimodal["image"][: args.naive_rows]).max())
    t_fast, t_naive = statistics.median(fast_times), statistics.median(naive_times)
    lines = [
        "# EMAP speed", "",
        f"Command: `python benchmarks/emap_speed.py {' '.join(sys.argv[1:])}`", "",
        f"AV-MNIST, N = {n} test examples, {n * n:,} recombined pairs, {'model ' + str(args.model.name) if args.model else 'a freshly initialised tensor-fusion model'}; "
        f"one CPU thread; medians of {args.repeats} repeats measured side by side. The naive time is measured on "
        f"{args.naive_rows} rows of the {n} x {n} grid and scaled by {n}/{args.naive_rows} (its cost is linear in the rows).", "",
        "| method | time (s) | ratio |", "|---|---:|---:|",
        f"| naive: whole model on every pair | {t_naive:.0f} | {t_naive / t_fast:.0f}x |",
        f"| `model_emap`: encode once, fusion and head on the pairs | {t_fast:.1f} | 1x |", "",
        f"The two agree: the largest difference of the image-side means on the measured rows is {diff:.1e}. "
        "The machine is shared, so read the ratio rather than the seconds.", "",
    ]
    atomic_write_text(ROOT / "docs" / "emap_speed.md", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
