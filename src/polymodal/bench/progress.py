"""A Rich progress display for a benchmark: methods done (with the time left), and the current method's batches."""

from __future__ import annotations

from typing import Any

import lightning as L
from rich.console import Console

from polymodal.bench.runner import Method
from polymodal.progress import new_progress
from polymodal.training.progress import TrainingProgress


class BenchProgress:
    """Context manager: one bar over the methods, one over the current method's training batches."""

    def __init__(self, console: Console | None = None, enabled: bool = True) -> None:
        self.progress = new_progress(enabled, console=console)

    def __enter__(self) -> "BenchProgress":
        self.progress.__enter__()
        self.methods = self.progress.add_task("methods", total=None)
        self.training = self.progress.add_task("  training", total=None)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def on_method(self, method: Method, position: int, total: int) -> list[L.Callback]:
        """Hook for :func:`run_bench`: show the method and return the callback that drives its training bar."""
        self.progress.update(self.methods, total=total, completed=position, description=f"bench: {method.name}")
        self.progress.reset(self.training, total=None, description=f"  {method.name}")
        return [TrainingProgress(f"  {method.name}", "val_acc", progress=self.progress, task=self.training)]

    def finish(self, total: int) -> None:
        """Mark every method done."""
        self.progress.update(self.methods, completed=total, description="bench: done")
