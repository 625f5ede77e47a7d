"""``last.ckpt`` at the end of every epoch, written atomically: what a resumed run continues from.

Lightning's ``ModelCheckpoint(save_last=True)`` writes ``last.ckpt`` only in the steps in which it
saved a monitored checkpoint (Lightning >= 2.3), i.e. when the validation score improved; a run
interrupted after epochs without improvement resumed from the best epoch and trained those
epochs again. This callback writes ``last.ckpt`` at the end of every training epoch, after early
stopping and the best checkpoint have seen the epoch's validation. When the best checkpoint was
written in the same step it holds the same state, so it is copied instead of serialised again (a
few hundred microseconds instead of milliseconds).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class LastCheckpoint(ModelCheckpoint):
    """Save the trainer's whole state to ``path`` at the end of each training epoch (process 0 writes).

    It is a :class:`ModelCheckpoint` only so that Lightning runs it where it runs checkpoint
    callbacks, after early stopping and after ``best`` (given before it): the state it saves is
    the epoch's final one, and a resumed run starts with the next epoch.

    Args:
        path: the ``last.ckpt`` file.
        best: the callback writing the best checkpoint, whose file is copied in the epochs it saved.
    """

    def __init__(self, path: str | Path, best: ModelCheckpoint) -> None:
        path = Path(path)
        super().__init__(dirpath=path.parent, filename=path.stem, save_top_k=0, enable_version_counter=False)
        self.path, self.best = path, best
        self._seen_best_score: object = None  # best.best_model_score at the last epoch end

    def _best_saved_this_epoch(self) -> bool:
        """Whether ``best`` wrote its file since the previous epoch end: it replaces its
        ``best_model_score`` (the epoch's monitored tensor) exactly when it saves."""
        score = self.best.best_model_score
        saved = score is not None and score is not self._seen_best_score and bool(self.best.best_model_path)
        self._seen_best_score = score
        return saved

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """A resumed run restored ``best``'s score from the checkpoint: that score was saved in an
        earlier run, not in the first epoch of this one (taken for new, the first epoch without
        improvement after a resume copied the best epoch's state into ``last.ckpt``)."""
        super().on_train_start(trainer, pl_module)
        self._seen_best_score = self.best.best_model_score

    def on_train_batch_end(self, *args: object, **kwargs: object) -> None:
        """Nothing: saving happens at the end of the epoch."""

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Nothing: saving happens at the end of the epoch."""

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        if self._best_saved_this_epoch():
            if trainer.is_global_zero:  # best.ckpt was written this epoch, after everything else ran
                shutil.copyfile(self.best.best_model_path, tmp)
        else:
            trainer.save_checkpoint(tmp)  # every process takes part; process 0 writes
        if trainer.is_global_zero:
            os.replace(tmp, self.path)
