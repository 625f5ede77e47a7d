"""Merge benches of the same settings, run as separate processes (a few fusions or one seed each),
into one ``results.json`` that ``bench_to_docs.py --no-run`` and ``balance_table.py`` read.

Usage:
    python benchmarks/merge_bench.py --out runs/bench-avmnist --command "polymodal bench ..." runs/issue20/zoo/*

Each source folder holds a ``results.json`` of ``polymodal bench``. They must be the same bench
(:func:`polymodal.bench.merge.merge_results`: the same data, training and model settings; the
seeds and the methods may differ; a run found in two sources is kept once). The merged file lists every run, the summary of every method over its seeds, and
``--command``: the single ``polymodal bench`` command that would have made the same runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from polymodal.bench.merge import merge_results
from polymodal.io import atomic_write_json


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
    merged = merge_results([json.loads(p.read_text()) for p in found], args.command)
    atomic_write_json(args.out / "results.json", merged)
    print(f"{args.out / 'results.json'}: {sum(len(r) for r in merged['runs'].values())} runs of "
          f"{len(merged['runs'])} methods from {len(found)} benches, seeds {merged['seeds']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
