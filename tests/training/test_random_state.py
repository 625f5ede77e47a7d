"""A run interrupted and resumed from last.ckpt ends with the weights of the run that never stopped."""

import random

import lightning as L
import numpy as np
import pytest
import torch

from polymodal.models import ModelConfig
from polymodal.training import TrainConfig, fit
from polymodal.training.random_state import RandomStateCheckpoint


def _draws(generator: torch.Generator) -> tuple:
    return (torch.rand(3).tolist(), np.random.rand(3).tolist(), [random.random() for _ in range(3)],
            torch.rand(3, generator=generator).tolist())


def test_restored_states_repeat_the_same_draws_of_every_generator():
    generator = torch.Generator().manual_seed(5)
    callback = RandomStateCheckpoint({"shuffle": generator})
    torch.manual_seed(1), np.random.seed(2), random.seed(3)
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    state = callback.state_dict()
    first = _draws(generator)
    callback.load_state_dict(state)
    assert _draws(generator) == first
    other = RandomStateCheckpoint({})  # a generator the checkpoint names and the run lacks is skipped
    other.load_state_dict(state)


class StopAfterEpoch(L.Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_end(self, trainer, module):
        trainer.should_stop = trainer.current_epoch == self.epoch


def _last_weights(run_dir):
    return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]


@pytest.mark.parametrize(("balance", "options", "stop"), [
    ("none", {}, 1),
    ("ogm", {}, 1),
    ("agm", {}, 1),  # AGM's running mean of the discrepancies and its step count
    ("pmr", {}, 1),  # PMR's prototypes, made at the end of epoch 1 from its class means
    # Gradient Blending's weights (re-estimated after epoch 1) and the losses of epoch 2, the
    # first of the super-epoch that ends after epoch 3
    ("gblend", {"super_epoch": 2}, 2),
    ("umt", {"teacher_epochs": 2}, 1),  # the teachers, trained before epoch 0 and not again
])
def test_an_interrupted_run_resumes_to_the_weights_of_the_uninterrupted_one(digits, tmp_path, balance, options, stop):
    """Shuffling, augmentation, dropout, modality dropout and OGM's noise all draw in every epoch:
    without their states in the checkpoint the resumed epochs draw what epoch 0 drew. A balancing
    method's own state (AGM's running mean, PMR's prototypes, Gradient Blending's weights) must survive as well."""
    config = ModelConfig.for_dataset(digits, "early", dropout=0.2)
    train = TrainConfig(epochs=4, patience=10, lr=3e-3, accelerator="cpu", augment={"top": "gaussian:0.3"},
                        modality_dropout=0.3 if balance == "none" else 0.0, balance=balance, balance_options=options)
    whole = fit(digits, config, train, tmp_path / "whole", progress_bar=False)
    fit(digits, config, train, tmp_path / "cut", callbacks=[StopAfterEpoch(stop)], progress_bar=False)
    resumed = fit(digits, config, train, tmp_path / "cut", progress_bar=False)
    assert resumed["resumed_from"] is not None and resumed["epochs"] == whole["epochs"] == 4
    a, b = _last_weights(tmp_path / "whole"), _last_weights(tmp_path / "cut")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) if torch.is_tensor(a[k]) else a[k] == b[k] for k in a)
    assert resumed["test_accuracy"] == whole["test_accuracy"]
