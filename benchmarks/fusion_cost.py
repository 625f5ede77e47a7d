"""Cost of tensor fusion against low-rank fusion as the modalities grow.

For M = 2 and 3 modalities of size d each (d = 16 .. 256), measures one forward and backward
pass of a batch (median over repetitions) and the peak memory it takes (parameters, gradients
and activations: the peak resident set size above the process's size before the fusion was
built; each configuration runs in a fresh process). Tensor fusion costs grow with
prod_m (d_m + 1), low-rank fusion's with sum_m d_m; the script fits the log-log slope of each
against sum_m d_m and checks that low-rank stays linear (slope below 1.3) at the larger sizes.

Usage: python benchmarks/fusion_cost.py [--quick]
Writes docs/fusion_cost.md and docs/figures/fusion_cost.png.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIM, RANK, BATCH = 16, 4, 64
SIZES = (16, 32, 64, 128, 256)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def worker(method: str, m: int, d: int, repeats: int) -> dict:
    """Time and peak memory of one configuration, in this process."""
    import torch

    from polymodal.fusion import LowRankFusion, TensorFusion

    torch.manual_seed(0)
    torch.set_num_threads(1)
    dims = {f"m{i}": d for i in range(m)}
    x = {k: torch.randn(BATCH, v) for k, v in dims.items()}
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current size
    before = _status_kib("VmRSS")
    fusion = TensorFusion(dims, OUTPUT_DIM) if method == "tensor" else LowRankFusion(dims, OUTPUT_DIM, rank=RANK)
    times = []
    for i in range(repeats + 2):  # two warm-up passes
        fusion.zero_grad(set_to_none=False)
        start = time.perf_counter()
        fusion(x).pow(2).sum().backward()
        if i >= 2:
            times.append(time.perf_counter() - start)
    peak = _status_kib("VmHWM")
    return {"time_ms": 1e3 * statistics.median(times), "peak_mib": (peak - before) / 1024,
            "parameters": sum(p.numel() for p in fusion.parameters())}


def measure(method: str, m: int, d: int, repeats: int) -> dict:
    """Run :func:`worker` in a fresh process; a tensor fusion over the size limit is reported as such."""
    weights = math.prod([d + 1] * m) * OUTPUT_DIM
    if method == "tensor":
        from polymodal.fusion.tensor import MAX_TENSOR_PARAMETERS
        if weights > MAX_TENSOR_PARAMETERS:
            return {"time_ms": None, "peak_mib": None, "parameters": weights + OUTPUT_DIM}
    out = subprocess.run([sys.executable, __file__, "--worker", method, str(m), str(d), str(repeats)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = [math.log(v) for v in xs], [math.log(v) for v in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repetitions (a smoke test)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, m, d, repeats = args.worker
        print(json.dumps(worker(method, int(m), int(d), int(repeats))))
        return 0
    sizes, repeats = ((16, 32, 64), 3) if args.quick else (SIZES, 15)
    rows = []
    for m in (2, 3):
        for d in sizes:
            tensor, low = measure("tensor", m, d, repeats), measure("low-rank", m, d, repeats)
            rows.append({"M": m, "d": d, "tensor": tensor, "low-rank": low})
            t = "too large" if tensor["time_ms"] is None else f"{tensor['time_ms']:.2f} ms"
            print(f"M={m} d={d:4d}  tensor {t:>12}  low-rank {low['time_ms']:.2f} ms", flush=True)
    verdicts, large = [], sizes[len(sizes) // 2]
    for m in (2, 3):
        sub = [r for r in rows if r["M"] == m and r["d"] >= large]
        lr_slope = slope([m * r["d"] for r in sub], [r["low-rank"]["time_ms"] for r in sub])
        ok = [r for r in rows if r["M"] == m and r["tensor"]["time_ms"] is not None and r["d"] >= 32]
        t_slope = slope([m * r["d"] for r in ok], [r["tensor"]["time_ms"] for r in ok]) if len(ok) > 1 else float("nan")
        verdicts.append((m, lr_slope, t_slope))
    table = ["| M | d | sum d | prod (d+1) | tensor params | tensor time (ms) | tensor peak (MiB) | "
             "low-rank params | low-rank time (ms) | low-rank peak (MiB) | time ratio |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t, lo = r["tensor"], r["low-rank"]
        fmt = lambda v, f: "–" if v is None else format(v, f)  # noqa: E731
        ratio = "–" if t["time_ms"] is None else f"{t['time_ms'] / lo['time_ms']:.1f}"
        table.append(f"| {r['M']} | {r['d']} | {r['M'] * r['d']} | {(r['d'] + 1) ** r['M']:,} | {t['parameters']:,} | "
                     f"{fmt(t['time_ms'], '.2f')} | {fmt(t['peak_mib'], '.1f')} | {lo['parameters']:,} | "
                     f"{lo['time_ms']:.2f} | {lo['peak_mib']:.1f} | {ratio} |")
    lines = [f"- M = {m}: time grows as (sum d)^{ls:.2f} for low-rank fusion and (sum d)^{ts:.2f} for tensor fusion "
             f"(log-log slopes; d >= {large} for low-rank, d >= 32 for tensor)." for m, ls, ts in verdicts]
    linear = all(ls < 1.3 for _, ls, _ in verdicts)
    command = "python benchmarks/fusion_cost.py" + (" --quick" if args.quick else "")
    doc = (
        "# Tensor fusion against low-rank fusion: cost as the modalities grow\n\n"
        f"Command: `{command}`. One forward and backward pass of a batch of {BATCH}, output size {OUTPUT_DIM}, "
        f"rank {RANK}, one thread; time: median of {repeats} passes; peak: the resident set size above the "
        "process's size before the fusion was built (weights, gradients, activations), each configuration in "
        "a fresh process. Shared 2-core machine: compare within the table. \"–\": tensor fusion would exceed "
        "the 50 million weights that `TensorFusion` accepts.\n\n"
        + "\n".join(table) + "\n\n" + "\n".join(lines) + "\n\n"
        + ("Low-rank fusion stays linear in sum(d_m); " if linear else "**Low-rank fusion is not linear here**; ")
        + "tensor fusion grows with prod(d_m + 1).\n\n![cost](figures/fusion_cost.png)\n"
    )
    plot(rows, ROOT / "docs" / "figures" / "fusion_cost.png")
    from polymodal.io import atomic_write_text
    atomic_write_text(ROOT / "docs" / "fusion_cost.md", doc)
    print("\n".join(lines))
    print("wrote docs/fusion_cost.md and docs/figures/fusion_cost.png")
    return 0 if linear else 1


def plot(rows: list[dict], path: Path) -> None:
    """Time and peak memory against sum(d_m), log-log, one line per method and M."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import atomic_write

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, label in zip(axes, ("time_ms", "peak_mib"), ("forward + backward (ms)", "peak memory (MiB)")):
        for method, color in (("tensor", "tab:red"), ("low-rank", "tab:blue")):
            for m, style in ((2, "-o"), (3, "--s")):
                pts = [(r["M"] * r["d"], r[method][key]) for r in rows if r["M"] == m and r[method][key] is not None]
                pts = [(x, max(y, 1e-3)) for x, y in pts]
                if pts:
                    ax.plot(*zip(*pts), style, color=color, label=f"{method}, M={m}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sum of modality sizes")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.suptitle("tensor fusion grows with prod(d_m + 1), low-rank with sum(d_m)")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
