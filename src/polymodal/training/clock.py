"""Training wall time that survives an interruption and a resume."""

from __future__ import annotations

import time
from typing import Any

import lightning as L


class TrainingClock(L.Callback):
    """Accumulates the wall time spent in ``fit``; its state is saved in every checkpoint.

    After a resume, :attr:`elapsed` continues from the value in the checkpoint, so the
    reported training time of an interrupted run is the time of all its segments.
    """

    def __init__(self) -> None:
        self.elapsed = 0.0
        self._start: float | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.elapsed = self.total()
        self._start = None

    def total(self) -> float:
        """Seconds of training so far, including earlier segments."""
        return self.elapsed + (time.perf_counter() - self._start if self._start is not None else 0.0)

    def state_dict(self) -> dict[str, Any]:
        return {"elapsed": self.total()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.elapsed = float(state_dict["elapsed"])
