"""Robust training: modality dropout with a learned missing embedding, noise augmentation, the imputer."""

import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig
from polymodal.models.missing import Missing
from polymodal.robustness.corrupt import Corruptor
from polymodal.robustness.impute import imputer_r2
from polymodal.training.checkpoint import load_model
from polymodal.training.evaluate import evaluate
from polymodal.training.pipeline import TrainConfig, fit, split_loader, training_augmentation


def test_modality_dropout_teaches_the_token_and_the_model_without_a_modality(digits, tmp_path):
    top, _ = list(digits.modalities)
    base = dict(epochs=6, patience=6, seed=0)
    plain = fit(digits, ModelConfig.for_dataset(digits, "early"), TrainConfig(**base), tmp_path / "plain", progress_bar=False)
    robust = fit(digits, ModelConfig.for_dataset(digits, "early", missing_token=True),
                 TrainConfig(**base, modality_dropout=0.5, missing_strategy="token"), tmp_path / "robust", progress_bar=False)
    test = digits.splits["test"]
    plain_model, robust_model = load_model(plain["checkpoint"]), load_model(robust["checkpoint"])
    assert all(float(p.detach().abs().sum()) > 0 for p in robust_model.missing_tokens.values())  # learned, not the zero init
    without_plain = evaluate(plain_model, test, missing=Missing([top], "zero")).accuracy
    without_robust = evaluate(robust_model, test, missing=Missing([top], "token")).accuracy
    assert without_robust > without_plain + 0.05, (without_plain, without_robust)


@pytest.mark.parametrize("mode,epochs", [("joint", 10), ("after", 3)])  # joint learns along the epochs; after, 100 of its own
def test_the_imputer_is_trained_stored_and_reported(digits, tmp_path, mode, epochs):
    result = fit(digits, ModelConfig.for_dataset(digits, "early", imputer=32),
                 TrainConfig(epochs=epochs, patience=epochs, impute=mode), tmp_path, progress_bar=False)
    assert set(result["imputer_r2"]) == {"top->bottom", "bottom->top"}
    model = load_model(result["checkpoint"])
    again = imputer_r2(model, digits.splits["val"])
    assert again == pytest.approx(result["imputer_r2"], abs=1e-5)  # the checkpoint holds the trained imputer
    assert all(r > 0.2 for r in again.values()), again  # the two halves of a digit predict each other


def test_augmentation_perturbs_the_training_batches_and_the_linear_schedule_ramps(digits):
    config = TrainConfig(epochs=4, augment={"top": "gaussian:0.8"}, augment_schedule="linear")
    corruptor, callbacks = training_augmentation(digits, config)
    assert isinstance(corruptor, Corruptor) and len(callbacks) == 1
    loader = split_loader(digits, "train", config, shuffle=False, transform=corruptor)
    clean = split_loader(digits, "train", config, shuffle=False)
    noisy_batch, clean_batch = next(iter(loader)), next(iter(clean))
    assert not torch.equal(noisy_batch["inputs"]["top"], clean_batch["inputs"]["top"])
    assert torch.equal(noisy_batch["inputs"]["bottom"], clean_batch["inputs"]["bottom"])

    class Trainer:
        current_epoch = 1

    callbacks[0].on_train_epoch_start(Trainer(), None)
    assert corruptor.scale == pytest.approx(0.5)


@pytest.mark.parametrize("model_kw,train_kw,message", [
    ({}, {"modality_dropout": 0.3, "missing_strategy": "token"}, "missing_token"),
    ({}, {"impute": "joint"}, "imputer"),
    ({"imputer": 8}, {}, "say how to train it"),
    ({"missing_token": True}, {}, "give --modality-dropout Q > 0"),
])
def test_robust_training_needs_the_model_it_names(digits, tmp_path, model_kw, train_kw, message):
    with pytest.raises(ConfigError, match=message):
        fit(digits, ModelConfig.for_dataset(digits, "early", **model_kw), TrainConfig(epochs=1, **train_kw), tmp_path)


@pytest.mark.parametrize("kw,message", [
    ({"missing_strategy": "mean"}, "'mean' needs no training"), ({"modality_dropout": 1.0}, "must be in"),
    ({"augment_schedule": "cosine"}, "'cosine' is unknown"), ({"impute": "before"}, "'before' is unknown"),
    ({"augment": {"top": "gaussian:3"}}, "outside"),
])
def test_bad_robust_training_options(kw, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**kw)
