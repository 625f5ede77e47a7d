"""The balancers that train extra heads or prototypes, each step against its rule computed apart."""

import math

import pytest
import torch
import torch.nn.functional as F

from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.training.balance.min_norm import MMParetoBalancer, mmpareto_gradients
from polymodal.training.balance.prototypes import PMRBalancer, pmr_weights, prototype_logits
from polymodal.training.balance.warm_start import WarmStartBalancer

MODALITIES = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "vector", "shape": [4]}]


def _setup(seed=0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(MODALITIES, 3, "tensor", dropout=0.0))
    x = {"a": torch.randn(16, 6), "b": torch.randn(16, 4)}
    y = torch.randint(0, 3, (16,))
    return model, x, y


def _step(model, balancer, x, y, epoch=0, index=None):
    e = model.encode(x)
    logits = model.head(model.fuse(e))
    fused = F.cross_entropy(logits, y)
    return balancer.training_loss(model, x, e, logits, y, fused, epoch, index), fused


def test_mmpareto_replaces_each_encoder_gradient_by_the_combination_of_its_two_parts():
    model, x, y = _setup()
    balancer = MMParetoBalancer(model, 3, boost=1.5)
    # the two parts, computed apart
    e = model.encode(x)
    params = {m: list(model.encoders[m].parameters()) for m in ("a", "b")}
    fused = F.cross_entropy(model.head(model.fuse(e)), y)
    unimodal = {m: F.cross_entropy(o, y) for m, o in balancer.heads(e).items()}
    expected = {}
    for m in ("a", "b"):
        g_mm = list(torch.autograd.grad(fused, params[m], retain_graph=True))
        g_uni = list(torch.autograd.grad(unimodal[m], params[m], retain_graph=True))
        expected[m] = torch.cat([g.reshape(-1) for g in mmpareto_gradients(g_mm, g_uni, 1.5)[0]])
    model.zero_grad()
    balancer.zero_grad()
    loss, _ = _step(model, balancer, x, y)
    loss.backward()
    balancer.after_backward(model, 0)
    for m in ("a", "b"):
        got = torch.cat([p.grad.reshape(-1) for p in params[m]])
        assert torch.allclose(got, expected[m], atol=1e-6)


def _pmr_terms(prototypes, e, y):
    """Each modality's prototype score and prototype loss, ``{m: (K, d)}`` prototypes given."""
    scores, terms = {}, {}
    for m in ("a", "b"):
        logits = prototype_logits(e[m], prototypes[m])
        scores[m] = float(torch.softmax(logits, 1).gather(1, y[:, None]).sum())
        terms[m] = float(F.cross_entropy(logits, y))
    return scores, terms


def test_pmr_adds_the_lagging_modalitys_prototype_loss_only():
    model, x, y = _setup(1)
    balancer = PMRBalancer(model, 3, alpha=0.6, momentum=0.5)
    e = {m: v.detach() for m, v in model.encode(x).items()}
    means = {m: torch.stack([e[m][y == k].mean(0) for k in range(3)]) for m in ("a", "b")}
    # epoch 0: no prototype yet; the step uses the class means of the batch itself
    loss, fused = _step(model, balancer, x, y)
    scores, terms = _pmr_terms(means, e, y)
    beta = pmr_weights(scores, 0.6)
    assert sum(b > 0 for b in beta.values()) == 1
    assert float(loss) == pytest.approx(float(fused) + sum(beta[m] * terms[m] for m in beta), rel=1e-5)
    # the epoch's end makes those means the prototypes; epoch 1 uses them, however its batches fall
    balancer.finish_epoch(0)
    for m in ("a", "b"):
        assert torch.allclose(getattr(balancer, f"prototypes_{m}"), means[m], atol=1e-6)
    half = {m: v[:8] for m, v in x.items()}
    loss, fused = _step(model, balancer, half, y[:8], epoch=1)
    scores, terms = _pmr_terms(means, {m: v[:8] for m, v in e.items()}, y[:8])
    beta = pmr_weights(scores, 0.6)
    assert float(loss) == pytest.approx(float(fused) + sum(beta[m] * terms[m] for m in beta), rel=1e-5)
    for m in ("a", "b"):  # unchanged until the epoch ends
        assert torch.allclose(getattr(balancer, f"prototypes_{m}"), means[m], atol=1e-6)


def test_warm_start_trains_the_unimodal_heads_first_then_the_fused_model():
    model, x, y = _setup(3)
    balancer = WarmStartBalancer(model, 3, epochs=2)
    loss, fused = _step(model, balancer, x, y, epoch=1)
    e = model.encode(x)
    expected = sum(F.cross_entropy(o, y) for o in balancer.heads(e).values())
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    loss.backward()
    assert all(p.grad is None for p in model.head.parameters())  # the fused head waits
    loss, fused = _step(model, balancer, x, y, epoch=2)
    assert float(loss) == float(fused)


@pytest.mark.parametrize("epoch,applies", [(0, True), (1, True), (2, False)])
def test_pmr_entropy_regularisation_rewards_the_leading_modalitys_spread_in_its_first_epochs(epoch, applies):
    model, x, y = _setup(1)
    plain, per = PMRBalancer(model, 3, alpha=0.6), PMRBalancer(model, 3, alpha=0.6, entropy=0.2, entropy_epochs=2)
    for b in (plain, per):
        _step(model, b, x, y)  # the first epoch's batch makes the prototypes when the epoch ends
        b.finish_epoch(0)
    e = {m: v.detach() for m, v in model.encode(x).items()}
    scores, entropy = {}, {}
    for m in ("a", "b"):
        p = torch.softmax(prototype_logits(e[m], getattr(per, f"prototypes_{m}")), 1)
        scores[m] = float(p.gather(1, y[:, None]).sum())
        entropy[m] = sum(-sum(float(q) * math.log(float(q)) for q in row if q > 0) for row in p) / len(p)
    leading = max(scores, key=scores.get)
    expected = float(_step(model, plain, x, y)[0]) - (0.2 * entropy[leading] if applies else 0.0)
    assert float(_step(model, per, x, y, epoch=epoch)[0]) == pytest.approx(expected, rel=1e-5)
