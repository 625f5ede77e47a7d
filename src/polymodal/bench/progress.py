"""A Rich progress display for a benchmark: methods done (with the time left), and the current method's epoch."""

from __future__ import annotations

from typing import Any

import lightning as L
from rich.console import Console
from rich.progress import Progress

from polymodal.bench.runner import Method
from polymodal.progress import new_progress


class EpochProgress(L.Callback):
    """Advances a Rich task by one step per finished training epoch."""

    def __init__(self, progress: Progress, task: Any, method: str) -> None:
        self.progress, self.task, self.method = progress, task, method

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.progress.update(self.task, total=trainer.max_epochs, completed=trainer.current_epoch,
                             description=f"  {self.method}")

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # (after the module's own epoch-end hook has logged val_acc)
        acc = trainer.callback_metrics.get("val_acc")
        if acc is not None and not trainer.sanity_checking:
            self.progress.update(self.task, completed=trainer.current_epoch + 1,
                                 description=f"  {self.method} (val acc {float(acc):.3f})")


class BenchProgress:
    """Context manager: one bar over the methods, one over the current method's epochs."""

    def __init__(self, console: Console | None = None, enabled: bool = True) -> None:
        self.progress = new_progress(enabled, console=console)

    def __enter__(self) -> "BenchProgress":
        self.progress.__enter__()
        self.methods = self.progress.add_task("methods", total=None)
        self.epochs = self.progress.add_task("  epochs", total=None)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def on_method(self, method: Method, position: int, total: int) -> list[L.Callback]:
        """Hook for :func:`run_bench`: show the method and return its epoch callback."""
        self.progress.update(self.methods, total=total, completed=position, description=f"bench: {method.name}")
        self.progress.reset(self.epochs, total=None, description=f"  {method.name}")
        return [EpochProgress(self.progress, self.epochs, method.name)]

    def finish(self, total: int) -> None:
        """Mark every method done."""
        self.progress.update(self.methods, completed=total, description="bench: done")
