"""A CSV metrics log that keeps the history of an interrupted run when training resumes.

Lightning's ``CSVLogger`` deletes ``metrics.csv`` whenever its folder is not empty, so a run
resumed from ``last.ckpt`` used to keep only the epochs after the resume. Here the old rows up
to the checkpoint's epoch are kept and the new ones appended.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.pytorch.loggers import CSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter

from polymodal.io import atomic_write


class _ResumingWriter(ExperimentWriter):
    """Lightning's CSV writer, but an existing ``metrics.csv`` is trimmed instead of deleted."""

    def __init__(self, log_dir: str, keep_through_epoch: int | None) -> None:
        self._keep_through_epoch = keep_through_epoch
        super().__init__(log_dir)

    def _check_log_dir_exists(self) -> None:  # called by the base class's __init__
        path = Path(self.metrics_file_path)
        if not path.is_file():
            return
        if self._keep_through_epoch is None:  # a fresh run: the old log belongs to another run
            path.unlink()
            return
        self.metrics_keys = keep_epochs(path, self._keep_through_epoch)


def keep_epochs(path: str | os.PathLike[str], last_epoch: int) -> list[str]:
    """Keep the rows of a Lightning ``metrics.csv`` logged in epochs ``0..last_epoch``, drop test rows.

    Rows of later epochs come from the part of an interrupted epoch that will be trained again;
    test rows (a ``test_*`` column filled) come from an evaluation that will be repeated.

    Args:
        path: the CSV file, rewritten atomically.
        last_epoch: last epoch whose rows are kept (the epoch stored in the checkpoint).

    Returns:
        The file's column names, in file order.
    """
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        rows = [r for r in reader if int(r["epoch"]) <= last_epoch
                and not any(r[k] for k in header if k.startswith("test_"))]

    def write(tmp: Path) -> None:
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)

    atomic_write(path, write)
    return header


class ResumingCSVLogger(CSVLogger):
    """``CSVLogger`` writing ``<save_dir>/logs/metrics.csv`` that survives a resume.

    Args:
        save_dir: the run's folder.
        keep_through_epoch: when resuming, the epoch of the checkpoint training continues from:
            the log's rows of epochs ``0..keep_through_epoch`` are kept; ``None`` for a fresh run
            (an old log is deleted).
    """

    def __init__(self, save_dir: str | os.PathLike[str], keep_through_epoch: int | None) -> None:
        super().__init__(save_dir, name="", version="logs")
        self._keep_through_epoch = keep_through_epoch

    @property
    @rank_zero_experiment
    def experiment(self) -> ExperimentWriter:
        """The writer, created on first use (when Lightning first logs)."""
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _ResumingWriter(self.log_dir, self._keep_through_epoch)
        return self._experiment
