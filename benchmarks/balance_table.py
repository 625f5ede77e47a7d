"""Record a balanced-learning bench (fusion x balancing method) in ``docs/benchmarks.md``.

Usage:
    python benchmarks/balance_table.py --results runs/balance-avmnist --dataset avmnist \
        --command "polymodal bench --dataset avmnist --data-dir ../shared/data --fusions ... --balance ... --seeds 0,1,2"

Reads the bench's ``results.json`` (methods ``FUSION`` for joint training, ``FUSION+METHOD``
otherwise; :func:`polymodal.bench.runner.bench_methods`) and writes, between the
``<!-- balance:DATASET -->`` markers: test accuracy per fusion and method (mean ± s.d. over the
seeds) and the lowest over the seeds, then per method the gain over joint training in points (mean over the fusions it applies
to, and the range), the share of (fusion, seed) pairs it improves and the range of their differences, and its cost as the median
ratio of its training time to joint training's (same fusion and seed), and per epoch (early stopping
ends the two runs after different numbers of epochs), in the form BalanceBenchmark (GeWu-Lab, 2025)
reports gains; last, the weaker modality's linear probe per fusion and method and its change per method paired
with joint training, and a figure of the gains
(``docs/figures/balance-DATASET.png``).
A bench kept across sessions (``benchmarks/keep_bench.py``) may hold a method's run and joint
training's from different machines: such a pair counts in the gains, not in the cost ratio, which
compares times only where the two runs' ``environment`` records agree and so do their ``host``
records (one machine, one boot; :func:`polymodal.bench.balance.comparable_times`).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from polymodal.bench.balance import (MethodGain, accuracy_table, balance_gains, gains_table, lowest_table,
                                     not_run_summary, probe_gains, probe_gains_summary, split_method)
from polymodal.io import atomic_write_text, replace_section
from polymodal.training.balance.choices import BALANCE_METHODS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def tables(results: dict) -> tuple[str, str, dict[str, MethodGain]]:
    """(accuracy table, gains table, the gains) of a balance bench's results."""
    gains = balance_gains(results["runs"])
    return accuracy_table(results["runs"], results["seeds"]), gains_table(gains), gains


def probe_table(results: dict) -> str:
    """The weaker modality's linear probe (the modality with the lowest unimodal baseline): per fusion
    and method, the test accuracy of a linear probe on its jointly trained encoder (mean over the
    seeds; ``bench.summary``), beside the modality trained alone, then the change per method paired
    run by run (:func:`polymodal.bench.balance.probe_gains`). "" without probes or baselines."""
    alone = {m.split(":", 1)[1]: r["test_accuracy"] for m, r in results["methods"].items() if m.startswith("unimodal:")}
    probes = {split_method(m): r["imbalance"]["probe"] for m, r in results["methods"].items()
              if not m.startswith("unimodal:") and "imbalance" in r}
    if not alone or not probes:
        return ""
    weaker = min(alone, key=alone.get)
    fusions = list(dict.fromkeys(f for f, _ in probes))
    found = {b for _, b in probes}
    methods = ["none", *(b for b in BALANCE_METHODS if b != "none" and b in found)]
    lines = [f"The weaker modality's encoder after joint training: a linear probe's test accuracy on {weaker}'s "
             f"frozen encoder (mean over the seeds), against {weaker} trained alone ({alone[weaker]:.4f}); the "
             "diagnostic of OGM-GE (Peng et al., CVPR 2022). A balancing method that works raises it.\n",
             "| fusion | " + " | ".join(methods) + " |", "|---|" + "---:|" * len(methods)]
    for f in fusions:
        cells = [f"{probes[f, b][weaker]:.4f}" if (f, b) in probes else "–" for b in methods]
        lines.append(f"| {f} | " + " | ".join(cells) + " |")
    paired = probe_gains_summary(probe_gains(results["runs"], weaker), weaker)
    return "\n".join(lines) + "\n" + (f"\n{paired}" if paired else "")


def draw(gains: dict[str, MethodGain], dataset: str) -> Path:
    """``docs/figures/balance-DATASET.png``: left, each method's gain over joint training per fusion
    (mean over the seeds, a diverging map centred on 0); right, each method's mean gain against its
    cost per epoch, with the range over the fusions as a bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import save_figure

    methods = list(gains)
    fusions = list(dict.fromkeys(f for g in gains.values() for f in g.per_fusion))
    grid = [[gains[b].per_fusion.get(f, float("nan")) for b in methods] for f in fusions]
    bound = max((abs(v) for row in grid for v in row if v == v), default=1.0) or 1.0
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 0.5 * len(fusions) + 2.5), width_ratios=(3, 2))
    image = left.imshow(grid, cmap="RdBu", vmin=-bound, vmax=bound, aspect="auto")
    left.set_xticks(range(len(methods)), methods, rotation=30, ha="right")
    left.set_yticks(range(len(fusions)), fusions)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            left.text(j, i, "–" if v != v else f"{v:+.1f}", ha="center", va="center", fontsize=8,
                      color="white" if v == v and abs(v) > 0.6 * bound else "black")
    fig.colorbar(image, ax=left, label="gain over joint training (points)")
    left.set_title(f"{dataset}: gain per fusion (mean over seeds)")
    for b in methods:
        g, cost = gains[b], gains[b].time_per_epoch_ratio
        if cost is None:
            continue
        values = list(g.per_fusion.values())
        right.errorbar(cost, g.gain, yerr=[[g.gain - min(values)], [max(values) - g.gain]], fmt="o", capsize=3,
                       label=b)  # a legend, not labels at the points: methods of one cost overlap
    right.axhline(0, color="grey", lw=0.8)
    right.legend(fontsize=8, loc="best")
    right.set_xlabel("time per epoch / joint training (median)")
    right.set_ylabel("gain over joint training (points)")
    right.set_title("gain against cost (bar: range over fusions)")
    fig.tight_layout()
    return save_figure(fig, ROOT / "docs" / "figures" / f"balance-{dataset}.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="folder of the bench's results.json")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--command", required=True, help="the polymodal bench command shown in the docs")
    parser.add_argument("--note", default="", help="a sentence on where and how the runs were made")
    args = parser.parse_args()
    results = json.loads((args.results / "results.json").read_text())
    accuracy, gains, numbers = tables(results)
    skipped = results.get("skipped", {})
    body = (f"### Balanced learning on {args.dataset}\n\n"
            f"Command: `{args.command}` (seeds {', '.join(map(str, results['seeds']))}; test accuracy, mean ± s.d. "
            "over the seeds; a count in brackets where fewer seeds finished). "
            f"Recorded with `python benchmarks/balance_table.py --results {args.results.as_posix()} --dataset {args.dataset}`. "
            f"{args.note}\n\n{accuracy}\n"
            + (f"The lowest test accuracy over the seeds, the view of a per-seed target:\n\n{lowest}\n"
               if (lowest := lowest_table(results["runs"], results["seeds"])) else "")
            + (f"Not run: {not_run_summary(skipped)}.\n\n" if skipped else "")
            + "Gains in the form BalanceBenchmark (GeWu-Lab, 2025) reports them: accuracy points over joint training "
            "(`none`) of the same fusion and seed. Its reported gains: MMPareto +8.9 (Kinetics-Sounds) and +14.5 "
            "(CREMA-D), Gradient Blending +3.2 and +6.1.\n\n" + gains
            + (f"\n{probes}" if (probes := probe_table(results)) else "")
            + (f"\n![balance-{args.dataset}](figures/{draw(numbers, args.dataset).name})\n" if numbers else ""))
    text = DOC.read_text() if DOC.is_file() else "# Benchmarks\n"
    atomic_write_text(DOC, replace_section(text, f"balance:{args.dataset}", body))
    print(accuracy)
    print(gains)
    print(json.dumps({b: dataclasses.asdict(g) for b, g in numbers.items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
