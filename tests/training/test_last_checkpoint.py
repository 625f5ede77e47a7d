"""last.ckpt holds the end of the latest epoch, also after epochs without improvement."""

import pytest
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
    # one more epoch, without improvement: last.ckpt holds it, not a copy of the best one restored
    fit(digits, config, TrainConfig(epochs=5, patience=10, lr=1e-12, accelerator="cpu"), tmp_path, progress_bar=False)
    assert _epoch(ckpts / "last.ckpt") == 4 and _epoch(ckpts / "best.ckpt") == 0
    # asking for 6 epochs resumes after epoch 4 and trains epoch 5 only
    again = fit(digits, config, TrainConfig(epochs=6, patience=10, lr=1e-12, accelerator="cpu"), tmp_path,
                progress_bar=False)
    assert again["resumed_from"] == str(ckpts / "last.ckpt") and _epoch(ckpts / "last.ckpt") == 5
    assert not list(ckpts.glob(".*tmp"))  # written atomically: no temporary file left


def test_last_holds_each_epochs_final_state_whether_or_not_best_was_saved(digits, tmp_path):
    """Read back at every epoch end: the epoch and the weights of that moment, copied or serialised."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint

    from polymodal.training.pipeline import train_module
    from polymodal.training.module import ClassificationModule

    checked: list[tuple[int, bool]] = []

    class ReadBack(ModelCheckpoint):  # a checkpoint callback, so it runs after LastCheckpoint
        def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
            saved = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
            assert saved["epoch"] == trainer.current_epoch
            state = module.state_dict()
            assert saved["state_dict"].keys() == state.keys()
            assert all(torch.equal(saved["state_dict"][k], state[k]) for k in state)
            checked.append((trainer.current_epoch, float(trainer.callback_metrics["val_acc"])))

    read_back = ReadBack(dirpath=tmp_path / "unused", save_top_k=0)
    module = ClassificationModule(ModelConfig.for_dataset(digits, "early").to_dict())
    module.validate_each_epoch(digits.splits["val"], 64)
    # lr 3e-3 on digits: the validation accuracy improves in some of these epochs and not in others
    train_module(module, digits, TrainConfig(epochs=12, patience=20, lr=3e-3, accelerator="cpu"), tmp_path,
                 monitor="val_acc", callbacks=[read_back], progress_bar=False)
    assert [e for e, _ in checked] == list(range(12))
    scores = [s for _, s in checked]
    improved = [s > max(scores[:i], default=-1.0) for i, s in enumerate(scores)]
    assert any(improved[1:]) and not all(improved)  # both cases were read back


def test_a_cosine_schedule_resumes_where_it_stopped(digits, tmp_path):
    """Stopped after epoch 1 of 4 and resumed, epochs 2 and 3 run at lr (1 + cos(pi e / 4)) / 2."""
    import math

    import lightning as L

    class StopAfter(L.Callback):
        def on_train_epoch_end(self, trainer, module):
            trainer.should_stop = trainer.current_epoch == 1

    class Record(L.Callback):
        def __init__(self):
            self.lrs = {}

        def on_train_epoch_start(self, trainer, module):
            self.lrs[trainer.current_epoch] = trainer.optimizers[0].param_groups[0]["lr"]

    config = ModelConfig.for_dataset(digits, "early")
    train = TrainConfig(epochs=4, patience=10, lr=0.1, optimizer="sgd", lr_schedule="cosine", accelerator="cpu")
    first, second = Record(), Record()
    fit(digits, config, train, tmp_path, callbacks=[StopAfter(), first], progress_bar=False)
    again = fit(digits, config, train, tmp_path, callbacks=[second], progress_bar=False)
    assert again["resumed_from"] is not None and list(second.lrs) == [2, 3]
    expected = {e: 0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)}
    assert {**first.lrs, **second.lrs} == {e: pytest.approx(v) for e, v in expected.items()}
