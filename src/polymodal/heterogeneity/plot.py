"""A heterogeneity heatmap with the dendrogram of its clustering."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from polymodal.heterogeneity.grouping import format_groups
from polymodal.heterogeneity.measure import HeterogeneityResult
from polymodal.io import save_figure


def plot_heterogeneity(result: HeterogeneityResult, path: str | Path, title: str = "heterogeneity") -> Path:
    """Write a PNG: the dendrogram on top, the symmetric matrix below in dendrogram order, values in bits."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    k = len(result.names)
    size = 1.6 + 0.55 * k
    fig, (top, ax) = plt.subplots(2, 1, figsize=(size + 1.2, size + 1.4), gridspec_kw={"height_ratios": [1, 3]})
    tree = dendrogram(result.linkage, labels=result.names, ax=top, color_threshold=0, above_threshold_color="0.3")
    top.set_ylabel("merge (bits)")
    for side in ("top", "right", "bottom"):
        top.spines[side].set_visible(False)
    order = tree["leaves"]
    m = result.matrix[np.ix_(order, order)]
    image = ax.imshow(m, cmap="magma_r", vmin=0)
    names = [result.names[i] for i in order]
    ax.set_xticks(range(k), names, rotation=45 if k > 6 else 0, ha="right" if k > 6 else "center")
    ax.set_yticks(range(k), names)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if m[i, j] > 0.6 * max(m.max(), 1e-12) else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="heterogeneity (bits)")
    top.set_title(f"{title}\ngroups: {format_groups(result.groups)}", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)
