"""The imputer against the closed-form R^2 of a linear model with noise."""

import pytest
import torch

from polymodal.models.imputer import TranslationImputer
from polymodal.robustness.impute import train_imputer, translation_r2


def test_linear_imputer_reaches_the_known_r2_of_b_equals_wa_plus_noise():
    g = torch.Generator().manual_seed(0)
    n, d_a, d_b, sigma = 6000, 5, 3, 0.5
    w = torch.randn(d_b, d_a, generator=g)
    a = torch.randn(n, d_a, generator=g)
    b = a @ w.T + sigma * torch.randn(n, d_b, generator=g)
    # With A ~ N(0, I): Var(B) summed over dimensions = tr(W W^T) + d_b sigma^2, the best predictor explains tr(W W^T)
    known = float(torch.trace(w @ w.T) / (torch.trace(w @ w.T) + d_b * sigma**2))
    imputer = TranslationImputer({"a": d_a, "b": d_b}, hidden_dim=0)
    train_imputer(imputer, {"a": a[:4000], "b": b[:4000]}, epochs=60, lr=1e-2, seed=0)
    r2 = translation_r2(imputer, {"a": a[4000:], "b": b[4000:]})
    assert r2["a->b"] == pytest.approx(known, abs=0.02)
    # the reverse direction: regress A on B; its known R^2 follows from the joint covariance
    cov_ab, cov_bb = w.T, w @ w.T + sigma**2 * torch.eye(d_b)
    known_rev = float(torch.trace(cov_ab @ torch.linalg.solve(cov_bb, cov_ab.T)) / d_a)
    assert r2["b->a"] == pytest.approx(known_rev, abs=0.02)


def test_an_imputer_ignores_the_target_itself_and_the_absent_sources():
    imputer = TranslationImputer({"a": 3, "b": 2, "c": 4}, hidden_dim=8)
    x = {m: torch.randn(5, d) for m, d in imputer.dims.items()}
    masks = {"a": torch.ones(5, dtype=torch.bool), "b": torch.zeros(5, dtype=torch.bool), "c": torch.ones(5, dtype=torch.bool)}
    out = imputer(x, masks)
    changed = {**x, "a": torch.randn(5, 3), "b": torch.randn(5, 2)}
    assert torch.equal(imputer(changed, masks)["a"], out["a"])  # a predicted without a itself
    assert torch.equal(imputer({**x, "b": torch.randn(5, 2)}, masks)["c"], out["c"])  # b absent: not read
