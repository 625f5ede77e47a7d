"""The Deep CCA objective against scipy's matrix square root, linear CCA and finite differences."""

import numpy as np
import pytest
import torch
from scipy import linalg

from polymodal.coordination.cca import CCA
from polymodal.coordination.deep_cca_loss import DeepCCALoss, deep_cca_terms
from polymodal.errors import ConfigError, ShapeError


def _outputs(n=200, o1=6, o2=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 3, generator=g, dtype=torch.float64)
    h1 = torch.cat([z, torch.randn(n, o1 - 3, generator=g, dtype=torch.float64)], 1) @ torch.randn(o1, o1, generator=g, dtype=torch.float64)
    h2 = torch.cat([z + 0.7 * torch.randn(n, 3, generator=g, dtype=torch.float64),
                    torch.randn(n, o2 - 3, generator=g, dtype=torch.float64)], 1)
    return h1, h2


def _trace_norm_reference(h1, h2, r1, r2):
    """trace((T^T T)^{1/2}) with T built from scipy's symmetric matrix square roots."""
    x, y = h1.numpy(), h2.numpy()
    x, y = x - x.mean(0), y - y.mean(0)
    n = len(x) - 1
    s11 = x.T @ x / n + r1 * np.eye(x.shape[1])
    s22 = y.T @ y / n + r2 * np.eye(y.shape[1])
    t = linalg.inv(linalg.sqrtm(s11)) @ (x.T @ y / n) @ linalg.inv(linalg.sqrtm(s22))
    return float(np.trace(linalg.sqrtm(t.T @ t)).real), t


def test_trace_norm_matches_matrix_square_root_and_is_not_the_elementwise_root():
    h1, h2 = _outputs()
    h2 = h2 @ torch.randn(5, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    got = deep_cca_terms(h1, h2, r1=1e-4, r2=1e-3)
    want, t = _trace_norm_reference(h1, h2, 1e-4, 1e-3)
    assert float(got["correlation"]) == pytest.approx(want, rel=1e-9)
    elementwise = float(np.sqrt(t.T @ t + 0j).trace().real)  # the known bug: trace of element-wise roots
    assert abs(float(got["correlation"]) - elementwise) > 0.05


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_equals_linear_cca_with_the_same_ridge(k):
    h1, h2 = _outputs()
    got = float(deep_cca_terms(h1, h2, k=k, r1=0.01, r2=0.02)["correlation"])
    cca = CCA(n_components=k, ridge=(0.01, 0.02)).fit([h1.numpy(), h2.numpy()])
    assert got == pytest.approx(cca.correlations_.sum(), rel=1e-10)


def test_perfectly_related_views_have_correlation_equal_to_the_dimension():
    h1, _ = _outputs(o1=4)
    h2 = h1 @ torch.randn(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    assert float(deep_cca_terms(h1, h2, r1=0, r2=0)["correlation"]) == pytest.approx(4.0, abs=1e-9)


def test_gradient_matches_finite_differences():
    h1, h2 = _outputs(n=30, o1=4, o2=3)
    h1.requires_grad_(True)
    h2.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: deep_cca_terms(a, b, r1=1e-2, r2=1e-2)["loss"], (h1, h2))
    assert torch.autograd.gradcheck(lambda a, b: deep_cca_terms(a, b, k=2, r1=1e-2, r2=1e-2)["loss"], (h1, h2))


def test_small_batch_is_regularised_or_refused_never_nan():
    h1 = torch.randn(5, 10, requires_grad=True)
    h2 = torch.randn(5, 8, requires_grad=True)
    loss = DeepCCALoss(r1=1e-3, r2=1e-3)(h1, h2)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(h1.grad).all() and torch.isfinite(h2.grad).all()
    with pytest.raises(ConfigError, match="batch of 5 samples.*ridge r > 0"):
        deep_cca_terms(h1, h2, r1=0, r2=0)


def test_float32_inputs_and_constant_outputs():
    h1, h2 = _outputs()
    terms = deep_cca_terms(h1.float(), h2.float(), k=3)
    assert terms["loss"].dtype == torch.float32
    # a dead (constant) unit makes S11 singular without a ridge
    dead = h1.clone()
    dead[:, 0] = 1.0
    with pytest.raises(ConfigError, match="view 1 is not positive definite"):
        deep_cca_terms(dead, h2, r1=0, r2=0)
    assert torch.isfinite(deep_cca_terms(dead, h2)["loss"])


def test_errors():
    h1, h2 = _outputs()
    with pytest.raises(ShapeError, match="paired"):
        deep_cca_terms(h1, h2[:-1])
    with pytest.raises(ConfigError, match="k must be"):
        deep_cca_terms(h1, h2, k=6)
    with pytest.raises(ConfigError, match="non-negative"):
        deep_cca_terms(h1, h2, r1=-1)


def test_nan_inputs_are_named_not_blamed_on_collinearity():
    h1, h2 = torch.randn(20, 3, dtype=torch.float64), torch.randn(20, 3, dtype=torch.float64)
    h2[4, 1] = float("nan")
    with pytest.raises(ShapeError, match="h2 has NaN or infinite values \\(first at row 4\\)"):
        deep_cca_terms(h1, h2)
