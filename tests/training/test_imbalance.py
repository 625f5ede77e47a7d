"""Per-modality imbalance diagnostics: contributions to accuracy and linear probes."""

import itertools
import json

import pytest
import torch

from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.training.imbalance import CoalitionAccuracy, linear_probe_accuracy

MODALITIES = [{"name": "a", "kind": "vector", "shape": [6]}, {"name": "b", "kind": "vector", "shape": [4]},
              {"name": "c", "kind": "vector", "shape": [3]}]


def test_contributions_are_the_shapley_values_of_coalition_accuracies_by_permutations():
    torch.manual_seed(0)
    model = build_model(ModelConfig(MODALITIES, 4, "tensor")).eval()
    x = {"a": torch.randn(50, 6), "b": torch.randn(50, 4), "c": torch.randn(50, 3)}
    y = torch.randint(0, 4, (50,))
    counter = CoalitionAccuracy(["a", "b", "c"])
    with torch.no_grad():
        for rows in (slice(0, 20), slice(20, 50)):  # two batches
            counter.add(model, model.encode({m: v[rows] for m, v in x.items()}), y[rows])
        e = model.encode(x)

        def accuracy(s):
            zeroed = {m: v if m in s else torch.zeros_like(v) for m, v in e.items()}
            return float((model.head(model.fuse(zeroed)).argmax(-1) == y).float().mean())

    expected = {m: 0.0 for m in "abc"}
    for order in itertools.permutations("abc"):
        for i, m in enumerate(order):
            expected[m] += (accuracy(set(order[: i + 1])) - accuracy(set(order[:i]))) / 6
    got = counter.contributions()
    assert got == pytest.approx(expected)
    # handing in the prediction of all modalities (what validation computed) counts the same
    with torch.no_grad():
        counter.add(model, e, y, full=model.head(model.fuse(e)))
    assert counter.contributions() == pytest.approx(expected)
    assert sum(got.values()) == pytest.approx(accuracy(set("abc")) - accuracy(set()))


def test_a_probe_on_constant_embeddings_predicts_the_most_frequent_class(digits):
    model = build_model(ModelConfig.for_dataset(digits, "early"))
    with torch.no_grad():
        for p in model.encoders.parameters():
            p.zero_()  # every embedding is 0
    got = linear_probe_accuracy(model, digits)
    train_labels = digits.splits["train"].labels
    majority = int(torch.bincount(train_labels).argmax())
    expected = float((digits.splits["test"].labels == majority).float().mean())
    assert got == pytest.approx({m: expected for m in digits.modalities})


def test_a_fusion_run_reports_contributions_per_epoch_and_probes(digits, tmp_path):
    from polymodal.training import TrainConfig, fit

    result = fit(digits, ModelConfig.for_dataset(digits, "late"), TrainConfig(epochs=3, accelerator="cpu"), tmp_path / "late",
                 progress_bar=False)
    imbalance = result["imbalance"]
    assert set(imbalance["contribution_per_epoch"]) == set(digits.modalities)
    assert all(len(v) == 3 for v in imbalance["contribution_per_epoch"].values())
    assert all(0.5 < a <= 1 for a in imbalance["linear_probe_accuracy"].values())  # ten classes: chance is 0.1
    assert (tmp_path / "late" / "imbalance.png").stat().st_size > 0
    assert json.loads((tmp_path / "late" / "result.json").read_text())["imbalance"] == imbalance
    # a unimodal baseline has nothing to split
    one = ModelConfig.for_dataset(digits, "unimodal")
    one.modalities = one.modalities[:1]
    assert "imbalance" not in fit(digits, one, TrainConfig(epochs=1, accelerator="cpu"), tmp_path / "one", progress_bar=False)
