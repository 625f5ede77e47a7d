"""How long every command the README shows takes with its defaults, and which step dominates it.

Runs each command in its own process, one after the other, in one process tree on one machine;
records its wall time, its peak resident memory (``os.wait4``: the process and everything it
waited for), the machine's load average before it, and the wall time of each step the command
reports (``$POLYMODAL_STEP_TIMES``, :mod:`polymodal.timing`). Everything not inside a step
(interpreter start, argument parsing, what no step covers) is "start-up and the rest".
Each command is checked against its budget on an idle 2-core machine (issue: every default on
digits or a synthetic set <= 2 min, ``make bench`` <= 3 min, the README's AV-MNIST commands
<= 15 min). AV-MNIST is built into a fresh cache, as on a new machine.

Usage: python benchmarks/cli_defaults.py --data-dir ../shared/data [--only NAME,...] [--skip-avmnist]
Writes docs/cli_defaults.md and runs/cli-defaults/cli_defaults.json (``--render JSON`` rewrites the
document from a saved run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINUTE = 60.0


@dataclass
class Command:
    """One command line as the README shows it; ``{work}`` and ``{data}`` are filled in."""

    name: str
    argv: list[str]
    budget_s: float
    avmnist: bool = False
    shown: str = ""  # the command as the README writes it (default: polymodal + argv without --out)


def commands() -> list[Command]:
    """The README's commands, in an order where each one's inputs exist (interactions reads the bench)."""
    two = 2 * MINUTE
    cmds = [
        Command("make bench", ["make", "bench", "ARGS=--out {work}/bench"], 3 * MINUTE, shown="make bench"),
        Command("data info", ["data", "info", "digits"], two),
        Command("fusions", ["fusions"], two),
        Command("train", ["train", "--dataset", "digits", "--out", "{work}/train"], two),
        *[Command(f"coordinate {m}", ["coordinate", "--dataset", "digits", "--method", m, "--out", "{work}/coord-" + m], two)
          for m in ("cca", "dcca", "dccae", "contrastive")],
        Command("interactions", ["interactions", "--model", "{work}/bench/runs/tensor/seed-0/checkpoints/best.ckpt",
                                 "--dataset", "digits", "--out", "{work}/interactions"], two,
                shown="polymodal interactions --model runs/bench-digits/runs/tensor/seed-0/checkpoints/best.ckpt "
                      "--dataset digits"),
        Command("robustness", ["robustness", "--run", "{work}/bench", "--out", "{work}/robustness"], two,
                shown="polymodal robustness --run runs/bench-digits"),
        Command("pid (cluster, learned)", ["pid", "--dataset", "digits", "--out", "{work}/pid-cluster"], two),
        Command("pid (cluster, pca)", ["pid", "--dataset", "digits", "--reduce", "pca", "--out", "{work}/pid-pca"], two),
        Command("pid (batch, learned joint)", ["pid", "--dataset", "digits", "--estimator", "batch",
                                               "--out", "{work}/pid-batch"], two),
        Command("pid (batch, exact joint)", ["pid", "--dataset", "digits", "--estimator", "batch", "--joint", "exact",
                                             "--out", "{work}/pid-exact"], two),
        Command("pid on latent-synergy (batch)", ["pid", "--dataset", "latent-synergy", "--estimator", "batch",
                                                  "--out", "{work}/pid-latent"], two),
        Command("bench on bits-xor", ["bench", "--dataset", "bits-xor", "--out", "{work}/bench-xor"], two),
        Command("heterogeneity on hetero-groups", ["heterogeneity", "--dataset", "hetero-groups",
                                                   "--out", "{work}/het-groups"], two),
        Command("heterogeneity on mfeat", ["heterogeneity", "--dataset", "mfeat", "--data-dir", "{data}",
                                           "--out", "{work}/het-mfeat"], two),
        Command("avmnist: data info (builds the cache)", ["data", "info", "avmnist", "--data-dir", "{data}"],
                15 * MINUTE, avmnist=True),
        Command("avmnist: train late", ["train", "--dataset", "avmnist", "--data-dir", "{data}", "--fusion", "late",
                                        "--out", "{work}/avmnist-late"], 15 * MINUTE, avmnist=True),
    ]
    for c in cmds:  # as a user types it: without the benchmark's --out DIR
        words = [w for k, w in enumerate(c.argv) if w != "--out" and (k == 0 or c.argv[k - 1] != "--out")]
        c.shown = c.shown or "polymodal " + " ".join(shlex.quote(w.replace("{data}", "../shared/data")) for w in words)
    return cmds


def busy_cpu_seconds() -> float | None:
    """CPU seconds all processes of the machine have spent busy since boot (Linux ``/proc/stat``), or None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(cmd: Command, work: Path, data_dir: str, env: dict[str, str]) -> dict:
    """Run one command; wall time, peak memory, load before, step times, exit code."""
    fill = {"{work}": str(work), "{data}": data_dir}
    argv = [next((a.replace(k, v) for k, v in fill.items() if k in a), a) for a in cmd.argv]
    if argv[0] != "make":
        argv = [str(ROOT / ".venv" / "bin" / "polymodal"), *argv]
    steps_file = Path(tempfile.mkstemp(prefix="steps-", suffix=".json", dir=work)[1])
    steps_file.unlink()
    log = work / "logs" / (cmd.name.replace(" ", "_").replace("(", "").replace(")", "").replace(",", "").replace(":", "")
                           + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    busy_before = busy_cpu_seconds()
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**env, "POLYMODAL_STEP_TIMES": str(steps_file)})
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    busy_after = busy_cpu_seconds()
    own_cpu = usage.ru_utime + usage.ru_stime
    # cores kept busy by other processes while the command ran (the machine's load apart from it)
    others = None if busy_before is None or busy_after is None else max(0.0, (busy_after - busy_before - own_cpu) / wall)
    proc.returncode = os.waitstatus_to_exitcode(status)
    steps = json.loads(steps_file.read_text()) if steps_file.is_file() else {}
    top = sum(v["inclusive"] for k, v in steps.items() if "/" not in k)
    parts = {k: v["exclusive"] for k, v in steps.items()}
    parts["start-up and the rest"] = max(0.0, wall - top)
    dominant = max(parts, key=parts.get)
    return {"name": cmd.name, "command": cmd.shown, "returncode": proc.returncode, "wall_s": wall,
            "peak_rss_mib": usage.ru_maxrss / 1024, "load_before": load, "cpu_s": own_cpu, "other_load": others,
            "budget_s": cmd.budget_s,
            "within_budget": proc.returncode == 0 and wall <= cmd.budget_s, "steps": steps,
            "dominant": dominant, "dominant_share": parts[dominant] / wall if wall else 0.0,
            "log": str(log.relative_to(ROOT)) if log.is_relative_to(ROOT) else str(log)}


def _minutes(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 100 else f"{seconds / 60:.1f} min"


def markdown(rows: list[dict], command: str, machine: dict) -> str:
    lines = [
        "# How long the README's commands take with their defaults",
        "",
        f"Command: `{command}`. Each command runs in its own process, one after the other; *wall* is its "
        "wall time, *peak memory* the peak resident set of the process and the processes it waited for, "
        "*CPU* its CPU time (user + system, all threads), *others* the number of cores that other processes "
        "kept busy on average while it ran (from `/proc/stat`; more than about 0.2 means another job "
        "shared the 2 cores, and the times are inflated). *Dominant step* is the step "
        "the command spent most of its wall time in (`polymodal.timing`; 'start-up and the rest' is "
        "the interpreter's start, argument parsing and whatever no step covers). Budgets (on an idle 2-core machine): "
        "every default on digits or a synthetic set 2 min, `make bench` 3 min, the README's AV-MNIST "
        "commands 15 min.",
        "",
        f"Machine: {machine['machine']}, {machine['cores']} cores, Python {machine['python']}; "
        f"1-minute load average {machine['load_start']:.2f} before the first command; other processes kept "
        f"{'n/a' if machine['other_load'] is None else format(machine['other_load'], '.2f')} cores busy on "
        f"average over the run; total {_minutes(machine['total_s'])}.",
        "",
        "| command | wall | budget | CPU | peak memory (MiB) | others | dominant step | share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "ok" if r["within_budget"] else ("**failed**" if r["returncode"] else "**over**")
        others = "n/a" if r["other_load"] is None else f"{r['other_load']:.2f}"
        lines.append(f"| `{r['command']}` | {_minutes(r['wall_s'])} | {_minutes(r['budget_s'])} {ok} | "
                     f"{_minutes(r['cpu_s'])} | {r['peak_rss_mib']:.0f} | {others} | {r['dominant']} | "
                     f"{100 * r['dominant_share']:.0f}% |")
    over = [r["name"] for r in rows if not r["within_budget"]]
    lines += ["", "Every command is within its budget." if not over else f"Over budget or failed: {', '.join(over)}.", ""]
    by_step: dict[str, list[str]] = {}
    for r in rows:
        by_step.setdefault(r["dominant"], []).append(r["name"])
    lines += ["Dominant steps:", ""]
    lines += [f"- {step} ({len(names)}): {', '.join(names)}" for step, names in sorted(by_step.items(), key=lambda kv: -len(kv[1]))]
    imports = [r["steps"].get("imports", {}).get("inclusive", 0.0) for r in rows if "imports" in r["steps"]]
    if imports:
        lines += ["", f"*imports* is the time the command spends importing polymodal's dependencies "
                      f"({min(imports):.1f} to {max(imports):.1f} s here): PyTorch, and for the commands that train, "
                      "Lightning, which imports torchmetrics and, when it is installed (the `text` and `test` extras), "
                      "Hugging Face transformers. Short commands are dominated by it."]
    lines += ["", "The BATCH estimator's learned joint (`interactions`, `pid --estimator batch`) used to take "
                  "minutes: see [`pid.md`](pid.md) for why and what changed.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="folder with mnist/, fsdd/recordings/, mfeat/")
    parser.add_argument("--only", help="comma-separated command names (default: all)")
    parser.add_argument("--skip-avmnist", action="store_true", help="leave out the AV-MNIST commands")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "cli-defaults", help="outputs of the commands")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "cli_defaults.md")
    parser.add_argument("--render", type=Path, help="only rewrite --doc from a cli_defaults.json of an earlier run")
    args = parser.parse_args()
    if args.render:
        from polymodal.io import atomic_write_text

        saved = json.loads(args.render.read_text())
        atomic_write_text(args.doc, markdown(saved["rows"], saved["command"], saved["machine"]))
        print(f"wrote {args.doc}")
        return 0
    if not (ROOT / ".venv" / "bin" / "polymodal").is_file():
        parser.error("run `make setup` first: the commands run from .venv/bin/polymodal")
    chosen = commands()
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        unknown = wanted - {c.name for c in chosen}
        if unknown:
            parser.error(f"--only: {', '.join(sorted(unknown))} unknown; choose from {', '.join(c.name for c in chosen)}")
        chosen = [c for c in chosen if c.name in wanted]
    if args.skip_avmnist:
        chosen = [c for c in chosen if not c.avmnist]
    work = args.work.resolve()
    if work.exists():
        import shutil

        shutil.rmtree(work)  # every command starts from nothing: no resumed run, no cached data set
    work.mkdir(parents=True)
    env = {**os.environ, "POLYMODAL_CACHE_DIR": str(work / "cache"), "POLYMODAL_PROGRESS": "0"}
    env.pop("POLYMODAL_DATA_DIR", None)
    load_start, start, busy_start = os.getloadavg()[0], time.perf_counter(), busy_cpu_seconds()
    rows = []
    for cmd in chosen:
        row = run(cmd, work, str(Path(args.data_dir).resolve()), env)
        rows.append(row)
        flag = "ok" if row["within_budget"] else ("FAILED" if row["returncode"] else "OVER")
        others = "n/a" if row["other_load"] is None else f"{row['other_load']:.2f}"
        print(f"{cmd.name:40s} {_minutes(row['wall_s']):>9s} {row['peak_rss_mib']:7.0f} MiB  others {others}"
              f"  {row['dominant']} ({100 * row['dominant_share']:.0f}%)  {flag}", flush=True)
    total = time.perf_counter() - start
    busy_end = busy_cpu_seconds()
    ours = sum(r["cpu_s"] for r in rows)
    machine = {"machine": f"{platform.machine()}, {platform.system()}", "cores": os.cpu_count(),
               "python": platform.python_version(), "load_start": load_start, "total_s": total,
               "other_load": None if busy_start is None or busy_end is None else
               max(0.0, (busy_end - busy_start - ours) / total)}
    command = "python benchmarks/cli_defaults.py --data-dir ../shared/data" + (f" --only '{args.only}'" if args.only else "") + (
        " --skip-avmnist" if args.skip_avmnist else "")
    from polymodal.io import atomic_write_json, atomic_write_text

    atomic_write_json(work / "cli_defaults.json", {"command": command, "machine": machine, "rows": rows})
    atomic_write_text(args.doc, markdown(rows, command, machine))
    print(f"wrote {args.doc}")
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
