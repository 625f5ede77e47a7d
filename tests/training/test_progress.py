"""The training bar counts every batch of the run and shows the epoch and the monitored score."""

import io
import math

from rich.console import Console

from polymodal.models import ModelConfig
from polymodal.progress import new_progress
from polymodal.training import TrainConfig, fit
from polymodal.training.progress import TrainingProgress


def test_bar_counts_all_batches_of_the_run(digits, tmp_path):
    out = io.StringIO()
    display = new_progress(console=Console(file=out, force_terminal=True, width=120))
    task = display.add_task("training", total=None)
    bar = TrainingProgress("training", "val_acc", progress=display, task=task)
    config = TrainConfig(epochs=2, batch_size=256, patience=5, accelerator="cpu")
    with display:
        fit(digits, ModelConfig.for_dataset(digits, "early"), config, tmp_path, callbacks=[bar], progress_bar=False)
        display.refresh()
    state = next(t for t in display.tasks if t.id == task)
    per_epoch = math.ceil(len(digits.splits["train"]) / 256)
    assert state.total == state.completed == 2 * per_epoch
    assert "epoch 2/2 (val_acc 0." in state.description
    assert "eta" in out.getvalue()


def test_callback_pickles_before_training():  # as ddp_spawn sends callbacks to its processes
    import pickle

    bar = pickle.loads(pickle.dumps(TrainingProgress("training", "val_acc")))
    assert bar.progress is None and bar.monitor == "val_acc"


def test_a_note_shows_beside_the_epoch():  # e.g. Gradient Blending's estimation between epochs
    from types import SimpleNamespace

    display = new_progress(console=Console(file=io.StringIO(), force_terminal=True, width=120))
    task = display.add_task("training", total=None)
    bar = TrainingProgress("training", progress=display, task=task)
    bar.note(SimpleNamespace(current_epoch=9, max_epochs=30), "Gradient Blending: fused alone, epoch 2/10")
    state = next(t for t in display.tasks if t.id == task)
    assert state.description == "training: epoch 10/30: Gradient Blending: fused alone, epoch 2/10"
