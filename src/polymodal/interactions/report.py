"""The figure and Markdown summary of ``polymodal interactions``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polymodal.interactions.response_categories import CATEGORIES
from polymodal.io import save_figure


def plot_interactions(result: dict[str, Any], path: str | Path, title: str = "") -> Path:
    """Accuracy against EMAP accuracy, category fractions and PID bars (those present), as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in ("emap", "categories", "pid") if result.get(p)]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.5), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "emap":
            e = result["emap"]
            bars = ax.bar(["model", "EMAP\n(additive)"], [e["model"], e["emap"]], color=["tab:blue", "tab:orange"])
            ax.bar_label(bars, fmt="%.3f", fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_ylabel("accuracy")
            ax.set_title(f"EMAP on {e['samples']} examples: gap {e['gap']:+.3f}", fontsize=9)
        elif panel == "categories":
            c = result["categories"]
            labels = [k.replace("dominance-A", f"dom. {c['A']}").replace("dominance-B", f"dom. {c['B']}") for k in CATEGORIES]
            ax.barh(labels[::-1], [c[k] for k in CATEGORIES][::-1], color="tab:green")
            ax.set_xlim(0, 1)
            ax.set_xlabel("share of examples")
            ax.set_title("response categories", fontsize=9)
        else:
            p = result["pid"]
            keys = ("R", "U1", "U2", "S")
            bars = ax.bar(keys, [p[k] for k in keys], color="tab:purple")
            ax.bar_label(bars, fmt="%.2f", fontsize=8)
            ax.axhline(0, color="black", linewidth=0.6)
            ax.set_ylabel("bits")
            ax.set_title("PID of the model's predictions", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def _emap_method(e: dict[str, Any]) -> str:
    """How the projection was computed (results written before ``exact`` existed say nothing)."""
    if "exact" not in e:
        return ""
    if e["exact"]:
        return f" (exact, {e['evaluations']:,} evaluations)"
    return f" (Monte Carlo, {e['evaluations']:,} evaluations, largest standard error of a logit {e['max_standard_error']:.3g})"


def markdown_report(result: dict[str, Any], title: str) -> str:
    """Markdown summary of :func:`~polymodal.interactions.analyze.analyze_interactions` output."""
    e = result["emap"]
    lines = [f"# {title}", "",
             f"- accuracy on the {result['split']} split ({result['samples']} examples): **{result['accuracy']:.4f}**",
             f"- on {e['samples']} examples: model {e['model']:.4f}, EMAP (best additive approximation) {e['emap']:.4f}, "
             f"gap {e['gap']:+.4f}" + _emap_method(e)]
    if result.get("categories"):
        c = result["categories"]
        lines.append("- response categories: " + ", ".join(
            f"{k.replace('-A', ' ' + c['A']).replace('-B', ' ' + c['B'])} {c[k]:.3f}" for k in CATEGORIES))
    if result.get("pid"):
        p = result["pid"]
        lines.append(f"- PID of the predictions (bits): R {p['R']:.3f}, U1 {p['U1']:.3f}, U2 {p['U2']:.3f}, S {p['S']:.3f}")
    return "\n".join(lines + [""])
