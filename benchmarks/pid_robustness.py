"""Does the exact PID certify its gap on hard joints? Sparse, skewed and empirical distributions.

Three families of random joints n1 x n2 x k (sizes 1..12 per axis, several hundred each):

- *skewed*: Dirichlet(alpha) with alpha in {0.05, 0.3, 1, 5}, then a random 0 %, 30 % or 70 % of
  the entries set to zero; alpha = 0.05 gives probabilities spanning 40 orders of magnitude;
- *empirical*: plug-in joints of N in {20, 100, 1000, 10000} samples from such a Dirichlet
  (many zeros, like the cluster estimator's joints);
- *dense*: Dirichlet(1) (the speed benchmark's joints);
- *near-deterministic*: Y a random function of (X1, X2) up to a leak of 1e-12 .. 1e-5 spread over
  the other labels (like ``shared/fixtures/pid_near_deterministic_10x6x7.npy``, which stopped at
  1.17e-8 bits against 1e-8 before the interior-point method kept its centring floor after full
  steps).

For each: how many reached the requested certified gap (1e-8 bits), how many needed the barrier
fallback, the largest gap, and the iterations (median, max).

Usage: python benchmarks/pid_robustness.py [--count 400]
Writes docs/pid_robustness.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def skewed(rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(v) for v in rng.integers(1, 13, 3))
    p = rng.dirichlet(np.full(int(np.prod(shape)), rng.choice([0.05, 0.3, 1.0, 5.0]))).reshape(shape)
    p[rng.random(shape) < rng.choice([0.0, 0.3, 0.7])] = 0.0
    return p


def empirical(rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(v) for v in rng.integers(2, 13, 3))
    base = rng.dirichlet(np.full(int(np.prod(shape)), rng.choice([0.05, 0.3, 1.0])))
    n = int(rng.choice([20, 100, 1000, 10000]))
    return rng.multinomial(n, base).reshape(shape) / n


def dense(rng: np.random.Generator) -> np.ndarray:
    shape = tuple(int(v) for v in rng.integers(2, 13, 3))
    return rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


def near_deterministic(rng: np.random.Generator) -> np.ndarray:
    n1, n2, k = (int(v) for v in rng.integers(2, 13, 3))
    pair = rng.dirichlet(np.ones(n1 * n2)).reshape(n1, n2)
    conditional = 10.0 ** rng.uniform(-12, -5) * np.exp(rng.normal(size=(n1, n2, k)))
    conditional[np.arange(n1)[:, None], np.arange(n2)[None, :], rng.integers(0, k, (n1, n2))] = 1.0
    return pair[..., None] * conditional / conditional.sum(2, keepdims=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="joints per family")
    args = parser.parse_args()
    from polymodal.information.broja import solve_broja
    from polymodal.information.distributions import check_joint
    from polymodal.io import atomic_write_text

    tol = 1e-8
    rows = []
    for name, family in (("skewed", skewed), ("empirical", empirical), ("dense", dense),
                         ("near-deterministic", near_deterministic)):
        rng = np.random.default_rng(2026)
        gaps, iterations, fallbacks, certified, seconds = [], [], 0, 0, []
        for _ in range(args.count):
            p = family(rng)
            if p.sum() == 0:
                p.flat[0] = 1.0
            p = check_joint(p, normalize=True)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = solve_broja(p, tol_bits=tol)
            seconds.append(time.perf_counter() - start)
            gaps.append(sol.gap_bits)
            iterations.append(sol.iterations)
            fallbacks += sol.method != "interior-point"
            certified += sol.gap_bits <= tol
        rows.append((name, args.count, certified, fallbacks, max(gaps), statistics.median(iterations), max(iterations),
                     statistics.median(seconds), max(seconds)))
        print(f"{name:10s} certified {certified}/{args.count}, fallback {fallbacks}, max gap {max(gaps):.1e} bits, "
              f"iterations median {statistics.median(iterations):.0f} max {max(iterations)}", flush=True)
    table = ["| family | joints | certified to 1e-8 bits | needed the barrier fallback | largest gap (bits) | "
             "iterations: median | max | seconds: median | max |", "|---|---|---|---|---|---|---|---|---|"]
    for name, count, ok, fb, gap, it_med, it_max, s_med, s_max in rows:
        table.append(f"| {name} | {count} | {ok} | {fb} | {gap:.1e} | {it_med:.0f} | {it_max} | {s_med:.4f} | {s_max:.3f} |")
    misses = [f"{count - ok} {name} joint{'s' if count - ok > 1 else ''}" for name, count, ok, *_ in rows if ok < count]
    missed = f"Not certified here: {', '.join(misses)}." if misses else "Every joint here is certified."
    doc = "\n".join([
        "# Exact PID on hard joints: is the gap always certified?", "",
        f"Command: `python benchmarks/pid_robustness.py{'' if args.count == 400 else f' --count {args.count}'}`. "
        "`solve_broja(p, tol_bits=1e-8)` on random joints with 1 to 12 values per variable (see the script's "
        "docstring for the four families). The interior-point method on the dual stops when the gap is certified "
        "or stalls (a numerical floor: probabilities spanning many orders of magnitude); the primal barrier method "
        "then finishes from its best point.", "", *table, "",
        "A joint that is not certified to the requested gap is never passed off as one: `pid` returns its best "
        "certified point with `converged` False, `gap` (and `str`) state the tolerance it did reach, and a "
        "`ConvergenceWarning` says so. " + missed + " A stalled solve's last digits depend on the BLAS library and "
        "its threads, so a joint near the floor can land on either side of 1e-8 bits on another machine.", "",
    ])
    atomic_write_text(ROOT / "docs" / "pid_robustness.md", doc + "\n")
    print("wrote docs/pid_robustness.md")
    return 0 if all(r[2] == r[1] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
