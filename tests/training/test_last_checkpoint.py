"""last.ckpt holds the end of the latest epoch, also after epochs without improvement."""

import torch

from polymodal.models import ModelConfig
from polymodal.training import TrainConfig, fit


def _epoch(path):
    return torch.load(path, map_location="cpu", weights_only=True)["epoch"]


def test_last_is_the_latest_epoch_and_a_resume_continues_from_it(digits, tmp_path):
    # a learning rate this small leaves the validation accuracy where the first epoch put it:
    # the best checkpoint is the first epoch's, and every later epoch is one without improvement
    config = ModelConfig.for_dataset(digits, "early")
    first = fit(digits, config, TrainConfig(epochs=4, patience=10, lr=1e-12, accelerator="cpu"), tmp_path, progress_bar=False)
    ckpts = tmp_path / "checkpoints"
    assert _epoch(ckpts / "best.ckpt") == 0 and _epoch(ckpts / "last.ckpt") == 3
    assert first["resumed_from"] is None
    # asking for 6 epochs resumes after epoch 3 and trains epochs 4 and 5 only
    again = fit(digits, config, TrainConfig(epochs=6, patience=10, lr=1e-12, accelerator="cpu"), tmp_path,
                progress_bar=False)
    assert again["resumed_from"] == str(ckpts / "last.ckpt") and _epoch(ckpts / "last.ckpt") == 5
    assert not list(ckpts.glob(".*tmp"))  # written atomically: no temporary file left
