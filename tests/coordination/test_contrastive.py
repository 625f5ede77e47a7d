"""Contrastive losses against plain loops over pairs, and the learnable temperature."""

import math

import pytest
import torch

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
