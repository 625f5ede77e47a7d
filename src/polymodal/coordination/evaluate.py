"""Evaluate coordinated representations as the papers do: CCA on training embeddings, applied to test."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.decomposition import PCA

from polymodal.data.padded import flat_features
from polymodal.coordination.cca import CCA
from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.training.complexity import to_device


@torch.inference_mode()
def embed_split(model: torch.nn.Module, split: MultimodalSplit, batch_size: int = 256) -> dict[str, np.ndarray]:
    """``{m: (N, out_dim)}`` representations of every pair of ``split``, in order."""
    model.eval()
    device = next(model.parameters()).device
    parts: dict[str, list[np.ndarray]] = {}
    for batch in batch_loader(split, batch_size):
        for m, z in model(to_device(batch["inputs"], device)).items():
            parts.setdefault(m, []).append(z.double().cpu().numpy())
    return {m: np.concatenate(p) for m, p in parts.items()}


def fit_cca(train: list[np.ndarray], k: int, ridge: float = 1e-6) -> CCA:
    """A linear CCA of the training representations ``[(N, o1), (N, o2)]``, ``k`` capped at ``min(o1, o2)``.

    Its :meth:`CCA.score` on the test representations gives the test correlations as Deep CCA
    (Andrew et al. 2013) and DCCAE (Wang et al. 2015) report them: the directions are never
    refitted on the test set.
    """
    return CCA(n_components=min(k, train[0].shape[1], train[1].shape[1]), ridge=ridge).fit(train)


def raw_views(split: MultimodalSplit, names: list[str]) -> list[np.ndarray]:
    """The two modalities' raw inputs, flattened to ``(N, prod(shape))`` float64 arrays (a sequence:
    its mean and s.d. over the true steps, :func:`~polymodal.data.padded.flat_features`)."""
    return [flat_features(split.modality(n), n).double().numpy() for n in names]


class PCAThenCCA:
    """Linear CCA on raw inputs, each view first reduced by PCA to at most ``pca_dim`` components.

    High-dimensional views (a 112 x 112 spectrogram has 12,544 features) make the covariance
    large and singular; the PCA, fitted on the training split, keeps the problem well posed.

    Args:
        k: canonical pairs.
        ridge: CCA covariance ridge.
        pca_dim: components kept per view (views with fewer features are left as they are).
        seed: seed of the randomized PCA.
    """

    def __init__(self, k: int, ridge: float = 1e-3, pca_dim: int = 100, seed: int = 0) -> None:
        self.k, self.ridge, self.pca_dim, self.seed = k, ridge, pca_dim, seed

    def fit(self, views: list[np.ndarray]) -> "PCAThenCCA":
        """Fit the PCAs and the CCA on ``[(N, d1), (N, d2)]``."""
        self.pcas_ = [PCA(self.pca_dim, random_state=self.seed).fit(v) if v.shape[1] > self.pca_dim else None for v in views]
        reduced = self._reduce(views)
        self.cca_ = CCA(min(self.k, *(r.shape[1] for r in reduced)), self.ridge).fit(reduced)
        return self

    def _reduce(self, views: list[np.ndarray]) -> list[np.ndarray]:
        return [p.transform(v) if p is not None else v for p, v in zip(self.pcas_, views)]

    def transform(self, views: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``[(N, d1), (N, d2)] -> ((N, k), (N, k))`` canonical variates."""
        return self.cca_.transform(self._reduce(views))

    def score(self, views: list[np.ndarray]) -> np.ndarray:
        """``(k,)`` correlations of the canonical variates of ``views``."""
        return self.cca_.score(self._reduce(views))
