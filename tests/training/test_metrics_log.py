import csv

import lightning as L
import pytest

from polymodal.models import ModelConfig
from polymodal.training import TrainConfig, fit
from polymodal.training.metrics_log import keep_epochs


class Crash(Exception):
    pass


class CrashInBatch(L.Callback):
    """Simulates a crash in the middle of an epoch, after the checkpoint of the epoch before."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.current_epoch == self.epoch and batch_idx == self.batch:
            raise Crash()


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def epochs_with(rows, column):
    return [int(r["epoch"]) for r in rows if r.get(column)]


def test_keep_epochs_drops_later_epochs_and_test_rows(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,step,test_acc,train_loss,val_acc\n"
                    "0,9,,0.9,\n0,16,,,0.5\n1,26,,0.7,\n1,33,,,0.6\n2,43,,0.6,\n2,50,,,0.7\n2,50,0.65,,\n")
    assert keep_epochs(path, 1) == ["epoch", "step", "test_acc", "train_loss", "val_acc"]
    assert path.read_text().splitlines() == ["epoch,step,test_acc,train_loss,val_acc",
                                             "0,9,,0.9,", "0,16,,,0.5", "1,26,,0.7,", "1,33,,,0.6"]


def test_resumed_run_keeps_the_log_of_the_epochs_before_the_crash(digits, tmp_path):
    config = ModelConfig.for_dataset(digits, "early")
    train = TrainConfig(epochs=4, patience=10, seed=0, accelerator="cpu")
    log = tmp_path / "logs" / "metrics.csv"
    with pytest.raises(Crash):
        fit(digits, config, train, tmp_path, callbacks=[CrashInBatch(epoch=2, batch=12)], progress_bar=False)
    before = read_rows(log)
    assert epochs_with(before, "val_acc") == [0, 1]

    result = fit(digits, config, train, tmp_path, progress_bar=False)
    assert result["resumed_from"].endswith("last.ckpt")
    after = read_rows(log)
    assert epochs_with(after, "val_acc") == [0, 1, 2, 3]
    assert [r["val_acc"] for r in after if r["val_acc"]][:2] == [r["val_acc"] for r in before if r["val_acc"]]
    assert epochs_with(after, "train_loss") == [0, 1, 2, 3]


def test_fresh_run_replaces_an_old_log(digits, tmp_path):
    config = ModelConfig.for_dataset(digits, "early")
    fit(digits, config, TrainConfig(epochs=2, seed=0, accelerator="cpu"), tmp_path, progress_bar=False)
    fit(digits, config, TrainConfig(epochs=1, seed=0, accelerator="cpu"), tmp_path, progress_bar=False, resume=False)
    assert epochs_with(read_rows(tmp_path / "logs" / "metrics.csv"), "val_acc") == [0]
