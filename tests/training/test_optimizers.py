"""The optimizers a TrainConfig names, one step against the update rule written out."""

import pytest
import torch

from polymodal.errors import ConfigError

from polymodal.training.optimizers import configure_optimization, lr_factor, make_optimizer, optimizer_at_epoch


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


@pytest.mark.parametrize("epochs", [1, 3, 7, 30])
def test_cosine_factor_is_torchs_cosine_annealing(epochs):
    """The reference: torch's CosineAnnealingLR (to 0 over ``epochs``), stepped once per epoch."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=0.0)
    for epoch in range(epochs):
        assert lr_factor("cosine", epoch, epochs) == pytest.approx(opt.param_groups[0]["lr"], abs=1e-12)
        opt.step()
        reference.step()
    assert lr_factor("constant", 5, epochs) == 1.0


def test_configure_optimization_schedules_per_epoch_only_when_asked():
    params = [torch.nn.Parameter(torch.zeros(1))]
    hparams = {"lr": 0.1, "weight_decay": 0.0, "optimizer": "sgd", "momentum": 0.0}
    assert isinstance(configure_optimization(hparams, params), torch.optim.SGD)  # older checkpoints: no schedule
    got = configure_optimization({**hparams, "lr_schedule": "cosine", "epochs": 3}, params)
    assert got["lr_scheduler"]["interval"] == "epoch"
    lrs = []
    for _ in range(3):
        lrs.append(got["optimizer"].param_groups[0]["lr"])
        got["optimizer"].step()
        got["lr_scheduler"]["scheduler"].step()
    assert lrs == pytest.approx([0.1, 0.075, 0.025])  # (1 + cos(pi e / 3)) / 2 = 1, 3/4, 1/4
    with pytest.raises(ValueError, match="'step' is unknown; choose from constant, cosine"):
        configure_optimization({**hparams, "lr_schedule": "step", "epochs": 3}, params)
    with pytest.raises(ConfigError, match="lr_schedule 'cosine' anneals over the run: give the module epochs"):
        configure_optimization({**hparams, "lr_schedule": "cosine"}, params)


def test_optimizer_at_epoch_is_the_runs_kind_at_the_scheduled_rate():
    import math

    p = torch.nn.Parameter(torch.zeros(2))
    hparams = {"optimizer": "sgd", "lr": 0.1, "weight_decay": 1e-4, "momentum": 0.8, "lr_schedule": "cosine", "epochs": 10}
    opt = optimizer_at_epoch(hparams, [p], epoch=4)
    group = opt.param_groups[0]
    assert isinstance(opt, torch.optim.SGD)
    assert group["lr"] == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi * 4 / 10)))
    assert (group["momentum"], group["weight_decay"]) == (0.8, 1e-4)
    constant = optimizer_at_epoch({"lr": 1e-3, "weight_decay": 0.0}, [p], epoch=7)  # an older checkpoint's hparams
    assert isinstance(constant, torch.optim.Adam) and constant.param_groups[0]["lr"] == 1e-3
