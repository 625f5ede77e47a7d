"""The one evaluation: the same predictions as a loop over single samples, at any batch size."""

import pytest
import torch

from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.models.missing import Missing, Presence
from polymodal.robustness.corrupt import corruptor_for
from polymodal.training.evaluate import evaluate


def test_evaluate_matches_a_loop_over_samples_at_any_batch_size(digits):
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(digits, "tensor")).eval()
    test = digits.splits["test"]
    with torch.no_grad():
        loop = torch.stack([model({m: x.unsqueeze(0) for m, x in test[i]["inputs"].items()})[0].argmax() for i in range(len(test))])
    labels = test.labels
    for batch_size in (1, 37, 1000):
        result = evaluate(model, test, batch_size=batch_size)
        assert torch.equal(result.preds, loop) and torch.equal(result.labels, labels)
        assert result.accuracy == pytest.approx(int((loop == labels).sum()) / len(test), abs=1e-12) and result.n_samples == len(test)


def test_evaluate_applies_missing_modalities_and_reproducible_perturbations(digits):
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(digits, "late")).eval()
    test = digits.splits["test"]
    top, bottom = list(digits.modalities)
    dropped = evaluate(model, test, missing=Missing([top], "drop"))
    with torch.no_grad():
        direct = model({bottom: test.modality(bottom)}, Presence("drop")).argmax(1)
    assert torch.equal(dropped.preds, direct)
    noisy = corruptor_for(digits, {top: 0.7})
    a, b = evaluate(model, test, perturb=noisy, seed=3), evaluate(model, test, perturb=noisy, seed=3)
    assert torch.equal(a.logits, b.logits) and not torch.equal(a.logits, evaluate(model, test).logits)
