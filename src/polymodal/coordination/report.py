"""The figure and the Markdown summary of a ``polymodal coordinate`` run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polymodal.io import save_figure


def plot_coordination(result: dict[str, Any], path: str | Path) -> Path:
    """Test canonical correlations, class-level recall@k by class and the class-shift matrix, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    retrieval = result.get("retrieval")
    shift = result.get("class_shift")
    panels = 1 + (retrieval is not None) + (shift is not None)
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.6), squeeze=False)
    ax = axes[0, 0]
    corr = result["test_correlations"]
    ax.bar(range(1, len(corr) + 1), corr, color="tab:blue")
    ax.set_xlabel("canonical component")
    ax.set_ylabel("test correlation")
    ax.set_ylim(0, 1)
    ax.set_title(f"{result['method']}: total {result['total_test_correlation']:.2f} (k={len(corr)})", fontsize=10)
    col = 1
    if retrieval is not None:
        ax = axes[0, col]
        col += 1
        classes = sorted(retrieval["recall@1_by_class"], key=int)
        xs = np.arange(len(classes))
        for j, k in enumerate(retrieval["ks"]):
            ax.bar(xs + (j - 0.5) * 0.4, [retrieval[f"recall@{k}_by_class"][c] for c in classes], 0.4, label=f"recall@{k}")
        ax.set_xticks(xs, classes)
        ax.set_xlabel("class of the query")
        ax.set_ylim(0, 1)
        ax.set_title(f"{retrieval['query']} query, {retrieval['gallery']} gallery", fontsize=10)
        ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    if shift is not None:
        ax = axes[0, col]
        im = ax.imshow(np.asarray(shift["precision"]), vmin=0, vmax=1, cmap="viridis")
        ax.set_xlabel("target class t")
        ax.set_ylabel("query class s")
        ax.set_title(f"z - mu_s + mu_t: precision@{shift['k']} of class t", fontsize=10)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_figure(fig, path)


def markdown_summary(result: dict[str, Any]) -> str:
    """A short Markdown report of one run."""
    a, b = result["modalities"]
    lines = [
        f"# {result['method']} on {result['dataset']} ({a} & {b})", "",
        f"- total test correlation (top {len(result['test_correlations'])}): **{result['total_test_correlation']:.3f}**",
        f"- test correlations: {', '.join(f'{c:.3f}' for c in result['test_correlations'])}",
    ]
    if "retrieval" in result:
        r = result["retrieval"]
        lines.append(f"- class-level retrieval, {r['query']} query, {r['gallery']} gallery: "
                     + ", ".join(f"recall@{k} {r[f'recall@{k}']:.3f}" for k in r["ks"]))
    if "zero_shot" in result:
        z = result["zero_shot"]
        lines.append(f"- zero-shot {z['query']} accuracy with {z['prototypes']} prototypes, no {z['query']} label used: "
                     f"**{z['accuracy']:.3f}** (a linear probe trained with {z['query']} labels: {z['supervised_probe_accuracy']:.3f})")
    if "zero_shot_text" in result:
        z = result["zero_shot_text"]
        lines.append(f"- zero-shot {z['query']} accuracy with text prompts ({len(z['templates'])} templates, "
                     f"aligned through {z['aligned_through']}): **{z['accuracy']:.3f}**")
    if "class_shift" in result:
        s = result["class_shift"]
        lines.append(f"- embedding arithmetic (z - mu_s + mu_t): precision@{s['k']} of the target class "
                     f"{s['mean_target_precision']:.3f}, of the source class {s['mean_source_precision']:.3f} (chance {s['chance']:.3f})")
    if result.get("skipped"):
        lines += [f"- not evaluated: {reason}" for reason in result["skipped"]]
    lines += ["", f"Parameters: {result['parameters']:,}; training time {result['train_time_s']:.1f} s.", ""]
    return "\n".join(lines)
