"""Uni-modal teachers: the teachers' training against a plain gradient step taken apart, and the
distillation loss against its formula summed element by element."""

import copy

import pytest
import torch
import torch.nn.functional as F

from polymodal.catalog import build_model
from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.models.build import ModelConfig
from polymodal.training.balance.base import TrainingRun
from polymodal.training.balance.teachers import UMTBalancer

MODALITIES = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "vector", "shape": [4]}]


def _split(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return MultimodalSplit({"a": torch.randn(n, 6, generator=g), "b": torch.randn(n, 4, generator=g)},
                           torch.randint(0, 3, (n,), generator=g))


def _run(split, batch_size, lr=0.5):
    loader = batch_loader(split, batch_size, shuffle=True, generator=torch.Generator().manual_seed(0))
    return TrainingRun(loader, lambda params: torch.optim.SGD(params, lr=lr), None, torch.device("cpu"))


def _model(seed=0, fusion="tensor", dropout=0.0):
    torch.manual_seed(seed)
    return build_model(ModelConfig(MODALITIES, 3, fusion, dropout=dropout))


def test_each_teacher_takes_the_plain_gradient_step_of_its_own_modality():
    """One epoch, one batch of every example, plain SGD: each teacher (a copy of the model's
    encoder and a head of its own) moves by -lr times the gradient of its mean cross-entropy,
    taken here by autograd on a loop over the examples."""
    split, model = _split(), _model()
    balancer = UMTBalancer(model, 3, teacher_epochs=1, seed=0)
    for m, teacher in balancer.teachers.items():  # the teachers start from the model's encoders
        assert all(torch.equal(p, q) for p, q in zip(teacher.encoder.parameters(), model.encoders[m].parameters()))
    references = copy.deepcopy(balancer.teachers).requires_grad_(True)
    last = balancer.train_teachers(_run(split, batch_size=len(split)))
    for m, reference in references.items():
        losses = [F.cross_entropy(reference({m: split.inputs[m][i:i + 1]}), split.labels[i:i + 1]) for i in range(len(split))]
        mean = sum(losses) / len(split)
        grads = torch.autograd.grad(mean, list(reference.parameters()))
        for p, q, g in zip(balancer.teachers[m].parameters(), reference.parameters(), grads):
            assert torch.allclose(p, q - 0.5 * g, atol=1e-6)
        assert last[m] == pytest.approx(float(mean), rel=1e-5)
        assert not any(p.requires_grad for p in balancer.teachers[m].parameters())  # frozen again


def test_teachers_train_at_the_first_epoch_only_and_leave_the_model_and_random_state_alone():
    split, model = _split(), _model(dropout=0.3)  # the teachers' dropout draws
    balancer = UMTBalancer(model, 3, teacher_epochs=2, seed=1)
    before, untrained = copy.deepcopy(model.state_dict()), copy.deepcopy(balancer.teachers.state_dict())
    rng = torch.get_rng_state()
    balancer.before_epoch(model, 0, _run(split, batch_size=8))
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    trained = copy.deepcopy(balancer.teachers.state_dict())
    assert any(not torch.equal(untrained[k], v) for k, v in trained.items())
    assert {"balance_teacher_loss_a", "balance_teacher_loss_b"} <= balancer.epoch_metrics().keys()
    balancer.before_epoch(model, 1, _run(split, batch_size=8))  # later epochs (and a resumed run) keep them
    assert all(torch.equal(trained[k], v) for k, v in balancer.teachers.state_dict().items())


def test_the_loss_adds_weight_times_each_embeddings_mean_squared_distance_to_its_frozen_teacher():
    split, model = _split(), _model()
    balancer = UMTBalancer(model, 3, teacher_epochs=1, weight=10.0)
    with torch.no_grad():
        for p in balancer.teachers.parameters():
            p.add_(0.1)
    x, y = split.inputs, split.labels
    e = model.encode(x)
    logits = model.head(model.fuse(e))
    fused = F.cross_entropy(logits, y)
    loss = balancer.training_loss(model, x, e, logits, y, fused, 3)
    distill = 0.0
    for m in x:
        target = balancer.teachers[m].encoder(x[m]).detach()
        student = e[m].detach()
        squares = [(float(s) - float(t)) ** 2 for s, t in zip(student.flatten(), target.flatten())]
        distill += sum(squares) / len(squares)
    assert float(loss) == pytest.approx(float(fused) + 10.0 * distill, rel=1e-5)
    loss.backward()
    assert all(p.grad is None for p in balancer.teachers.parameters())  # frozen
    assert all(p.grad is not None for p in model.encoders.parameters())
