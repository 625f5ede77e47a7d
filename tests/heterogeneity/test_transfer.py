"""The transfer model and its training: order-free pairs, a bank-aware hold-out, the best held-out epoch kept."""

import pytest
import torch

from polymodal.data.dataset import ModalitySpec, MultimodalSplit
from polymodal.heterogeneity import HeterogeneitySettings, TransferModel
from polymodal.heterogeneity import transfer
from polymodal.heterogeneity.transfer import make_adapter, make_trunk, run_seed, split_holdout, train_steps


def test_a_pair_model_does_not_depend_on_the_order_of_its_modalities():
    s = HeterogeneitySettings(width=5, hidden_dim=6)
    adapters = {m: make_adapter(ModalitySpec(m, "vector", (3,)), s) for m in "ab"}
    trunk = make_trunk(s, 4)
    x = {"a": torch.randn(7, 3), "b": torch.randn(7, 3)}
    forward = TransferModel(adapters, trunk)(x)
    backward = TransferModel({"b": adapters["b"], "a": adapters["a"]}, trunk)(x)
    assert torch.allclose(forward, backward, atol=1e-6) and forward.shape == (7, 4)


def test_image_adapters_are_the_lenet_under_auto_and_linear_maps_for_vectors():
    s = HeterogeneitySettings()
    assert isinstance(make_adapter(ModalitySpec("v", "vector", (3,)), s), torch.nn.Sequential)
    assert type(make_adapter(ModalitySpec("i", "image", (1, 28, 28)), s)).__name__ == "LeNetEncoder"
    linear = make_adapter(ModalitySpec("i", "image", (1, 28, 28)), HeterogeneitySettings(adapter="linear"))
    assert linear(torch.randn(2, 1, 28, 28)).shape == (2, 64)


def test_run_seeds_depend_on_the_run_not_on_the_order():
    assert run_seed(0, "a->b") == run_seed(0, "a->b") != run_seed(0, "b->a")
    assert run_seed(0, "a->b") != run_seed(1, "a->b")


def test_the_holdout_keeps_whole_bank_items_apart():
    rows = torch.arange(200) % 20  # 20 recordings, each paired with 10 samples
    split = MultimodalSplit({"x": torch.randn(200, 2), "audio": torch.randn(20, 3)}, torch.arange(200) % 4, {"audio": rows})
    fit, held = split_holdout(split, 0.1, seed=3)
    assert len(fit) + len(held) == 200 and len(held) == 20  # 2 of 20 recordings
    assert not set(fit.rows["audio"].tolist()) & set(held.rows["audio"].tolist())
    plain = MultimodalSplit({"x": torch.randn(50, 2)}, torch.arange(50) % 2)
    fit, held = split_holdout(plain, 0.2, seed=0)
    assert (len(fit), len(held)) == (40, 10)
    assert split_holdout(plain, 0.0, seed=0)[1] is None


def test_training_ends_on_the_epoch_with_the_lowest_held_out_loss(monkeypatch):
    s = HeterogeneitySettings(width=4, hidden_dim=4, batch_size=8)
    split = MultimodalSplit({"x": torch.randn(32, 3)}, torch.arange(32) % 2)
    model = TransferModel({"x": make_adapter(ModalitySpec("x", "vector", (3,)), s)}, make_trunk(s, 2))
    losses, states = iter([3.0, 1.0, 2.0, 1.5]), []

    def fake_loss(m, holdout):
        states.append({k: v.clone() for k, v in m.state_dict().items()})
        return next(losses)

    monkeypatch.setattr(transfer, "held_out_loss", fake_loss)
    train_steps(model, model.parameters(), split, s, torch.Generator().manual_seed(0), epochs=4, holdout=split)
    assert len(states) == 4
    for k, v in model.state_dict().items():
        assert torch.equal(v, states[1][k])  # epoch 2 had the lowest loss
    with pytest.raises(AssertionError):
        assert all(torch.equal(v, states[3][k]) for k, v in model.state_dict().items())


def test_runs_are_seeded_without_touching_the_global_generator():
    from polymodal.data.registry import load_dataset
    from polymodal.heterogeneity.transfer import TransferRuns

    runs = TransferRuns(load_dataset("hetero-groups", num_samples=200), HeterogeneitySettings())
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = runs._model(("a",), "scratch:a")
    assert torch.equal(torch.rand(3), expected)
    second = runs._model(("a",), "scratch:a")
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters()))
