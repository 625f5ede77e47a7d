"""Fine-grained fission: clusters discovered inside learned representations.

Each representation (per modality, joint, or any factor) is clustered by k-means or a Gaussian
mixture (scikit-learn); the clusters are scored against the labels by normalised mutual
information and the adjusted Rand index (both 1 for a perfect match, about 0 for chance), and
a 2-D view (PCA or t-SNE) shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

from polymodal.errors import ConfigError, ShapeError

METHODS = ("kmeans", "gmm")
VIEWS = ("pca", "tsne")


def cluster(z: np.ndarray, n_clusters: int, method: str = "kmeans", seed: int = 0) -> np.ndarray:
    """Cluster assignments ``(N,)`` of standardised representations ``z (N, d)``."""
    if method not in METHODS:
        raise ConfigError(f"clustering method {method!r} is unknown; choose {' or '.join(METHODS)}")
    if z.ndim != 2 or len(z) < n_clusters:
        raise ShapeError(f"need an (N, d) representation with N >= n_clusters = {n_clusters}, got shape {z.shape}")
    x = StandardScaler().fit_transform(z)
    if method == "kmeans":
        return KMeans(n_clusters, n_init=10, random_state=seed).fit_predict(x)
    return GaussianMixture(n_clusters, covariance_type="diag", n_init=3, random_state=seed).fit(x).predict(x)


def cluster_scores(reps: Mapping[str, np.ndarray], labels: np.ndarray, n_clusters: int | None = None,
                   method: str = "kmeans", seed: int = 0) -> dict[str, dict[str, float]]:
    """``{representation: {"nmi", "ari"}}`` of clusters found in each representation.

    Args:
        reps: ``{name: (N, d)}``.
        labels: ``(N,)`` classes the clusters are scored against.
        n_clusters: clusters per representation (default: the number of classes).
    """
    labels = np.asarray(labels)
    k = n_clusters or len(np.unique(labels))
    out = {}
    for name, z in reps.items():
        assign = cluster(np.asarray(z), k, method, seed)
        out[name] = {"nmi": float(normalized_mutual_info_score(labels, assign)),
                     "ari": float(adjusted_rand_score(labels, assign))}
    return out


def plot_views(reps: Mapping[str, np.ndarray], labels: np.ndarray, path: str | Path, view: str = "pca",
               seed: int = 0, max_points: int = 2000) -> Path:
    """One 2-D scatter per representation (PCA or t-SNE), coloured by label, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    from polymodal.io import save_figure

    if view not in VIEWS:
        raise ConfigError(f"view {view!r} is unknown; choose {' or '.join(VIEWS)}")
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    keep = rng.permutation(len(labels))[:max_points]
    fig, axes = plt.subplots(1, len(reps), figsize=(3.6 * len(reps), 3.4), squeeze=False)
    for ax, (name, z) in zip(axes[0], reps.items()):
        x = StandardScaler().fit_transform(np.asarray(z)[keep])
        xy = PCA(2, random_state=seed).fit_transform(x) if view == "pca" else \
            TSNE(2, init="pca", random_state=seed, perplexity=min(30, len(x) - 1)).fit_transform(x)
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=labels[keep], cmap="tab10", s=4)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(sc, ax=axes[0, -1], fraction=0.046, label="label")
    fig.tight_layout()
    return save_figure(fig, path)
