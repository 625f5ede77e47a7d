"""Gradient Blending: the weights from given losses by hand, and GB-Estimate's copies against loops
written apart (the losses over every example, one plain gradient step)."""

import copy
import math
import statistics

import pytest
import torch
import torch.nn.functional as F

from polymodal.catalog import build_model
from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig
from polymodal.training.balance.base import TrainingRun
from polymodal.training.balance.alone import FusedNetwork, UnimodalNetwork
from polymodal.training.balance.gradient_blending import (
    GradientBlendingBalancer, HeadLosses, blend_weights, estimate, mean_losses,
)

MODALITIES = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "vector", "shape": [4]}]


def test_weights_are_gain_over_squared_overfitting_normalised():
    losses = {
        # G = 1.2 - 0.9 = 0.3; O = (0.9 - 0.5) - (1.2 - 1.0) = 0.2; G / O^2 = 7.5
        "audio": HeadLosses(train_start=1.0, train_end=0.5, val_start=1.2, val_end=0.9),
        # G = 0.1; O = (1.0 - 0.2) - (1.1 - 1.0) = 0.7; G / O^2 = 0.1 / 0.49
        "image": HeadLosses(train_start=1.0, train_end=0.2, val_start=1.1, val_end=1.0),
    }
    w = blend_weights(losses)
    total = 7.5 + 0.1 / 0.49
    assert w == pytest.approx({"audio": 7.5 / total, "image": (0.1 / 0.49) / total})


def test_a_held_out_loss_that_rose_weighs_by_its_size_and_no_gain_anywhere_means_uniform():
    worse = HeadLosses(1.0, 0.5, 1.0, 1.2)  # G = -0.2, O = 0.7: |G| / O^2 = 0.2 / 0.49
    better = HeadLosses(1.0, 0.5, 1.0, 0.8)  # G = 0.2, O = 0.3: 0.2 / 0.09
    total = 0.2 / 0.49 + 0.2 / 0.09
    assert blend_weights({"a": worse, "b": better}) == pytest.approx({"a": 0.2 / 0.49 / total, "b": 0.2 / 0.09 / total})
    flat = HeadLosses(1.0, 0.5, 1.0, 1.0)
    assert blend_weights({"a": flat, "b": flat, "fused": flat}) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "fused": 1 / 3})


def test_an_overfitting_within_its_noise_weighs_as_its_noise():
    """O = 5e-5 measured with a standard error of 0.03: 1 / O^2 would take all the weight."""
    quiet = HeadLosses(1.0, 0.5, 1.0, 0.50005, noise=0.03)  # G = 0.49995, O = 5e-5
    loud = HeadLosses(1.0, 0.5, 1.0, 0.7, noise=0.03)  # G = 0.3, O = 0.2 > noise
    raw = {"quiet": 0.49995 / 0.03 ** 2, "loud": 0.3 / 0.2 ** 2}
    total = sum(raw.values())
    assert blend_weights({"quiet": quiet, "loud": loud}) == pytest.approx({k: v / total for k, v in raw.items()})


def _split(n=40, seed=0, labels=None):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g) if labels is None else labels
    return MultimodalSplit({"a": torch.randn(n, 6, generator=g), "b": torch.randn(n, 4, generator=g)}, y)


def _run(split, batch_size=8, lr=0.1, clip=None):
    loader = batch_loader(split, batch_size, shuffle=True, generator=torch.Generator().manual_seed(0))
    return TrainingRun(loader, lambda params: torch.optim.SGD(params, lr=lr), clip, torch.device("cpu"))


def _model(seed=0, fusion="late"):
    torch.manual_seed(seed)
    return build_model(ModelConfig(MODALITIES, 3, fusion, dropout=0.0))


def test_mean_losses_are_the_means_over_kept_and_held_out_examples():
    split, model = _split(), _model()
    balancer = GradientBlendingBalancer(model, 3, holdout=0.3, seed=1)
    network = FusedNetwork(model)
    measured = mean_losses(network, batch_loader(split, 7), balancer.held_out, torch.device("cpu"))
    model.eval()
    kept, held = [], []
    with torch.no_grad():
        for i in range(len(split)):  # one example at a time
            x = {m: split.inputs[m][i:i + 1] for m in ("a", "b")}
            loss = float(F.cross_entropy(model.head(model.fuse(model.encode(x))), split.labels[i:i + 1]))
            (held if bool(balancer.held_out(torch.tensor([i]))[0]) else kept).append(loss)
    assert len(kept) > 1 and len(held) > 1
    assert measured.train == pytest.approx(statistics.mean(kept), rel=1e-5)
    assert measured.val == pytest.approx(statistics.mean(held), rel=1e-5)
    assert measured.train_se == pytest.approx(statistics.stdev(kept) / math.sqrt(len(kept)), rel=1e-4)
    assert measured.val_se == pytest.approx(statistics.stdev(held) / math.sqrt(len(held)), rel=1e-4)


def test_too_few_held_out_examples_name_the_option():
    split, model = _split(n=4), _model()
    balancer = GradientBlendingBalancer(model, 3, holdout=0.1, seed=0)
    with pytest.raises(ConfigError, match=r"--balance gblend: \d+ training examples kept and \d+ held out.*holdout"):
        mean_losses(FusedNetwork(model), batch_loader(split, 4), balancer.held_out, torch.device("cpu"))


def test_a_copy_takes_the_plain_gradient_step_of_its_kept_examples():
    """One epoch, one batch of every example, plain SGD: the copy's weights move by -lr times the
    gradient of the mean loss over the kept examples, taken here by autograd on a loop of them."""
    split, model = _split(), _model()
    balancer = GradientBlendingBalancer(model, 3, holdout=0.25, seed=0)
    network = UnimodalNetwork("a", copy.deepcopy(model.encoders["a"]), copy.deepcopy(balancer.heads.heads["a"]))
    reference = copy.deepcopy(network)
    start = mean_losses(reference, batch_loader(split, 8), balancer.held_out, torch.device("cpu"))
    losses = estimate({"a": network}, 1, _run(split, batch_size=len(split), lr=0.5), balancer.held_out, seed=0)
    kept = [i for i in range(len(split)) if not bool(balancer.held_out(torch.tensor([i]))[0])]
    total = sum(F.cross_entropy(reference({"a": split.inputs["a"][i:i + 1]}), split.labels[i:i + 1]) for i in kept)
    grads = torch.autograd.grad(total / len(kept), list(reference.parameters()))
    for p, q, g in zip(network.parameters(), reference.parameters(), grads):
        assert torch.allclose(p, q - 0.5 * g, atol=1e-6)
    # and the losses measured after the step are the stepped network's
    with torch.no_grad():
        for q, g in zip(reference.parameters(), grads):
            q -= 0.5 * g
    after = mean_losses(reference, batch_loader(split, 8), balancer.held_out, torch.device("cpu"))
    assert (losses["a"].train_end, losses["a"].val_end) == pytest.approx((after.train, after.val), rel=1e-5)
    assert (losses["a"].train_start, losses["a"].val_start) == pytest.approx((start.train, start.val), rel=1e-6)
    noise = math.sqrt(sum(m.train_se ** 2 + m.val_se ** 2 for m in (start, after)))
    assert losses["a"].noise == pytest.approx(noise, rel=1e-4)


def test_held_out_labels_never_reach_the_copies():
    """Scrambling the held-out examples' labels changes the held-out losses only: the copies train
    on the kept examples alone."""
    split, model = _split(), _model()
    balancer = GradientBlendingBalancer(model, 3, holdout=0.3, seed=2)
    held = balancer.held_out(torch.arange(len(split)))
    scrambled = split.labels.clone()
    scrambled[held] = (scrambled[held] + 1) % 3
    results = []
    for labels in (split.labels, scrambled):
        networks = balancer.networks(model)
        results.append((estimate(networks, 2, _run(_split(labels=labels)), balancer.held_out, seed=0), networks))
    (plain, nets), (other, other_nets) = results
    for k in plain:
        assert plain[k].train_start == pytest.approx(other[k].train_start, rel=1e-6)
        assert plain[k].train_end == pytest.approx(other[k].train_end, rel=1e-6)
        assert all(torch.equal(p, q) for p, q in zip(nets[k].parameters(), other_nets[k].parameters()))
    assert any(plain[k].val_end != pytest.approx(other[k].val_end) for k in plain)


def test_estimation_sets_the_weights_at_each_super_epoch_and_leaves_model_and_random_state_alone():
    split, model = _split(), _model(fusion="tensor")
    balancer = GradientBlendingBalancer(model, 3, super_epoch=2, holdout=0.25, seed=0)
    before = copy.deepcopy(model.state_dict())
    run = _run(split)
    rng = torch.get_rng_state()
    balancer.before_epoch(model, 0, run)
    assert torch.equal(torch.get_rng_state(), rng)  # the run's own draws go on as without the estimation
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    expected = blend_weights(estimate(balancer.networks(model), 2, run, balancer.held_out, seed=0))
    assert balancer.weights == pytest.approx(expected, rel=1e-6)
    assert balancer.weights != pytest.approx({"a": 1 / 3, "b": 1 / 3, "fused": 1 / 3})
    metrics = balancer.epoch_metrics()
    assert {f"balance_{n}_{k}" for n in ("gain", "overfitting") for k in ("a", "b", "fused")} <= metrics.keys()
    balancer.weights = {"a": 0.5, "b": 0.25, "fused": 0.25}
    balancer.before_epoch(model, 1, run)  # inside the super-epoch: unchanged
    assert balancer.weights == {"a": 0.5, "b": 0.25, "fused": 0.25}


def test_the_loss_weights_each_head_on_the_kept_examples():
    split, model = _split(), _model(fusion="tensor")
    balancer = GradientBlendingBalancer(model, 3, holdout=0.25, seed=0)
    balancer.weights = {"a": 0.5, "b": 0.2, "fused": 0.3}
    x, y, index = split.inputs, split.labels, torch.arange(len(split))
    e = model.encode(x)
    logits = model.head(model.fuse(e))
    loss = balancer.training_loss(model, x, e, logits, y, F.cross_entropy(logits, y), 0, index)
    kept = ~balancer.held_out(index)
    outs = {**balancer.heads(e), "fused": logits}
    expected = sum(balancer.weights[k] * F.cross_entropy(o[kept], y[kept]) for k, o in outs.items())
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="index"):
        balancer.training_loss(model, x, e, logits, y, F.cross_entropy(logits, y), 0, None)
