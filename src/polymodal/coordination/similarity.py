"""Similarity functions between two sets of embeddings: ``(N, D) x (M, D) -> (N, M)``.

Strong coordination ties paired representations with a similarity (Baltrusaitis et al.,
"Multimodal Machine Learning: A Survey and Taxonomy", TPAMI 2019, Sec. 4.2). Each similarity
here is a callable ``sim(a, b)`` returning the matrix ``S[i, j] = s(a_i, b_j)``, computed
without loops, and says by :attr:`Similarity.higher_is_closer` which direction means closer.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from polymodal.errors import ConfigError, ShapeError


class Similarity:
    """Base class: ``__call__(a (N, D), b (M, D)) -> (N, M)``.

    Attributes:
        name: registry name.
        higher_is_closer: ``True`` for similarities and kernels, ``False`` for distances.
    """

    name = "similarity"
    higher_is_closer = True

    def __call__(self, a: Tensor, b: Tensor) -> Tensor:
        """``S[i, j] = s(a_i, b_j)``: ``(N, D), (M, D) -> (N, M)``."""
        if a.dim() != 2 or b.dim() != 2:
            raise ShapeError(f"{self.name}: a and b must be (N, D) and (M, D) matrices, got shapes {tuple(a.shape)} and {tuple(b.shape)}")
        if a.shape[1] != b.shape[1]:
            raise ShapeError(f"{self.name}: a has {a.shape[1]} features and b has {b.shape[1]}; embeddings must have the same size")
        return self.matrix(a, b)

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


class DotProduct(Similarity):
    """``s(a, b) = a^T b``."""

    name = "dot"

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        return a @ b.T


class CosineSimilarity(Similarity):
    """``s(a, b) = a^T b / (max(||a||, eps) max(||b||, eps))``, in ``[-1, 1]``."""

    name = "cosine"

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        na = a.norm(dim=1, keepdim=True).clamp_min(self.eps)
        nb = b.norm(dim=1, keepdim=True).clamp_min(self.eps)
        return (a / na) @ (b / nb).T


class EuclideanDistance(Similarity):
    """``d(a, b) = ||a - b||_2`` (a distance: lower is closer)."""

    name = "euclidean"
    higher_is_closer = False

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        return torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


class LinearKernel(Similarity):
    """``k(a, b) = a^T b + c``."""

    name = "linear"

    def __init__(self, c: float = 0.0) -> None:
        self.c = c

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        return a @ b.T + self.c


class PolynomialKernel(Similarity):
    """``k(a, b) = (gamma a^T b + c)^degree``."""

    name = "polynomial"

    def __init__(self, degree: int = 2, gamma: float = 1.0, c: float = 1.0) -> None:
        if int(degree) != degree or degree < 1:
            raise ConfigError(f"polynomial kernel: degree must be a positive integer, got {degree}")
        self.degree, self.gamma, self.c = int(degree), gamma, c

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        return (self.gamma * (a @ b.T) + self.c) ** self.degree


def _positive(name: str, value: float) -> float:
    if not value > 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return float(value)


class RBFKernel(Similarity):
    """Gaussian kernel ``k(a, b) = exp(-||a - b||^2 / (2 sigma^2))``."""

    name = "rbf"

    def __init__(self, sigma: float = 1.0) -> None:
        self.sigma = _positive("rbf kernel: sigma", sigma)

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        sq = torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist") ** 2
        return torch.exp(-sq / (2 * self.sigma**2))


class LaplacianKernel(Similarity):
    """Exponential (Laplacian) kernel ``k(a, b) = exp(-||a - b||_1 / sigma)``."""

    name = "laplacian"

    def __init__(self, sigma: float = 1.0) -> None:
        self.sigma = _positive("laplacian kernel: sigma", sigma)

    def matrix(self, a: Tensor, b: Tensor) -> Tensor:
        return torch.exp(-torch.cdist(a, b, p=1) / self.sigma)


SIMILARITIES: dict[str, type[Similarity]] = {
    cls.name: cls
    for cls in (CosineSimilarity, DotProduct, EuclideanDistance, LinearKernel, PolynomialKernel, RBFKernel, LaplacianKernel)
}
SIMILARITIES["exponential"] = LaplacianKernel


def make_similarity(name: str, **options: Any) -> Similarity:
    """The similarity registered as ``name`` (see :data:`SIMILARITIES`), built with ``options``.

    Raises:
        ConfigError: unknown name or invalid option.
    """
    if name not in SIMILARITIES:
        raise ConfigError(f"similarity {name!r} is unknown; choose one of {', '.join(sorted(SIMILARITIES))}")
    try:
        return SIMILARITIES[name](**options)
    except TypeError as exc:
        raise ConfigError(f"similarity {name!r}: {exc}") from None
