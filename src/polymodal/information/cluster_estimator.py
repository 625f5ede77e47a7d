"""PID of continuous, high-dimensional modalities by discretisation: reduce, cluster, exact PID.

The recipe of Liang et al. ("Quantifying & modeling multimodal interactions", NeurIPS 2023, the
CVX estimator's preprocessing): per modality, L2-normalise each sample, project onto its first
principal components and cluster with k-means; then compute the exact PID
(:func:`polymodal.information.pid`) of the empirical joint of (cluster of X1, cluster of X2, Y).
Every step is an option. A modality with at most ``n_clusters`` distinct values (bits, say) is
used as it is, with one cluster per value.
"""

from __future__ import annotations

import numpy as np

from polymodal.information.distributions import DistributionError, empirical_joint
from polymodal.information.estimate import PIDEstimate, as_features, as_labels
from polymodal.information.pid import pid


def discretize(x: np.ndarray, n_clusters: int = 20, n_components: int | None = 2, normalize: bool = True,
               seed: int = 0) -> np.ndarray:
    """Cluster labels of the samples of one modality.

    Args:
        x: samples, ``(N, D)``.
        n_clusters: k of k-means.
        n_components: principal components kept before clustering (``None``: no projection).
        normalize: L2-normalise each sample first (zero vectors stay zero).
        seed: seed of PCA and k-means.

    Returns:
        ``(N,)`` integer labels; with at most ``n_clusters`` distinct samples, one label per distinct sample.
    """
    distinct, inverse = np.unique(x, axis=0, return_inverse=True)
    if len(distinct) <= n_clusters:
        return inverse.reshape(-1)
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    if normalize:
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    if n_components is not None and n_components < x.shape[1]:
        x = PCA(n_components=n_components, random_state=seed).fit_transform(x)
    return KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit_predict(x)


def cluster_pid(x1, x2, y, n_clusters: int = 20, n_components: int | None = 2, normalize: bool = True,
                seed: int = 0, tol: float = 1e-8) -> PIDEstimate:
    """PID of (X1, X2; Y) from paired samples, by clustering each modality.

    Args:
        x1: samples of modality 1, ``(N, ...)``; x2: samples of modality 2, ``(N, ...)``.
        y: ``(N,)`` integer targets (labels, or a model's predictions for a model PID).
        n_clusters: clusters per modality (the recipe: 20).
        n_components: principal components before clustering (the recipe: 2; ``None``: all).
        normalize: L2-normalise samples before the projection (the recipe: yes).
        seed: seed of PCA and k-means.
        tol: certified gap of the exact PID (bits).

    Returns:
        :class:`PIDEstimate` with ``estimator="cluster"``.
    """
    a, b = as_features(x1, "x1"), as_features(x2, "x2")
    y = as_labels(y, "y")
    if not len(a) == len(b) == len(y):
        raise DistributionError(f"x1, x2 and y need the same number of samples: got {len(a)}, {len(b)} and {len(y)}")
    if n_clusters < 1 or (n_components is not None and n_components < 1):
        raise DistributionError(f"n_clusters and n_components must be positive, got {n_clusters}, {n_components}")
    c1 = discretize(a, n_clusters, n_components, normalize, seed)
    c2 = discretize(b, n_clusters, n_components, normalize, seed)
    result = pid(empirical_joint(c1, c2, y), tol=tol)
    settings = {"n_clusters": n_clusters, "n_components": n_components, "normalize": normalize, "seed": seed,
                "clusters_used": [int(len(np.unique(c1))), int(len(np.unique(c2)))],
                "labels_used": int(len(np.unique(y)))}
    return PIDEstimate(result, "cluster", len(y), settings)
