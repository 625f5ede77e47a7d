"""Merge benches of the same settings, run as separate processes (a few fusions or one seed each),
into one ``results.json`` that ``bench_to_docs.py --no-run`` and ``balance_table.py`` read.

Usage:
    python benchmarks/merge_bench.py --out runs/bench-avmnist --command "polymodal bench ..." runs/issue20/zoo/*

Each source folder holds a ``results.json`` of ``polymodal bench``. They must be the same bench
(:func:`polymodal.bench.runner.bench_identity`: the same data, training and model settings; the
seeds and the methods may differ); a run found in two sources must be the same run (one copy is
kept). The merged file lists every run, the summary of every method over its seeds, and
``--command``: the single ``polymodal bench`` command that would have made the same runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from polymodal.bench.runner import bench_identity
from polymodal.bench.summary import summarize
from polymodal.io import atomic_write_json


def merge(sources: list[dict], command: str) -> dict:
    """One bench's results from several of the same identity; raises ``ValueError`` otherwise."""
    first = sources[0]
    runs: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for source in sources:
        if bench_identity(source["settings"]) != bench_identity(first["settings"]):
            raise ValueError(f"benches of different settings: {source.get('command')!r} and {first.get('command')!r}")
        for method, by_seed in source["runs"].items():
            for seed, result in by_seed.items():
                runs.setdefault(method, {}).setdefault(seed, result)
        skipped.update(source.get("skipped", {}))
    seeds = sorted({int(s) for by_seed in runs.values() for s in by_seed})
    settings = json.loads(json.dumps(first["settings"]))
    settings["train_config"]["seed"] = seeds[0]
    order = sorted(runs, key=lambda m: (not m.startswith("unimodal:"), m))
    return {"command": command, "settings": settings, "seeds": seeds, "runs": {m: runs[m] for m in order},
            "methods": {m: summarize(m, runs[m]) for m in order}, "skipped": skipped}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder of the merged results.json")
    parser.add_argument("--command", required=True, help="the equivalent single polymodal bench command")
    parser.add_argument("sources", nargs="+", type=Path, help="folders holding a results.json each")
    args = parser.parse_args()
    found = [s / "results.json" for s in args.sources if (s / "results.json").is_file()]
    if not found:
        print("merge_bench: no results.json in the sources", file=sys.stderr)
        return 2
    merged = merge([json.loads(p.read_text()) for p in found], args.command)
    atomic_write_json(args.out / "results.json", merged)
    print(f"{args.out / 'results.json'}: {sum(len(r) for r in merged['runs'].values())} runs of "
          f"{len(merged['runs'])} methods from {len(found)} benches, seeds {merged['seeds']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
