"""The optimizers a TrainConfig names, one step against the update rule written out."""

import pytest
import torch

from polymodal.training.optimizers import make_optimizer


def _one_step(name, grad, **kwargs):
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = make_optimizer(name, [p], **kwargs)
    p.grad = grad.clone()
    opt.step()
    return p.detach()


def test_sgd_is_a_gradient_step_with_l2_decay():
    g = torch.tensor([0.5, 0.25, -1.0])
    p0 = torch.tensor([1.0, -2.0, 3.0])
    got = _one_step("sgd", g, lr=0.1, weight_decay=0.01, momentum=0.0)
    assert torch.allclose(got, p0 - 0.1 * (g + 0.01 * p0))


def test_sgd_momentum_accumulates_the_velocity():
    p = torch.nn.Parameter(torch.tensor([1.0]))
    opt = make_optimizer("sgd", [p], lr=0.1, weight_decay=0.0, momentum=0.9)
    for _ in range(2):
        p.grad = torch.tensor([1.0])
        opt.step()
    # velocity 1, then 0.9 * 1 + 1 = 1.9: p = 1 - 0.1 * 1 - 0.1 * 1.9
    assert torch.allclose(p.detach(), torch.tensor([1.0 - 0.1 - 0.19]))


def test_adamw_decays_the_weights_apart_from_the_gradient():
    # a zero gradient leaves Adam's moment estimates at zero: AdamW only shrinks, p (1 - lr wd)
    p0 = torch.tensor([1.0, -2.0, 3.0])
    got = _one_step("adamw", torch.zeros(3), lr=0.1, weight_decay=0.5)
    assert torch.allclose(got, p0 * (1 - 0.1 * 0.5))
    # Adam folds the decay into the gradient: its first step is lr * sign(p), whatever the decay
    got = _one_step("adam", torch.zeros(3), lr=0.1, weight_decay=0.5)
    assert torch.allclose(got, p0 - 0.1 * torch.sign(p0), atol=1e-6)


def test_an_unknown_optimizer_is_named():
    with pytest.raises(ValueError, match="'rmsprop' is unknown; choose from adam, adamw, sgd"):
        make_optimizer("rmsprop", [torch.nn.Parameter(torch.zeros(1))], lr=0.1, weight_decay=0.0)
