"""A LightningModule base kept off the per-step hot path: training losses summed per step and
written once per epoch (sample-weighted means) in one logger row, and no nn.Module bookkeeping for
Lightning's per-hook attribute."""

from __future__ import annotations

from collections.abc import Iterable

import lightning as L
import torch


class EpochMeans(L.LightningModule):
    """A LightningModule base that sums training values per epoch and logs each mean at the epoch's end.

    ``self.log(name, value, on_step=False, on_epoch=True, batch_size=n)`` on every step gives the
    same figure, ``sum_b n_b value_b / sum_b n_b``, but its bookkeeping costs more than a small
    model's whole step (on digits a fifth of the training time). Call :meth:`accumulate` in
    ``training_step`` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        #: ``{name: [sum_b n_b * value_b (a detached tensor), sum_b n_b]}`` since the epoch began
        self._epoch_sums: dict[str, list] = {}

    def __setattr__(self, name: str, value: object) -> None:
        # Lightning sets _current_fx_name around every hook call, some fifty times a step; a plain
        # string needs none of nn.Module's checks for parameters, modules and buffers (they cost
        # a tenth of a small model's training time on digits).
        if name == "_current_fx_name":
            self.__dict__[name] = value
        else:
            super().__setattr__(name, value)

    def accumulate(self, name: str, value: torch.Tensor, n: int) -> None:
        """Add a batch's mean ``value`` (a scalar tensor) over ``n`` samples to ``name``'s epoch sums."""
        sums = self._epoch_sums.setdefault(name, [0.0, 0])
        sums[0] = sums[0] + value.detach() * n
        sums[1] += n

    def on_train_epoch_start(self) -> None:
        self._epoch_sums = {}

    def epoch_means(self) -> dict[str, torch.Tensor]:
        """``{name: sum_b n_b value_b / sum_b n_b}`` over the steps of the epoch so far (scalar tensors)."""
        return {name: total / n for name, (total, n) in self._epoch_sums.items()}

    def log_epoch(self, metrics: dict[str, torch.Tensor | float], monitor: Iterable[str] = ()) -> None:
        """Write ``metrics`` as one row of every logger, and the ``monitor`` names to the callbacks.

        The row is the one ``self.log(name, value)`` in ``on_train_epoch_end`` makes (an ``epoch``
        column, the step of the epoch's last optimizer step), without its bookkeeping of about a
        millisecond per metric. Early stopping, checkpoints and the progress bar read
        ``trainer.callback_metrics``: only the names in ``monitor`` go there (through ``self.log``
        with ``logger=False``).

        Args:
            metrics: ``{name: scalar}`` of this epoch.
            monitor: names of ``metrics`` that callbacks watch.
        """
        for name in monitor:
            self.log(name, metrics[name], logger=False)
        if not metrics:
            return
        # rounded to float32 as self.log rounds them, so the log does not depend on the path taken
        row = {name: torch.as_tensor(value, dtype=torch.float32).item() for name, value in metrics.items()}
        row["epoch"] = self.current_epoch
        for logger in self.loggers:
            logger.log_metrics(row, step=self.global_step - 1)
            logger.save()

    def on_train_epoch_end(self) -> None:
        self.log_epoch(self.epoch_means())
