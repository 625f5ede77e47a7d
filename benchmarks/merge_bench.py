"""Merge benches of the same settings, run as separate processes (a few fusions or one seed each),
into one ``results.json`` that ``bench_to_docs.py --no-run`` and ``balance_table.py`` read.

Usage:
    python benchmarks/merge_bench.py --out runs/bench-avmnist --command "polymodal bench ..." runs/issue20/zoo/*

Each source folder holds a ``results.json`` of ``polymodal bench``. They must be the same bench
(:func:`polymodal.bench.merge.merge_results`: the same data, training and model settings; the
seeds and the methods may differ; a run found in two sources is kept once). ``--methods`` and
``--seeds`` keep only those runs (e.g. the seed-0 runs another benchmark would train the same way).
The merged file lists every run, the summary of every method over its seeds, and
``--command``: the single ``polymodal bench`` command that would have made the same runs.
``--link-runs`` also links each kept run's folder into ``--out/runs/<method>/seed-<S>`` (relative
links), so that scripts reading a bench's folders (``interactions_avmnist.py --runs``) see one bench.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from polymodal.bench.merge import merge_results
from polymodal.io import atomic_write_json
from polymodal.layout import BenchLayout


def link_runs(out: Path, folders: list[Path], sources: list[dict], merged: dict) -> None:
    """Link ``out/runs/<method>/seed-<S>`` to the folder of the source whose run the merge kept
    (the first that has it); an existing link is replaced, a real folder is an error."""
    for method, by_seed in merged["runs"].items():
        for seed in by_seed:
            folder = next(f for f, src in zip(folders, sources) if seed in src["runs"].get(method, {}))
            target, link = BenchLayout(folder).run(method, int(seed)).root, BenchLayout(out).run(method, int(seed)).root
            if link.exists() and not link.is_symlink():
                raise SystemExit(f"merge_bench: {link} is a run folder, not a link; use another --out")
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink():
                link.unlink()
            link.symlink_to(os.path.relpath(target.resolve(), link.parent.resolve()), target_is_directory=True)


def select_runs(sources: list[dict], methods: str | None, seeds: str | None) -> list[dict]:
    """``sources`` (benches' results) with only the runs of ``methods`` and ``seeds`` (comma-separated;
    ``None``: all). A method or seed that no source has, or a selection with no run, is an error
    naming what they have."""
    have_methods = {m for s in sources for m in s["runs"]}
    have_seeds = {int(seed) for s in sources for by_seed in s["runs"].values() for seed in by_seed}
    keep_methods = set(methods.split(",")) if methods else have_methods
    try:
        keep_seeds = {int(seed) for seed in seeds.split(",")} if seeds else have_seeds
    except ValueError:
        raise ValueError(f"--seeds: {seeds!r} is not a comma-separated list of integers") from None
    if keep_methods - have_methods:
        raise ValueError(f"--methods: no source has {', '.join(sorted(keep_methods - have_methods))}; "
                         f"they have {', '.join(sorted(have_methods))}")
    if keep_seeds - have_seeds:
        raise ValueError(f"--seeds: no source has seed {', '.join(map(str, sorted(keep_seeds - have_seeds)))}; "
                         f"they have {', '.join(map(str, sorted(have_seeds)))}")
    selected = []
    for source in sources:
        runs = {m: {seed: r for seed, r in by_seed.items() if int(seed) in keep_seeds}
                for m, by_seed in source["runs"].items() if m in keep_methods}
        selected.append({**source, "runs": {m: by_seed for m, by_seed in runs.items() if by_seed}})
    if not any(s["runs"] for s in selected):
        raise ValueError(f"--methods, --seeds: no source has a run of {', '.join(sorted(keep_methods))} "
                         f"with seed {', '.join(map(str, sorted(keep_seeds)))}")
    return selected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the merged results.json")
    parser.add_argument("--command", required=True, help="the equivalent single polymodal bench command")
    parser.add_argument("--link-runs", action="store_true",
                        help="link each kept run's folder into --out/runs, as if one bench had made them")
    parser.add_argument("--methods", help="comma-separated methods to keep (unimodal:image, early, ...; default: all)")
    parser.add_argument("--seeds", help="comma-separated seeds to keep (default: all)")
    parser.add_argument("sources", nargs="+", type=Path, help="folders holding a results.json each")
    args = parser.parse_args()
    found = [s for s in args.sources if BenchLayout(s).results.is_file()]
    if not found:
        print("merge_bench: no results.json in the sources", file=sys.stderr)
        return 2
    sources = [BenchLayout(s).read_results() for s in found]
    try:
        sources = select_runs(sources, args.methods, args.seeds)
    except ValueError as exc:
        print(f"merge_bench: {exc}", file=sys.stderr)
        return 2
    merged = merge_results(sources, args.command)
    atomic_write_json(args.out / "results.json", merged)
    if args.link_runs:
        link_runs(args.out, found, sources, merged)
    print(f"{args.out / 'results.json'}: {sum(len(r) for r in merged['runs'].values())} runs of "
          f"{len(merged['runs'])} methods from {len(found)} benches, seeds {merged['seeds']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
