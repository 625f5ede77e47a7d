"""AV-MNIST's audio as a variable-length sequence against the fixed 112x112 spectrogram.

``avmnist-seq`` has the pairs, images and split of ``avmnist``; its audio is the whole noisy
recording (-10 dB) as log-mel frames (12 to 226 steps). For each sequence encoder (GRU, 1-D CNN,
Transformer) this runs ``polymodal bench --dataset avmnist-seq --fusions early,late
--sequence-encoder NAME --seeds 0,1,2`` (the data set's recipe, at most 30 epochs, patience 8) and
puts the audio-only baseline and the two fusions beside the spectrogram rows of the ``avmnist``
bench in ``docs/benchmarks.md`` (same recipe, same seeds: the script stops if ``avmnist`` and
``avmnist-seq`` have different recipes in ``DATASET_RECIPES``).

Usage: python benchmarks/sequence_encoders.py --data-dir ../shared/data [--seeds 0,1,2] [--encoders gru,cnn,transformer]
Writes the section between ``<!-- bench:avmnist-seq -->`` markers of docs/benchmarks.md; runs go to
runs/sequence-encoders/ (a rerun reuses finished runs).
"""

from __future__ import annotations

import argparse
import re
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
WORK = ROOT / "runs" / "sequence-encoders"
METHODS = ("unimodal:audio", "early", "late")
START, END = "<!-- bench:avmnist-seq -->", "<!-- /bench:avmnist-seq -->"


def spectrogram_rows() -> dict[str, str]:
    """The ``avmnist`` bench's accuracy (mean ± s.d.) and train time per method, from docs/benchmarks.md."""
    text = DOC.read_text()
    section = text[text.index("<!-- bench:avmnist -->"): text.index("<!-- /bench:avmnist -->")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 4 and cells[0] in METHODS:
            rows[cells[0]] = (cells[1], cells[4])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--encoders", default="gru,cnn,transformer")
    args = parser.parse_args()
    from polymodal.bench import run_bench
    from polymodal.data.registry import load_dataset
    from polymodal.training.recipes import settings_for

    from polymodal.training.recipes import recipe_for

    recipe = recipe_for("avmnist-seq", None) or "adam"
    if recipe != (recipe_for("avmnist", None) or "adam"):
        raise SystemExit(f"sequence_encoders.py: avmnist-seq trains with {recipe!r}, avmnist with "
                         f"{recipe_for('avmnist', None) or 'adam'!r}; its table sits beside avmnist's, so give both one recipe")
    seeds = [int(s) for s in args.seeds.split(",")]
    encoders = [e.strip() for e in args.encoders.split(",")]
    ds = load_dataset("avmnist-seq", args.data_dir, seed=seeds[0])
    lengths = ds.splits["train"].modality("audio").lengths
    table: dict[str, dict[str, tuple[str, float]]] = {}
    for enc in encoders:
        settings = settings_for(ds.name, ["early", "late"], train={"epochs": 30, "patience": 8},
                                model={"sequence_encoder": enc})
        results = run_bench(ds, ["early", "late"], settings.train_config(), WORK / enc, seeds=seeds,
                            **settings.bench_options())
        for m in METHODS:
            accs = [r["test_accuracy"] for r in results["runs"][m].values()]
            times = [r["train_time_s"] for r in results["runs"][m].values()]
            sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
            table.setdefault(m, {})[enc] = (f"{statistics.mean(accs):.4f} ± {sd:.4f}", statistics.median(times))
            print(f"{enc:12s} {m:16s} {table[m][enc][0]}  train {table[m][enc][1]:.0f} s", flush=True)
    spec = spectrogram_rows()
    cmd = f"python benchmarks/sequence_encoders.py --data-dir ../shared/data --seeds {args.seeds} --encoders {args.encoders}"
    head = "| method | spectrogram (1, 112, 112), LeNet | " + " | ".join(f"sequence, {e}" for e in encoders) + " |\n"
    lines = [head, "|---|---|" + "---|" * len(encoders) + "\n"]
    for m in METHODS:
        s = spec.get(m, ("n/a", "n/a"))
        lines.append(f"| {m} | {s[0]} ({s[1]} s) | " + " | ".join(f"{table[m][e][0]} ({table[m][e][1]:.0f} s)" for e in encoders) + " |\n")
    body = (
        f"{START}\n### avmnist-seq: the audio as a sequence\n\n"
        f"Command: `{cmd}` (seeds {args.seeds}; test accuracy mean ± s.d. over the seeds, median training time "
        "in brackets, on a shared 2-core machine). The spectrogram column is the `avmnist` table above: the same "
        f"pairs, images, split, noise (-10 dB) and recipe (`{recipe}`); only the audio front end and its encoder differ. "
        f"`avmnist-seq` audio: the whole recording as 40 log-mel energies per 10 ms; in the training split {int(lengths.min())} to "
        f"{int(lengths.max())} steps (median {int(lengths.median())}), every encoder masked to the true steps.\n\n"
        + "".join(lines)
        + ("" if "transformer" in encoders else
           "\nThe Transformer sequence encoder is tested (its masking) but not benched here: on 2 CPU cores it takes "
           "about 40 s per epoch on these sequences, so its 9 runs would take about 3 hours.\n")
        + f"\n{END}"
    )
    text = DOC.read_text()
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: body, text, flags=re.S)
    else:
        marker = "<!-- /bench:avmnist -->"
        text = text.replace(marker, marker + "\n\n" + body, 1)
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
