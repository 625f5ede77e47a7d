"""A progress bar over a training run, as a Lightning callback (see :mod:`polymodal.progress`)."""

from __future__ import annotations

from typing import Any

import lightning as L
from rich.progress import Progress, TaskID

from polymodal.progress import new_progress


class TrainingProgress(L.Callback):
    """A Lightning callback: one bar over all training batches of the run, with the epoch and the monitored score.

    The total is ``max_epochs x batches per epoch``, so with early stopping the time left is an
    upper bound; the bar is completed when training ends.

    Args:
        description: text left of the bar.
        monitor: validation metric shown beside the epoch (e.g. ``val_acc``).
        progress: draw into this display (default: a new one on stderr, closed when training ends).
        task: an existing task of ``progress`` to drive (default: a new one).
    """

    def __init__(self, description: str = "training", monitor: str | None = None, progress: Progress | None = None,
                 task: TaskID | None = None) -> None:
        self.description, self.monitor = description, monitor
        self._own = progress is None  # a display of its own is made when training starts (picklable until then)
        self.progress: Progress | None = progress
        self.task = task
        self._score = ""
        self._total: int | None = None

    def _label(self, trainer: L.Trainer) -> str:
        return f"{self.description}: epoch {trainer.current_epoch + 1}/{trainer.max_epochs}{self._score}"

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.progress is None:
            self.progress = new_progress()
        if not trainer.is_global_zero:  # one bar per run, not one per process
            self.progress.disable = True
        if self._own:
            self.progress.start()
        per_epoch = int(trainer.num_training_batches) if trainer.num_training_batches != float("inf") else None
        total = self._total = per_epoch * int(trainer.max_epochs) if per_epoch else None
        done = per_epoch * trainer.current_epoch if per_epoch else 0
        if self.task is None:
            self.task = self.progress.add_task(self._label(trainer), total=total, completed=done)
        else:
            self.progress.reset(self.task, total=total, completed=done, description=self._label(trainer))

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        self.progress.update(self.task, advance=1, description=self._label(trainer))

    def note(self, trainer: L.Trainer, text: str) -> None:
        """Show ``text`` beside the epoch until the next batch ends (work between steps, e.g. a
        balancing method's own training)."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=f"{self._label(trainer)}: {text}")

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # (after the module's own epoch-end hook has logged the metric)
        if not trainer.sanity_checking:
            self._show_score(trainer)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # a module that validates itself logs the metric after the callbacks' epoch-end hooks ran
        self._show_score(trainer)

    def _show_score(self, trainer: L.Trainer) -> None:
        score = trainer.callback_metrics.get(self.monitor) if self.monitor else None
        if score is not None:
            self._score = f" ({self.monitor} {float(score):.3f})"
            self.progress.update(self.task, description=self._label(trainer))

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.task is not None and self._total is not None:
            self.progress.update(self.task, completed=self._total)
        if self._own:
            self.progress.stop()
