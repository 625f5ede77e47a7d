import pytest
import torch

from polymodal.information.sinkhorn import sinkhorn_log, sinkhorn_scaling


def _problem(m1=7, m2=5, classes=3, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    scores = scale * torch.randn(m1, m2, classes, generator=g, dtype=torch.double)
    p1 = torch.rand(m1, classes, generator=g, dtype=torch.double) + 0.05
    p2 = torch.rand(m2, classes, generator=g, dtype=torch.double) + 0.05
    p1 = p1 / p1.sum()
    p2 = p2 / p2.sum(0) * p1.sum(0)  # the same label marginal
    return scores, p1, p2


@pytest.mark.parametrize("iterations", [1, 2, 30])
def test_same_values_as_the_log_domain_iterations(iterations):
    scores, p1, p2 = _problem()
    assert torch.allclose(sinkhorn_scaling(scores, p1, p2, iterations), sinkhorn_log(scores, p1, p2, iterations),
                          atol=1e-11, rtol=0)


@pytest.mark.parametrize("sinkhorn", [sinkhorn_scaling, sinkhorn_log])
def test_meets_the_marginals(sinkhorn):
    scores, p1, p2 = _problem(seed=3)
    q = sinkhorn(scores, p1, p2, 500).exp()
    assert torch.allclose(q.sum(1), p1, atol=1e-12) and torch.allclose(q.sum(0), p2, atol=1e-12)


def test_backward_against_finite_differences():
    scores, p1, p2 = _problem(4, 3, 2, seed=1, scale=1.0)
    inputs = (scores.requires_grad_(), p1.requires_grad_(), p2.requires_grad_())
    # p2 is rescaled inside so that the label marginals agree at every perturbed point
    assert torch.autograd.gradcheck(lambda s, a, b: sinkhorn_scaling(s, a, b / b.sum(0) * a.sum(0), 6), inputs,
                                    eps=1e-6, atol=1e-6)


def test_backward_equals_autograd_through_the_log_domain_iterations():
    scores, p1, p2 = _problem(40, 30, 4, seed=2)
    upstream = torch.randn(40, 30, 4, dtype=torch.double, generator=torch.Generator().manual_seed(5))
    grads = []
    for fn in (sinkhorn_scaling, sinkhorn_log):
        leaves = [t.clone().requires_grad_() for t in (scores, p1, p2)]
        (fn(*leaves, 25) * upstream).sum().backward()
        grads.append([leaf.grad for leaf in leaves])
    for ours, reference in zip(*grads):
        assert torch.allclose(ours, reference, atol=1e-10, rtol=1e-8)


def test_a_constant_per_label_changes_nothing():
    scores, p1, p2 = _problem(seed=4)
    shifted = scores + torch.tensor([300.0, -250.0, 40.0], dtype=torch.double)
    assert torch.allclose(sinkhorn_scaling(shifted, p1, p2, 20), sinkhorn_scaling(scores, p1, p2, 20), atol=1e-9)


def test_bad_input_is_named():
    scores, p1, p2 = _problem()
    with pytest.raises(ValueError, match="scores must be"):
        sinkhorn_scaling(scores[:, :, :2], p1, p2)
    with pytest.raises(ValueError, match="iterations"):
        sinkhorn_scaling(scores, p1, p2, 0)
    with pytest.raises(ValueError, match="finite"):
        sinkhorn_scaling(scores.index_fill(0, torch.tensor([0]), float("-inf")), p1, p2)
    with pytest.raises(ValueError, match="label marginals"):
        sinkhorn_scaling(scores, p1, p2 * 1.1)
    with pytest.raises(ValueError, match="span"):
        sinkhorn_scaling(scores * 1000, p1, p2)
