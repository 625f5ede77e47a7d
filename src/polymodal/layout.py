"""Where a run's files live: the one owner of the run-folder layout.

A training run (``polymodal train``, or one method and seed of a bench) is a folder::

    RUN/checkpoints/best.ckpt     best validation score (the model that is evaluated)
    RUN/checkpoints/last.ckpt     end of the latest epoch (for resuming)
    RUN/logs/metrics.csv          per-epoch metrics
    RUN/result.json               test metrics and settings
    RUN/test_predictions.csv      index,label,prediction of every test sample
    RUN/imbalance.png             each modality's contribution to accuracy per epoch

A bench (``polymodal bench``) is a folder of runs::

    BENCH/results.json                    every run's result, per method and seed
    BENCH/runs/<method slug>/seed-<S>/    one training run, laid out as above

Every module that reads or writes these paths asks this module, so the layout is written
down once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from polymodal.errors import DataFileError

CHECKPOINT_DIR = "checkpoints"
BEST_CHECKPOINT = "best.ckpt"
LAST_CHECKPOINT = "last.ckpt"
RESULT_FILE = "result.json"
PREDICTIONS_FILE = "test_predictions.csv"
IMBALANCE_FIGURE = "imbalance.png"
METRICS_LOG = "logs/metrics.csv"
BENCH_RESULTS_FILE = "results.json"
BENCH_RUNS_DIR = "runs"
SEED_PREFIX = "seed-"


def method_slug(method: str) -> str:
    """File-system name of a bench method's folder: ``"unimodal:image"`` -> ``"unimodal-image"``."""
    return method.replace(":", "-")


@dataclass(frozen=True)
class RunLayout:
    """The files of one training run under ``root``."""

    root: Path

    @property
    def checkpoints(self) -> Path:
        return self.root / CHECKPOINT_DIR

    @property
    def best(self) -> Path:
        return self.checkpoints / BEST_CHECKPOINT

    @property
    def last(self) -> Path:
        return self.checkpoints / LAST_CHECKPOINT

    @property
    def result(self) -> Path:
        return self.root / RESULT_FILE

    @property
    def predictions(self) -> Path:
        return self.root / PREDICTIONS_FILE

    @property
    def imbalance_figure(self) -> Path:
        return self.root / IMBALANCE_FIGURE

    @property
    def metrics_log(self) -> Path:
        return self.root / METRICS_LOG

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> "RunLayout":
        """The run a checkpoint belongs to (``RUN/checkpoints/X.ckpt`` -> ``RUN``; else the file's folder)."""
        path = Path(checkpoint).resolve()
        return cls(path.parent.parent if path.parent.name == CHECKPOINT_DIR else path.parent)

    def bench(self) -> tuple["BenchLayout", str, int] | None:
        """``(bench, method slug, seed)`` when this run is one of a bench's, else ``None``."""
        root = self.root.resolve()
        if not root.name.startswith(SEED_PREFIX) or root.parent.parent.name != BENCH_RUNS_DIR:
            return None
        try:
            seed = int(root.name[len(SEED_PREFIX):])
        except ValueError:
            return None
        return BenchLayout(root.parent.parent.parent), root.parent.name, seed


@dataclass(frozen=True)
class BenchLayout:
    """The files of a bench under ``root``."""

    root: Path

    @property
    def results(self) -> Path:
        return self.root / BENCH_RESULTS_FILE

    def run(self, method: str, seed: int) -> RunLayout:
        """The run of ``method`` (a name or a slug) with training seed ``seed``."""
        return RunLayout(self.root / BENCH_RUNS_DIR / method_slug(method) / f"{SEED_PREFIX}{seed}")

    def read_results(self) -> dict:
        """The content of ``results.json``.

        Raises:
            DataFileError: there is none, or it is not a bench's.
        """
        if not self.results.is_file():
            raise DataFileError(f"{self.root} holds no {BENCH_RESULTS_FILE}; pass the --out folder of 'polymodal bench'")
        try:
            results = json.loads(self.results.read_text())
            results["runs"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataFileError(f"{self.results} is not a polymodal bench's results file ({exc})") from None
        return results
