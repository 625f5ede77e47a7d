"""Run ``polymodal bench`` on a data set and record its table in ``docs/benchmarks.md``.

Usage:
    python benchmarks/bench_to_docs.py --dataset avmnist --data-dir ../shared/data
    python benchmarks/bench_to_docs.py --dataset digits

Any further options are passed to ``polymodal bench``. ``--no-run`` only rewrites the section
from the results already in the output folder (marked interim while some runs are missing). The bench's output folder defaults to
``runs/bench-<dataset>``, so an interrupted run resumes. The section of ``docs/benchmarks.md``
for the data set (between ``<!-- bench:NAME -->`` markers) is replaced by the table, the
command, the seed, whether every fusion beats the better unimodal baseline (on the mean, and
seed by seed), and the accuracy
figures (``docs/figures/bench-NAME-{accuracy,parameters,train_time_s}.png``). With ``--seeds 0,1,2``
the table gives the mean ± standard deviation of accuracy over the seeds.
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from polymodal.bench.report import figures, markdown_table, routing_notes
from polymodal.bench.runner import parse_seeds
from polymodal.bench.summary import below_unimodal_by_seed, summarize
from polymodal.io import atomic_write, atomic_write_text, replace_section

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def fusion_verdict(results: dict) -> str:
    """One line: the best unimodal accuracy and the fusions that do not beat it."""
    methods = results["methods"]
    uni = {k: v["test_accuracy"] for k, v in methods.items() if k.startswith("unimodal:")}
    best_name, best = max(uni.items(), key=lambda kv: kv[1])
    losers = [k for k, v in methods.items() if not k.startswith("unimodal:") and v["test_accuracy"] <= best]
    verdict = "every fusion beats it" if not losers else f"not beaten by: {', '.join(losers)}"
    line = f"Best unimodal baseline: {best_name} at {best:.4f}; {verdict}."
    if len(results["seeds"]) > 1:
        below = below_unimodal_by_seed(results["runs"])
        line += (" Seed by seed, against that seed's best baseline: "
                 + ("every fusion beats it on every seed." if not below else "not beaten on "
                    + "; ".join(f"{m} seed {s} ({a:.4f} vs {b:.4f})" for m, by in below.items()
                                for s, (a, b) in by.items()) + "."))
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-run", action="store_true",
                        help="only (re)write the section from the results already in --out, finished or not")
    parser.add_argument("--timing-seeds", default=None,
                        help="e.g. 0: report times from these seeds only (those run on an otherwise idle machine)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the Markdown file to write the section into")
    parser.add_argument("--section", default=None, help="the section's marker name (default: the data set)")
    parser.add_argument("--machine", default=None, help="the sentence on where the runs were made "
                        "(default: this machine, shared, 2 cores)")
    parser.add_argument("--shown-command", default=None, help="the bench command to show (default: the one run)")
    args, extra = parser.parse_known_args()
    section = args.section or args.dataset
    out = args.out or ROOT / "runs" / f"bench-{args.dataset}"
    if not args.no_run:
        bench_args = ["bench", "--dataset", args.dataset, "--out", str(out), *extra]
        status = subprocess.run([sys.executable, "-m", "polymodal", *bench_args]).returncode
        if status != 0:  # polymodal bench has already printed its one-line error
            return status
    results = json.loads((out / "results.json").read_text())
    seeds = results["seeds"]
    if args.timing_seeds:
        timing = parse_seeds(args.timing_seeds)
        results["methods"] = {m: summarize(m, r, timing) for m, r in results["runs"].items()}
    short = {m: len(r) for m, r in results["runs"].items() if len(r) < len(seeds)}
    partial = ""
    if short:
        partial = (f"**Interim** (the bench is still running): {sum(len(r) for r in results['runs'].values())} runs done. "
                   + (f"Seeds done where fewer than {len(seeds)}: "
                      + ", ".join(f"{m} {n}" for m, n in short.items()) + ". " if short else "")
                   + "Fusions missing from the table have not run yet.\n\n")
    figs = {}
    for key, encoded in figures(results).items():
        figs[key] = ROOT / "docs" / "figures" / f"bench-{section}-{key}.png"
        png = base64.b64decode(encoded)
        atomic_write(figs[key], lambda tmp, png=png: tmp.write_bytes(png))
    links = " ".join(f"![{key}]({path.relative_to(args.doc.resolve().parent).as_posix()})" for key, path in figs.items())
    notes = routing_notes(results)
    shown = args.shown_command or " ".join(shlex.quote(a) for a in ["polymodal", "bench", "--dataset", args.dataset, *extra])
    shown_flags = ("--machine", "--shown-command")  # their long texts are in the section itself
    argv = sys.argv[1:]
    recorded = " ".join(shlex.quote(a) for i, a in enumerate(argv)
                        if a not in shown_flags and (i == 0 or argv[i - 1] not in shown_flags))
    body = (
        f"### {args.dataset}\n\n"
        f"Command: `{shown}` (seeds {', '.join(map(str, results['seeds']))}; accuracy: mean ± s.d. over seeds, "
        + (f"times: median over seed(s) {args.timing_seeds} only, run on an otherwise idle machine while the other seeds "
           "shared it; "
           if args.timing_seeds else "times: median; ")
        + f"recorded with `python benchmarks/bench_to_docs.py {recorded}`)\n"
        + (f"{args.machine}\n\n" if args.machine else
           f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, shared, 2 cores; timings are indicative.\n\n")
        + partial
        + markdown_table(results)
        + (f"\n{notes}" if notes else "")
        + f"\n{fusion_verdict(results)}\n\n{links}\n"
    )
    text = args.doc.read_text() if args.doc.is_file() else "# Benchmarks\n"
    atomic_write_text(args.doc, replace_section(text, f"bench:{section}", body))
    print(markdown_table(results))
    print(fusion_verdict(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
