"""Keep a bench's results in the repository, and put them back, so that a long bench spans sessions.

    python benchmarks/keep_bench.py save runs/zoo/s0 runs/zoo/s1 --to benchmarks/results/avmnist-zoo
    python benchmarks/keep_bench.py restore benchmarks/results/avmnist-zoo --into runs/zoo
    python benchmarks/keep_bench.py drop --balance gblend benchmarks/results/avmnist-balance runs/balance/s0

Run folders (checkpoints, logs) stay out of the repository; a bench's ``results.json`` is small
and holds every run's result. ``save`` writes each bench folder's ``results.json`` to
``--to/<folder name>.json`` with the checkpoint paths relative to the bench folder
(:mod:`polymodal.bench.keep`), so that no path of this machine goes into the repository.
``restore`` writes each kept file back as ``--into/<name>/results.json``: ``polymodal bench`` with
that ``--out`` then skips the runs it holds and trains only the rest (its resume), and
``merge_bench.py`` and ``recipe_runs.py`` read it. A folder that already holds a ``results.json``
keeps its runs and gains only those it lacks. Runs of one installation repeat bit for bit, another
installation's need not (``docs/avmnist_candidate.md``): ``restore`` says when a kept bench was made
in an environment other than this machine's. ``save --own-runs`` leaves out the runs a folder
links from another bench (``merge_bench.py --link-runs``): the balance benches' unimodal baselines
are the zoo's, and are kept with the zoo. ``drop --balance METHOD`` removes the runs of one
balancing method (``FUSION+METHOD``) from kept folders and bench folders, with their run folders,
so that the next bench trains them again: after that method's code changed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch

from polymodal.bench.keep import (
    add_missing_runs, environment_key, environments, kept_text, local_results, own_runs, portable_results,
    without_balance,
)
from polymodal.environment import environment
from polymodal.errors import DataFileError, PolymodalError
from polymodal.io import atomic_write_json, atomic_write_text
from polymodal.layout import BENCH_RUNS_DIR, BenchLayout, method_slug
from polymodal.training.balance.choices import BALANCE_METHODS


def save(benches: list[Path], to: Path, own: bool = False) -> None:
    for bench in benches:
        results = BenchLayout(bench).read_results()
        if own:
            results = own_runs(results, bench)
            if not results["runs"]:
                print(f"{bench}: no run of its own yet, nothing kept")
                continue
        target = to / f"{bench.name}.json"
        atomic_write_text(target, kept_text(portable_results(results, bench)))
        print(f"{target}: {sum(len(r) for r in results['runs'].values())} runs of {len(results['runs'])} methods")


def restore(kept_dir: Path, into: Path) -> None:
    here = {environment_key(environment(torch.device("cpu")))}
    files = sorted(kept_dir.glob("*.json"))
    if not files:
        raise DataFileError(f"{kept_dir} holds no kept bench (*.json); pass the --to folder of keep_bench.py save")
    for file in files:
        kept = json.loads(file.read_text())
        layout = BenchLayout(into / file.stem)
        results = local_results(kept, layout.root)
        if layout.results.is_file():
            results = add_missing_runs(layout.read_results(), results)
        atomic_write_json(layout.results, results)
        other = environments(kept) - here
        note = f"; made in another environment: {', '.join(sorted(other))}" if other else ""
        print(f"{layout.results}: {sum(len(r) for r in results['runs'].values())} runs{note}")


def drop(balance: str, places: list[Path]) -> None:
    for place in places:
        if BenchLayout(place).results.is_file():  # a bench folder: its results and its run folders
            layout = BenchLayout(place)
            results, dropped = without_balance(layout.read_results(), balance)
            for name in dropped:  # the method's folder of runs, every seed
                shutil.rmtree(layout.root / BENCH_RUNS_DIR / method_slug(name), ignore_errors=True)
            atomic_write_json(layout.results, results)
            print(f"{layout.results}: dropped {', '.join(dropped) or 'nothing'}")
            continue
        files = sorted(place.glob("*.json")) if place.is_dir() else [place]
        if not files or not all(f.is_file() for f in files):
            raise DataFileError(f"{place} is neither a bench folder, a kept file nor a folder of kept files")
        for file in files:
            results, dropped = without_balance(json.loads(file.read_text()), balance)
            atomic_write_text(file, kept_text(results))
            print(f"{file}: dropped {', '.join(dropped) or 'nothing'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("save", help="copy benches' results.json into the repository")
    s.add_argument("benches", nargs="+", type=Path, help="bench folders (the --out of polymodal bench)")
    s.add_argument("--to", type=Path, required=True, help="folder of the kept files")
    s.add_argument("--own-runs", action="store_true",
                   help="keep only the runs trained in each folder, not those linked from another bench "
                        "(merge_bench.py --link-runs): they are kept with that bench")
    r = sub.add_parser("restore", help="write kept results back as bench folders")
    r.add_argument("kept", type=Path, help="folder of the kept files")
    r.add_argument("--into", type=Path, required=True, help="folder that gets one bench folder per kept file")
    d = sub.add_parser("drop", help="remove one balancing method's runs, to train them again")
    d.add_argument("places", nargs="+", type=Path, help="bench folders, kept files or folders of kept files")
    d.add_argument("--balance", required=True, choices=[m for m in BALANCE_METHODS if m != "none"],
                   help="the balancing method whose runs (FUSION+METHOD) go")
    args = parser.parse_args()
    try:
        if args.command == "save":
            save(args.benches, args.to, own=args.own_runs)
        elif args.command == "restore":
            restore(args.kept, args.into)
        else:
            drop(args.balance, args.places)
    except PolymodalError as exc:
        print(f"keep_bench: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
