"""The bench's display: every run counted on the methods bar, each run's batches on the training bar."""

import io
import math

from rich.console import Console

from polymodal.bench import run_bench
from polymodal.bench.progress import BenchProgress
from polymodal.training import TrainConfig


def test_methods_and_batches_are_counted(digits, tmp_path):
    out = io.StringIO()
    config = TrainConfig(epochs=2, batch_size=256, patience=5, accelerator="cpu")
    with BenchProgress(Console(file=out, force_terminal=True, width=120)) as display:
        results = run_bench(digits, ["late"], config, tmp_path, on_method=display.on_method)
        display.finish(sum(len(r) for r in results["runs"].values()))
        tasks = {t.id: t for t in display.progress.tasks}
    methods, training = tasks[display.methods], tasks[display.training]
    assert methods.total == methods.completed == 3  # two unimodal baselines and late fusion
    assert training.total == training.completed == 2 * math.ceil(len(digits.splits["train"]) / 256)
    assert training.description.startswith("  late: epoch 2/2 (val_acc 0.")
    assert "eta" in out.getvalue()
