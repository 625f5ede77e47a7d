"""Linear CCA against the closed form, scikit-learn's CCA, and its special cases."""

import numpy as np
import pytest
from scipy import linalg
from sklearn.cross_decomposition import CCA as SklearnCCA

from polymodal.coordination.cca import CCA, pearson_columns
from polymodal.errors import ConfigError, ShapeError


def _views(n=500, d1=6, d2=5, rhos=(0.9, 0.6, 0.3), seed=0):
    """Views sharing three latents with decreasing weight, plus noise, then mixed."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(rhos)))
    x = rng.standard_normal((n, d1))
    y = rng.standard_normal((n, d2))
    for j, r in enumerate(rhos):
        x[:, j] = np.sqrt(r) * z[:, j] + np.sqrt(1 - r) * x[:, j]
        y[:, j] = np.sqrt(r) * z[:, j] + np.sqrt(1 - r) * y[:, j]
    return x @ rng.standard_normal((d1, d1)), y @ rng.standard_normal((d2, d2))


def _closed_form(x, y, k, r=0.0):
    """Whitened cross-covariance SVD with Cholesky whitening (a different square root)."""
    xc, yc = x - x.mean(0), y - y.mean(0)
    n = len(x) - 1
    l1 = linalg.cholesky(xc.T @ xc / n + r * np.eye(x.shape[1]), lower=True)
    l2 = linalg.cholesky(yc.T @ yc / n + r * np.eye(y.shape[1]), lower=True)
    t = linalg.solve_triangular(l1, linalg.solve_triangular(l2, (xc.T @ yc / n).T, lower=True).T, lower=True)
    u, s, vt = np.linalg.svd(t)
    return s[:k], linalg.solve_triangular(l1.T, u[:, :k]), linalg.solve_triangular(l2.T, vt[:k].T)


@pytest.mark.parametrize("ridge", [0.0, 0.5])
def test_matches_closed_form(ridge):
    x, y = _views()
    cca = CCA(n_components=3, ridge=ridge).fit([x, y])
    rho, a, b = _closed_form(x, y, 3, ridge)
    np.testing.assert_allclose(cca.correlations_, rho, rtol=1e-10)
    # the same directions up to sign
    signs = np.sign((cca.weights_[0] * a).sum(0))
    np.testing.assert_allclose(cca.weights_[0], a * signs, atol=1e-9)
    np.testing.assert_allclose(cca.weights_[1], b * signs, atol=1e-9)


def test_constraints_hold_and_training_score_is_the_correlations():
    x, y = _views()
    cca = CCA(n_components=3).fit({"a": x, "b": y})
    za, zb = cca.transform({"a": x, "b": y})
    n = len(x) - 1
    np.testing.assert_allclose(za.T @ za / n, np.eye(3), atol=1e-9)
    np.testing.assert_allclose(zb.T @ zb / n, np.eye(3), atol=1e-9)
    np.testing.assert_allclose(za.T @ zb / n, np.diag(cca.correlations_), atol=1e-9)
    np.testing.assert_allclose(cca.score([x, y]), cca.correlations_, rtol=1e-10)


def test_recovers_the_population_correlations():
    x, y = _views(n=20000, seed=2)
    np.testing.assert_allclose(CCA(n_components=3).fit([x, y]).correlations_, [0.9, 0.6, 0.3], atol=0.03)


def test_equals_scikit_learn_up_to_sign():
    x, y = _views(n=2000, seed=1)
    ours = CCA(n_components=3).fit([x, y])
    ref = SklearnCCA(n_components=3, scale=False, max_iter=20000, tol=1e-12).fit(x, y)
    ra, rb = ref.transform(x, y)
    oa, ob = ours.transform([x, y])
    for j in range(3):
        assert abs(np.corrcoef(ra[:, j], oa[:, j])[0, 1]) > 1 - 1e-6
        assert abs(np.corrcoef(rb[:, j], ob[:, j])[0, 1]) > 1 - 1e-6
    np.testing.assert_allclose(ours.correlations_, pearson_columns(ra, rb), rtol=1e-6)


def test_large_ridge_tends_to_the_cross_covariance_svd():
    """r -> infinity turns the whitening into a scaling: the directions of PLS-SVD."""
    x, y = _views()
    cca = CCA(n_components=2, ridge=1e8).fit([x, y])
    xc, yc = x - x.mean(0), y - y.mean(0)
    u, _, vt = np.linalg.svd(xc.T @ yc / (len(x) - 1))
    a = cca.weights_[0] / np.linalg.norm(cca.weights_[0], axis=0)
    assert np.allclose(np.abs(a.T @ u[:, :2]), np.eye(2), atol=1e-5)


def test_ridge_makes_underdetermined_problems_solvable():
    x, y = _views(n=20, d1=30, d2=25)  # fewer samples than features
    with pytest.raises(ConfigError, match="covariance of view 0 is singular.*ridge > 0"):
        CCA(n_components=2).fit([x, y])
    rho = CCA(n_components=2, ridge=1.0).fit([x, y]).correlations_
    assert np.all((rho > 0) & (rho < 1))


def test_errors():
    x, y = _views()
    with pytest.raises(ConfigError, match="n_components"):
        CCA(n_components=9).fit([x, y])
    with pytest.raises(ShapeError, match="different numbers of samples"):
        CCA().fit([x, y[:-1]])
    with pytest.raises(ShapeError, match="exactly two views"):
        CCA().fit([x])
    with pytest.raises(ConfigError, match="not fitted"):
        CCA().transform([x, y])
    with pytest.raises(ShapeError, match="view 1 has 4 features; the CCA was fitted on 5"):
        CCA().fit([x, y]).transform([x, y[:, :4]])
    with pytest.raises(ConfigError, match="ridge"):
        CCA(ridge=-1).fit([x, y])
    with pytest.raises(ShapeError, match="NaN"):
        CCA().fit([x * np.nan, y])
