"""Training runs of several recipes as one table: fusion x recipe, one column per seed.

    python benchmarks/recipe_runs.py --runs runs/candidate-cpu [--doc docs/avmnist_candidate.md --section S]

Each folder at any depth under ``--runs`` that holds a ``result.json`` (one ``polymodal train``, or
one run of a ``polymodal bench``: ``runs/<method>/seed-<seed>/``) is one cell, and so is each run
listed in a bench's ``results.json`` (one restored by ``keep_bench.py`` has no run folders); a
run found both ways counts once.
Its recipe is read from the run's own settings, not from the folder's name
(:func:`polymodal.training.recipes.describe_recipe`: the named recipe they match best, then every
setting that differs from it), so the table says exactly what was trained.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

from polymodal.io import atomic_write_text, replace_section
from polymodal.layout import BENCH_RESULTS_FILE, RESULT_FILE, BenchLayout, RunLayout
from polymodal.training.recipes import describe_recipe


def _cell(r: dict[str, Any]) -> tuple[str, str, int]:
    """``(fusion, recipe, seed)`` of a run (a unimodal baseline's fusion is ``unimodal:<modality>``)."""
    name = r["fusion"] if r["fusion"] != "unimodal" else f"unimodal:{r['modalities'][0]}"
    return name, describe_recipe(r["train_config"], r["model_config"]), r["seed"]


def distinct(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run once: a baseline put in place in several sub-benches (``keep_bench.py restore``) is
    found in each of them, with the same result.

    Raises:
        SystemExit: two runs of one fusion, recipe and seed that disagree (pass only one of them).
    """
    kept: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in results:
        cell = _cell(r)
        if cell in kept and kept[cell]["test_accuracy"] != r["test_accuracy"]:
            raise SystemExit(f"recipe_runs: two runs of {cell[0]}, {cell[1]}, seed {cell[2]} disagree "
                             f"({kept[cell]['test_accuracy']} and {r['test_accuracy']}); pass the folders of one of them")
        kept.setdefault(cell, r)
    return list(kept.values())


def table(results: list[dict[str, Any]]) -> str:
    """``| fusion | recipe | seed 0 | ... | mean | lowest |``, test accuracy with the epochs run in brackets
    (a unimodal baseline's fusion is ``unimodal:<modality>``)."""
    seeds = sorted({r["seed"] for r in results})
    cells: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for r in results:
        name, recipe, seed = _cell(r)
        cells.setdefault((name, recipe), {})[seed] = r
    head = ["fusion", "recipe", *(f"seed {s}" for s in seeds), "mean", "lowest"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(seeds) + 2)]
    for (fusion, recipe), runs in sorted(cells.items()):
        acc = [runs[s]["test_accuracy"] for s in seeds if s in runs]
        row = [fusion, recipe, *(f"{runs[s]['test_accuracy']:.4f} ({runs[s]['epochs']})" if s in runs else "–"
                                 for s in seeds),
               f"{statistics.mean(acc):.4f}", f"{min(acc):.4f}"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def collect(folders: list[Path]) -> list[dict[str, Any]]:
    """Every run under ``folders``: each bench's ``results.json`` runs, then each ``result.json``
    that is not one of a bench already read."""
    benches = sorted({p.parent.resolve() for d in folders for p in d.rglob(BENCH_RESULTS_FILE)})
    results = [r for b in benches for by_seed in BenchLayout(b).read_results()["runs"].values() for r in by_seed.values()]
    for path in sorted(p for d in folders for p in d.rglob(RESULT_FILE)):
        of_bench = RunLayout(path.parent).bench()
        if of_bench is None or of_bench[0].root.resolve() not in benches:
            results.append(json.loads(path.read_text()))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="folders of run folders")
    parser.add_argument("--doc", type=Path, help="a Markdown page whose --section to rewrite")
    parser.add_argument("--section", default="recipe-runs")
    parser.add_argument("--note", default="", help="a sentence on where and how the runs were made")
    args = parser.parse_args()
    results = distinct(collect(args.runs))
    if not results:
        parser.error(f"--runs: no result.json or results.json under {', '.join(map(str, args.runs))}")
    body = table(results)
    print(body)
    if args.doc:
        command = "python benchmarks/recipe_runs.py --runs " + " ".join(d.as_posix() for d in args.runs)
        text = (f"Recorded with `{command} --doc {args.doc.as_posix()} --section {args.section}` from {len(results)} "
                f"runs. {args.note}\n\n{body}")
        page = args.doc.read_text() if args.doc.is_file() else ""
        atomic_write_text(args.doc, replace_section(page, args.section, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
