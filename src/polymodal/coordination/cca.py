"""Linear canonical correlation analysis (Hotelling 1936) as a scikit-learn style estimator.

CCA finds directions ``a_k, b_k`` maximising ``corr(X a_k, Y b_k)`` subject to
``a_k^T S11 a_j = b_k^T S22 b_j = delta_kj``. With the regularised covariances
``S11 = X^T X / (N - 1) + r1 I`` and ``S22 = Y^T Y / (N - 1) + r2 I`` (centred views), the
solution is the SVD of the whitened cross-covariance

    T = S11^{-1/2} S12 S22^{-1/2} = U diag(rho) V^T,   A = S11^{-1/2} U_k,   B = S22^{-1/2} V_k,

and ``rho_1 >= rho_2 >= ...`` are the canonical correlations. ``ridge=0`` is classical CCA;
a ridge ``r > 0`` is regularised (ridge) CCA (Vinod 1976), needed when ``N <= d``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import linalg
from sklearn.base import BaseEstimator

from polymodal.errors import ConfigError, ShapeError

Views = Sequence[np.ndarray] | Mapping[str, np.ndarray]


def as_two_views(views: Views) -> tuple[np.ndarray, np.ndarray]:
    """Two ``(N, d_m)`` float64 arrays from a pair or a dict of two views (in insertion order).

    Raises:
        ShapeError: not exactly two views, not 2-d, or different numbers of samples.
    """
    arrays = list(views.values()) if isinstance(views, Mapping) else list(views)
    names = list(views) if isinstance(views, Mapping) else ["view 0", "view 1"]
    if len(arrays) != 2:
        raise ShapeError(f"CCA takes exactly two views, got {len(arrays)}")
    out = []
    for name, x in zip(names, arrays):
        x = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
        if x.ndim != 2:
            raise ShapeError(f"{name}: expected an (N, d) matrix, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ShapeError(f"{name}: contains NaN or infinite values")
        out.append(x)
    if len(out[0]) != len(out[1]):
        raise ShapeError(f"views have different numbers of samples: {len(out[0])} and {len(out[1])}; rows must be paired")
    return out[0], out[1]


def inverse_sqrt(cov: np.ndarray, name: str) -> np.ndarray:
    """``cov^{-1/2}`` of a symmetric positive definite matrix, by its eigendecomposition.

    Raises:
        ConfigError: ``cov`` is singular or nearly so (condition number above 1e12).
    """
    w, v = linalg.eigh(cov)
    if w[0] <= w[-1] * 1e-12 or w[-1] <= 0:
        raise ConfigError(
            f"the covariance of {name} is singular (smallest eigenvalue {w[0]:.3g}, largest {w[-1]:.3g}); "
            "use more samples than features or a ridge > 0"
        )
    return (v / np.sqrt(w)) @ v.T


class CCA(BaseEstimator):
    """Linear (ridge) CCA of two views.

    Args:
        n_components: number of canonical pairs ``k`` kept (at most ``min(d1, d2)``).
        ridge: ``r`` added to the diagonal of both views' covariances, or a pair ``(r1, r2)``.

    Attributes (after :meth:`fit`):
        mean_: pair of ``(d_m,)`` view means.
        weights_: pair ``A (d1, k)``, ``B (d2, k)``.
        correlations_: ``(k,)`` canonical correlations on the training data, in decreasing order.

    Example:
        >>> cca = CCA(n_components=2).fit([X, Y])
        >>> za, zb = cca.transform([X_test, Y_test])   # (N, 2) each
        >>> cca.score([X_test, Y_test])                # (2,) test correlations
    """

    def __init__(self, n_components: int = 2, ridge: float | tuple[float, float] = 0.0) -> None:
        self.n_components = n_components
        self.ridge = ridge

    def _ridges(self) -> tuple[float, float]:
        r = self.ridge if isinstance(self.ridge, (tuple, list)) else (self.ridge, self.ridge)
        if len(r) != 2 or any(not np.isfinite(v) or v < 0 for v in r):
            raise ConfigError(f"ridge must be a non-negative number or a pair of them, got {self.ridge}")
        return float(r[0]), float(r[1])

    def fit(self, views: Views, y: object = None) -> "CCA":
        """Fit on paired views ``[X (N, d1), Y (N, d2)]``; returns ``self``."""
        x, yv = as_two_views(views)
        k = self.n_components
        if int(k) != k or not 1 <= k <= min(x.shape[1], yv.shape[1]):
            raise ConfigError(f"n_components must be an integer in [1, min(d1, d2) = {min(x.shape[1], yv.shape[1])}], got {k}")
        if len(x) < 2:
            raise ShapeError(f"CCA needs at least 2 samples, got {len(x)}")
        r1, r2 = self._ridges()
        self.mean_ = (x.mean(0), yv.mean(0))
        xc, yc = x - self.mean_[0], yv - self.mean_[1]
        n = len(x) - 1
        w1 = inverse_sqrt(xc.T @ xc / n + r1 * np.eye(x.shape[1]), "view 0")
        w2 = inverse_sqrt(yc.T @ yc / n + r2 * np.eye(yv.shape[1]), "view 1")
        u, s, vt = linalg.svd(w1 @ (xc.T @ yc / n) @ w2)
        a, b = w1 @ u[:, :k], w2 @ vt[:k].T
        # deterministic signs: the largest-magnitude weight of each view-0 direction is positive
        sign = np.sign(a[np.abs(a).argmax(0), np.arange(k)])
        self.weights_ = (a * sign, b * sign)
        self.correlations_ = s[:k]
        return self

    def transform(self, views: Views) -> tuple[np.ndarray, np.ndarray]:
        """Project paired views: ``[(N, d1), (N, d2)] -> ((N, k), (N, k))``."""
        if not hasattr(self, "weights_"):
            raise ConfigError("this CCA is not fitted yet; call fit(views) first")
        x, yv = as_two_views(views)
        for i, (v, w) in enumerate(zip((x, yv), self.weights_)):
            if v.shape[1] != w.shape[0]:
                raise ShapeError(f"view {i} has {v.shape[1]} features; the CCA was fitted on {w.shape[0]}")
        return (x - self.mean_[0]) @ self.weights_[0], (yv - self.mean_[1]) @ self.weights_[1]

    def fit_transform(self, views: Views, y: object = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`fit` then :meth:`transform` on the same views."""
        return self.fit(views).transform(views)

    def score(self, views: Views, y: object = None) -> np.ndarray:
        """``(k,)`` Pearson correlations between the paired projections of ``views``.

        On the training data (with ``ridge=0``) these are :attr:`correlations_`; on held-out
        data they are the test canonical correlations, with the directions fitted on training.
        """
        za, zb = self.transform(views)
        return pearson_columns(za, zb)


def pearson_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of column ``j`` of ``a`` with column ``j`` of ``b``: ``(N, k), (N, k) -> (k,)``.

    A constant column has correlation 0.
    """
    a = a - a.mean(0)
    b = b - b.mean(0)
    denom = np.sqrt((a * a).sum(0) * (b * b).sum(0))
    return np.divide((a * b).sum(0), denom, out=np.zeros(a.shape[1]), where=denom > 0)
