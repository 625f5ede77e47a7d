"""Bar charts of PID terms."""

from __future__ import annotations

from pathlib import Path

from polymodal.information.estimate import PIDEstimate

TERMS = (("R", "redundancy"), ("U1", "unique 1"), ("U2", "unique 2"), ("S", "synergy"))


def plot_pid(estimates: dict[str, PIDEstimate], path: str | Path, title: str = "partial information decomposition") -> Path:
    """Grouped bars of R, U1, U2, S (bits), one group per estimate, written atomically as PNG.

    Args:
        estimates: ``{label: estimate}``, e.g. ``{"labels": ..., "model": ...}``.
        path: the PNG file.
        title: the figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from polymodal.io import save_figure

    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(TERMS), 3.6))
    width = 0.8 / max(len(estimates), 1)
    for k, (label, est) in enumerate(estimates.items()):
        values = [est.pid.as_dict()[key] for key, _ in TERMS]
        xs = [i + (k - (len(estimates) - 1) / 2) * width for i in range(len(TERMS))]
        bars = ax.bar(xs, values, width, label=label)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(range(len(TERMS)), [name for _, name in TERMS])
    ax.set_ylabel("bits")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_title(title, fontsize=10)
    if len(estimates) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
