"""Speed and accuracy of polymodal's exact PID against the cvxpy + Clarabel formulation.

For random Dirichlet(1) joints n1 x n2 x k (cubes n = 4 .. 64 and the asymmetric 20 x 20 x 10 and
100 x 100 x 10), several seeds each, times :func:`polymodal.information.pid` (to its certified gap,
1e-8 bits by default) and, side by side on the same joints, the exponential-cone program of
:mod:`polymodal.information.reference` solved by Clarabel, each reference run in its own process
and capped in time (when a shape's first reference run hits the cap, its other seeds are not
run by the reference). Reports medians, the time ratio, the largest difference of the PID terms between the two
solvers, our largest certified gap, and checks the targets of the information issue.

Usage: python benchmarks/pid_speed.py [--quick] [--seeds 3] [--cap 120]
Writes docs/pid_speed.md and docs/figures/pid_speed.png.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHAPES = [(4, 4, 4), (8, 8, 8), (16, 16, 16), (20, 20, 10), (32, 32, 32), (100, 100, 10), (64, 64, 64)]
QUICK_SHAPES = [(4, 4, 4), (8, 8, 8), (20, 20, 10)]
TARGETS = {(20, 20, 10): 0.1, (32, 32, 32): 2.0, (100, 100, 10): 5.0, (64, 64, 64): 60.0}  # seconds


def joint(shape: tuple[int, int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


def _reference_worker(p: np.ndarray, out: mp.Queue) -> None:
    from polymodal.information.reference import reference_pid

    start = time.perf_counter()
    terms = reference_pid(p)
    out.put((time.perf_counter() - start, terms))


def run_reference(p: np.ndarray, cap: float) -> tuple[float | str, dict | None]:
    """(seconds, PID terms) of the reference in a fresh process; ("stopped", None) past ``cap``
    seconds, ("failed", None) when the process died (Clarabel aborts when it cannot allocate)."""
    out: mp.Queue = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_reference_worker, args=(p, out))
    process.start()
    process.join(cap)
    if process.is_alive():
        process.terminate()
        process.join()
        return "stopped", None
    try:
        return out.get(timeout=5)
    except Exception:
        return "failed", None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small shapes only (a smoke test)")
    parser.add_argument("--seeds", type=int, default=3, help="random joints per shape (default 3)")
    parser.add_argument("--cap", type=float, default=120.0, help="time limit of one reference run, seconds")
    args = parser.parse_args()
    from polymodal.information import pid

    shapes = QUICK_SHAPES if args.quick else SHAPES
    rows = []
    for shape in shapes:
        ours, ref, diffs, gaps, iterations, timeouts, capped, failure = [], [], [], [], [], 0, False, ""
        for seed in range(args.seeds):
            p = joint(shape, seed)
            start = time.perf_counter()
            result = pid(p)
            ours.append(time.perf_counter() - start)
            gaps.append(result.gap)
            iterations.append(result.iterations)
            if capped:
                continue
            seconds, terms = run_reference(p, args.cap)
            if isinstance(seconds, str):
                timeouts += 1
                failure = seconds
                capped = seed == 0  # the other seeds would fare no better
                continue
            ref.append(seconds)
            diffs.append(max(abs(result.as_dict()[k] - terms[k]) for k in ("R", "U1", "U2", "S")))
        row = {
            "shape": shape, "entries": int(np.prod(shape)), "ours_s": statistics.median(ours),
            "iterations": int(statistics.median(iterations)), "gap": max(gaps),
            "ref_s": statistics.median(ref) if ref else None, "ref_runs": len(ref), "timeouts": timeouts,
            "max_diff": max(diffs) if diffs else None, "target_s": TARGETS.get(shape), "failure": failure,
        }
        rows.append(row)
        ref_text = f"{row['ref_s']:.3f} s" if ref else (f"> {args.cap:.0f} s" if failure == "stopped" else failure)
        print(f"{'x'.join(map(str, shape)):>12}  ours {row['ours_s']:.4f} s ({row['iterations']} it, gap "
              f"{row['gap']:.1e} bits)  reference {ref_text}", flush=True)
    ok = all(r["target_s"] is None or r["ours_s"] <= r["target_s"] for r in rows)
    write_docs(rows, args, ok)
    return 0 if ok else 1


def write_docs(rows: list[dict], args: argparse.Namespace, ok: bool) -> None:
    import os

    from polymodal.io import atomic_write_text

    table = ["| shape | entries | polymodal (s) | iterations | certified gap (bits) | cvxpy + Clarabel (s) | "
             "ratio | max abs diff of R, U1, U2, S (bits) | target (s) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = f"{r['ref_s']:.3f}" if r["ref_s"] is not None else (
            f"> {args.cap:.0f} (stopped)" if r["failure"] == "stopped" else
            "failed (the solver process died: Clarabel could not allocate its memory)")
        if r["ref_s"] is not None and r["timeouts"]:
            ref += f" ({r['timeouts']} of {args.seeds} not finished)"
        ratio = f"{r['ref_s'] / r['ours_s']:.0f}x" if r["ref_s"] is not None else (
            f"> {args.cap / r['ours_s']:.0f}x" if r["failure"] == "stopped" else "–")
        diff = f"{r['max_diff']:.1e}" if r["max_diff"] is not None else "–"
        target = "–" if r["target_s"] is None else (
            f"{r['target_s']:g} {'met' if r['ours_s'] <= r['target_s'] else '**missed**'}")
        table.append(f"| {' x '.join(map(str, r['shape']))} | {r['entries']:,} | {r['ours_s']:.4f} | {r['iterations']} "
                     f"| {r['gap']:.1e} | {ref} | {ratio} | {diff} | {target} |")
    command = "python benchmarks/pid_speed.py" + (" --quick" if args.quick else "") + (
        f" --seeds {args.seeds}" if args.seeds != 3 else "") + (f" --cap {args.cap:g}" if args.cap != 120 else "")
    doc = (
        "# Exact PID: speed and accuracy against a general-purpose conic solver\n\n"
        f"Command: `{command}` on a shared {os.cpu_count()}-core machine without accelerator. Random Dirichlet(1) "
        f"joints, {args.seeds} seeds per shape; times are medians (wall clock). polymodal: "
        "`polymodal.information.pid` run to its certified gap (default 1e-8 bits), in process. Reference: the "
        "exponential-cone program of `polymodal.information.reference` (cvxpy, Clarabel, gap tolerance 1e-9), "
        f"each run in a fresh process and stopped after {args.cap:g} s. Both run side by side on the same joints, "
        "so compare the ratio rather than absolute times.\n\n"
        + "\n".join(table) + "\n\n"
        + ("All targets met.\n\n" if ok else "**Some targets missed.**\n\n")
        + "![time against size](figures/pid_speed.png)\n"
    )
    plot(rows, args.cap, ROOT / "docs" / "figures" / "pid_speed.png")
    atomic_write_text(ROOT / "docs" / "pid_speed.md", doc)
    print("wrote docs/pid_speed.md and docs/figures/pid_speed.png")


def plot(rows: list[dict], cap: float, path: Path) -> None:
    """Log-log time against the number of entries n1 n2 k, for both solvers (capped runs as open markers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import atomic_write

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot([r["entries"] for r in rows], [r["ours_s"] for r in rows], "-o", color="tab:blue", label="polymodal pid")
    done = [(r["entries"], r["ref_s"]) for r in rows if r["ref_s"] is not None]
    if done:
        ax.plot(*zip(*done), "-s", color="tab:red", label="cvxpy + Clarabel")
    over = [r["entries"] for r in rows if r["ref_s"] is None and r["failure"] == "stopped"]
    if over:
        ax.plot(over, [cap] * len(over), "s", mfc="none", color="tab:red", label=f"reference stopped at {cap:g} s")
    for r in rows:
        ax.annotate("x".join(map(str, r["shape"])), (r["entries"], r["ours_s"]), fontsize=7,
                    textcoords="offset points", xytext=(3, -10))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("entries of the joint (n1 n2 k)")
    ax.set_ylabel("seconds (median)")
    ax.legend(fontsize=8)
    ax.set_title("exact BROJA PID: time against size")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
