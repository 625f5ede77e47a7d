"""InfoNCE as a lower bound on mutual information, on correlated Gaussians where the truth is known.

For d = 20 and I(X; Y) in {2, 4, 6, 8, 10} nats (rho from I = -(d/2) log(1 - rho^2)), trains a
separable critic g(x)^T h(y) and a concatenation critic MLP([x; y]) by maximising
I_NCE = log N - L_N on fresh batches of N = 64 pairs (Poole et al., ICML 2019, Sec. 5), and
reports the median estimate of the last 500 steps, next to the bound reached by the optimal
critic log p(y|x) / p(y) at the same N, and log N = 4.16 nats, the ceiling of the bound.

Usage: python benchmarks/infonce_gaussian.py [--steps 4000] [--quick]
Writes docs/infonce_gaussian.md and docs/figures/infonce_gaussian.png.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch

from polymodal.information.infonce_bound import (
    ConcatCritic, GaussianOptimalCritic, SeparableCritic, gaussian_rho, infonce_lower_bound,
    sample_correlated_gaussians, train_infonce_critic,
)

ROOT = Path(__file__).resolve().parents[1]
DIM, BATCH = 20, 64
LEVELS = (2.0, 4.0, 6.0, 8.0, 10.0)


def optimal_bound(mi: float, batches: int = 500) -> float:
    """Mean I_NCE of the optimal critic over ``batches`` batches of ``BATCH`` pairs."""
    rho = gaussian_rho(mi, DIM)
    g = torch.Generator().manual_seed(123)
    critic = GaussianOptimalCritic(rho)
    with torch.no_grad():
        return float(np.mean([float(infonce_lower_bound(critic(*sample_correlated_gaussians(BATCH, DIM, rho, g))))
                              for _ in range(batches)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--quick", action="store_true", help="500 steps, levels 2 and 10 only")
    args = parser.parse_args()
    steps = 500 if args.quick else args.steps
    levels = (2.0, 10.0) if args.quick else LEVELS
    critics = {
        "separable": lambda: SeparableCritic(DIM, DIM, hidden=256, embed=32),
        "concat": lambda: ConcatCritic(DIM, DIM, hidden=128),
    }
    rows, traces = [], {}
    for mi in levels:
        row = {"true": mi, "optimal": optimal_bound(mi)}
        for name, make in critics.items():
            torch.manual_seed(0)
            trace = train_infonce_critic(make(), mi, DIM, BATCH, steps, lr=5e-4, seed=int(mi * 10), progress=True)
            row[name] = trace.final(500)
            traces[(mi, name)] = trace.estimates
        rows.append(row)
        print(f"I = {mi:4.1f} nats: separable {row['separable']:.3f}, concat {row['concat']:.3f}, "
              f"optimal critic {row['optimal']:.3f}, log N = {math.log(BATCH):.3f}", flush=True)
    write(rows, traces, steps, " ".join(sys.argv[1:]))


def summary(rows: list[dict]) -> str:
    """The sentence that reads the table: tracking at the smallest MI, saturation at the largest."""
    low, high = rows[0], rows[-1]
    best = max(low["separable"], low["concat"])
    top = max(high["separable"], high["concat"])
    return (f"At {low['true']:g} nats the trained critics reach {best:.2f} nats, {low['true'] - best:.2f} below the truth and "
            f"{low['optimal'] - best:.2f} below the best the bound allows at N = {BATCH} ({low['optimal']:.2f}); at "
            f"{high['true']:g} nats they saturate at {top:.2f}, just below log N = {math.log(BATCH):.2f}: InfoNCE cannot "
            f"certify more than log N nats however good the critic.")


def write(rows: list[dict], traces: dict, steps: int, argv: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import atomic_write_text, save_figure

    log_n = math.log(BATCH)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    truth = [r["true"] for r in rows]
    ax.plot(truth, truth, "k--", label="true I(X; Y)")
    ax.axhline(log_n, color="grey", linestyle=":", label=f"log N = {log_n:.2f}")
    ax.plot(truth, [r["optimal"] for r in rows], "o-", label="optimal critic")
    for name in ("separable", "concat"):
        ax.plot(truth, [r[name] for r in rows], "s-", label=f"{name} critic (trained)")
    ax.set_xlabel("true I(X; Y), nats")
    ax.set_ylabel("I_NCE estimate, nats")
    ax.set_title(f"InfoNCE bound, d = {DIM}, N = {BATCH}", fontsize=10)
    ax.legend(fontsize=8)
    for (mi, name), est in traces.items():
        if name == "separable":
            smooth = np.convolve(est, np.ones(50) / 50, mode="valid")
            line, = bx.plot(smooth, linewidth=1, label=f"I = {mi:g}")
            bx.axhline(min(mi, 20), color=line.get_color(), linestyle="--", linewidth=0.6)
    bx.axhline(log_n, color="grey", linestyle=":")
    bx.set_ylim(0, max(r["true"] for r in rows) + 0.5)
    bx.set_xlabel("training step")
    bx.set_ylabel("I_NCE (separable critic, 50-step mean)")
    bx.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, ROOT / "docs" / "figures" / "infonce_gaussian.png")
    lines = [
        "# InfoNCE lower bound on correlated Gaussians", "",
        f"Command: `{' '.join(['python benchmarks/infonce_gaussian.py', argv]).strip()}`", "",
        f"x ~ N(0, I_{DIM}), y = rho x + sqrt(1 - rho^2) e, so I(X; Y) = -(d/2) log(1 - rho^2) nats (Poole et al., ICML 2019). "
        f"Critics trained by maximising I_NCE = log N - L_N with Adam (lr 5e-4) on {steps} fresh batches of N = {BATCH} pairs; "
        "the estimate is the median of the last 500 steps. The optimal critic log p(y|x)/p(y) gives the largest value the bound "
        f"can take at this N; no critic can exceed log N = {log_n:.3f} nats.", "",
        "| true I (nats) | separable critic | concat critic | optimal critic | log N |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['true']:g} | {r['separable']:.3f} | {r['concat']:.3f} | {r['optimal']:.3f} | {log_n:.3f} |" for r in rows]
    lines += ["", summary(rows), "", "![InfoNCE estimates against the truth](figures/infonce_gaussian.png)", ""]
    atomic_write_text(ROOT / "docs" / "infonce_gaussian.md", "\n".join(lines))
    print(f"wrote {ROOT / 'docs' / 'infonce_gaussian.md'}")


if __name__ == "__main__":
    main()
