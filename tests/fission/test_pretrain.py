"""Pretraining the autoencoder without labels, then fine-tuning from its weights."""

import csv

import pytest
import torch

from polymodal.data import load_digits
from polymodal.errors import ConfigError
from polymodal.fission.pretrain import pretrain_autoencoder
from polymodal.models.build import ModelConfig
from polymodal.training.checkpoint import load_model
from polymodal.training.pipeline import TrainConfig, fit


def test_pretrain_then_finetune(tmp_path):
    ds = load_digits()
    config = ModelConfig.for_dataset(ds, "autoencoder")
    best = pretrain_autoencoder(ds, config, TrainConfig(epochs=4, patience=10), tmp_path / "pre", progress_bar=False)
    with open(tmp_path / "pre" / "logs" / "metrics.csv") as fh:
        scores = [float(r["val_score"]) for r in csv.DictReader(fh) if r.get("val_score")]
    assert scores[-1] > scores[0]  # the reconstruction error falls
    pretrained = load_model(best)
    # fine-tuning with a vanishing learning rate keeps the pretrained encoder
    result = fit(ds, config, TrainConfig(epochs=1, lr=1e-12), tmp_path / "fine", progress_bar=False, init_weights=best)
    tuned = load_model(result["checkpoint"])
    for (name, p), q in zip(pretrained.named_parameters(), tuned.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-8, msg=name)


def test_wrong_architecture_is_refused(tmp_path):
    ds = load_digits()
    best = pretrain_autoencoder(ds, ModelConfig.for_dataset(ds, "autoencoder"), TrainConfig(epochs=1), tmp_path / "pre",
                                progress_bar=False)
    with pytest.raises(ConfigError, match="not the architecture"):
        fit(ds, ModelConfig.for_dataset(ds, "tensor"), TrainConfig(epochs=1), tmp_path / "t", progress_bar=False, init_weights=best)
    with pytest.raises(ConfigError, match="no reconstruction"):
        pretrain_autoencoder(ds, ModelConfig.for_dataset(ds, "early"), TrainConfig(epochs=1), tmp_path / "e", progress_bar=False)
