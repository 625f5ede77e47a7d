"""Contrastive losses against plain loops over pairs, and the learnable temperature."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from polymodal.coordination.contrastive import (
    LogitScale, InfoNCELoss, MaxMarginLoss, infonce_terms, max_margin_terms,
)
from polymodal.coordination.similarity import make_similarity
from polymodal.errors import ConfigError, ShapeError


def _batch(b=6, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, d, generator=g, dtype=torch.float64), torch.randn(b, d, generator=g, dtype=torch.float64)


def _cos(u, v):
    return float(u @ v) / (float(u.norm()) * float(v.norm()))


def test_infonce_matches_loop():
    za, zb = _batch()
    scale = 3.0
    b = len(za)
    total_ab = total_ba = 0.0
    for i in range(b):
        row = [scale * _cos(za[i], zb[j]) for j in range(b)]
        col = [scale * _cos(za[j], zb[i]) for j in range(b)]
        total_ab += -row[i] + math.log(sum(math.exp(v) for v in row))
        total_ba += -col[i] + math.log(sum(math.exp(v) for v in col))
    terms = infonce_terms(za, zb, scale)
    assert float(terms["loss_a_to_b"]) == pytest.approx(total_ab / b, rel=1e-12)
    assert float(terms["loss_b_to_a"]) == pytest.approx(total_ba / b, rel=1e-12)
    assert float(terms["loss"]) == pytest.approx((total_ab + total_ba) / (2 * b), rel=1e-12)
    assert float(InfoNCELoss()(za, zb, scale)) == float(terms["loss"])


@pytest.mark.parametrize("sim_name", ["cosine", "dot", "euclidean"])
@pytest.mark.parametrize("hardest", [False, True])
def test_max_margin_matches_loop(sim_name, hardest):
    za, zb = _batch(seed=1)
    sim = make_similarity(sim_name)
    s = sim(za, zb)
    s = s if sim.higher_is_closer else -s
    alpha, b = 0.3, len(za)

    def one_way(m):
        per_anchor = []
        for i in range(b):
            hinges = [max(0.0, alpha - float(m[i, i]) + float(m[i, j])) for j in range(b) if j != i]
            per_anchor.append(max(hinges) if hardest else sum(hinges) / len(hinges))
        return sum(per_anchor) / b

    want_ab, want_ba = one_way(s), one_way(s.T)
    terms = max_margin_terms(za, zb, alpha, sim, symmetric=True, hardest=hardest)
    assert float(terms["loss_a_to_b"]) == pytest.approx(want_ab, rel=1e-12, abs=1e-15)
    assert float(terms["loss"]) == pytest.approx((want_ab + want_ba) / 2, rel=1e-12, abs=1e-15)
    one = MaxMarginLoss(alpha, sim, symmetric=False, hardest=hardest)(za, zb)
    assert float(one) == pytest.approx(want_ab, rel=1e-12, abs=1e-15)


def test_perfect_alignment_gives_zero_margin_loss_and_low_infonce():
    z = torch.eye(5, dtype=torch.float64)
    assert float(max_margin_terms(z, z, margin=0.5)["loss"]) == 0.0
    # cos = 1 on the diagonal, 0 elsewhere: L = log(1 + (B-1) e^{-scale})
    assert float(infonce_terms(z, z, 10.0)["loss"]) == pytest.approx(math.log(1 + 4 * math.exp(-10)), rel=1e-12)


def test_logit_scale_is_clamped_and_learnable():
    scale = LogitScale()
    assert float(scale().detach()) == pytest.approx(1 / 0.07)
    with torch.no_grad():
        scale.log_scale.fill_(10.0)
    assert float(scale().detach()) == pytest.approx(100.0)
    with torch.no_grad():
        scale.log_scale.fill_(-3.0)
    assert float(scale().detach()) == pytest.approx(1.0)
    with torch.no_grad():
        scale.log_scale.fill_(1.0)
    za, zb = _batch()
    infonce_terms(za.float(), zb.float(), scale())["loss"].backward()
    assert scale.log_scale.grad is not None and scale.log_scale.grad != 0
    with pytest.raises(ConfigError, match="initial_temperature"):
        LogitScale(initial_temperature=2.0)


def test_logit_scale_comes_back_from_its_bound_under_a_plain_optimizer():
    """The audit's reproducer: started above the bound on unrelated pairs, plain SGD must lower the scale."""
    torch.manual_seed(0)
    za, zb = torch.randn(64, 8), torch.randn(64, 8)
    scale = LogitScale()
    with torch.no_grad():
        scale.log_scale.fill_(5.0)
    optimizer = torch.optim.SGD(scale.parameters(), lr=0.5)
    optimizer.zero_grad()
    infonce_terms(za, zb, scale())["loss"].backward()
    assert float(scale.log_scale.grad) > 0  # the loss wants a higher temperature: the gradient points inward
    for _ in range(100):
        optimizer.zero_grad()
        infonce_terms(za, zb, scale())["loss"].backward()
        optimizer.step()
    assert float(scale().detach()) < 100.0


@settings(max_examples=200, deadline=None)
@given(st.floats(-8.0, 12.0), st.floats(-5.0, 5.0).filter(lambda g: abs(g) > 1e-3))
def test_logit_scale_gradient_passes_exactly_when_descent_moves_inward(t, upstream):
    """Value exp(clamp(t)); gradient d/dt exp(t) inside, outside only if -grad points back into [0, log 100]."""
    scale = LogitScale()
    with torch.no_grad():
        scale.log_scale.fill_(t)
    t = float(scale.log_scale)  # as stored in float32
    value = scale()
    hi = math.log(100.0)
    assert float(value.detach()) == pytest.approx(math.exp(min(max(t, 0.0), hi)), rel=1e-6)
    (upstream * value).backward()
    grad = float(scale.log_scale.grad)
    clamped = math.exp(min(max(t, 0.0), hi))
    inward = (0.0 <= t <= hi) or (t > hi and upstream > 0) or (t < 0.0 and upstream < 0)
    assert grad == pytest.approx(upstream * clamped if inward else 0.0, rel=1e-5, abs=1e-12)


def test_logit_scale_clamp_moves_the_parameter_into_bounds():
    scale = LogitScale()
    with torch.no_grad():
        scale.log_scale.fill_(7.0)
    scale.clamp_()
    assert float(scale.log_scale) == pytest.approx(math.log(100.0))
    with torch.no_grad():
        scale.log_scale.fill_(-2.0)
    scale.clamp_()
    assert float(scale.log_scale) == 0.0


@pytest.mark.parametrize("bad, message", [("10", "float or a \\(\\) tensor"), ([1.0], "float or"),
                                           (torch.ones(3), "scalar"), (float("nan"), "positive and finite"),
                                           (-1.0, "positive"), (torch.tensor(0.0), "positive")])
def test_logit_scale_argument_is_checked(bad, message):
    za, zb = _batch()
    with pytest.raises(ConfigError, match=message):
        infonce_terms(za, zb, bad)


def test_diagnostics_keep_the_input_dtype():
    za, zb = _batch()
    assert infonce_terms(za, zb, 2.0)["accuracy_a_to_b"].dtype == torch.float64
    assert max_margin_terms(za, zb)["violations"].dtype == torch.float64
    assert infonce_terms(za.float(), zb.float(), np.float32(2.0))["accuracy_a_to_b"].dtype == torch.float32


def test_errors():
    za, zb = _batch()
    with pytest.raises(ShapeError, match="equal shape"):
        infonce_terms(za, zb[:3], 1.0)
    with pytest.raises(ShapeError, match="at least 2 pairs"):
        max_margin_terms(za[:1], zb[:1])
    with pytest.raises(ConfigError, match="distance"):
        infonce_terms(za, zb, 1.0, make_similarity("euclidean"))
    with pytest.raises(ConfigError, match="margin"):
        max_margin_terms(za, zb, margin=-1)
