"""A LightningModule base kept off the per-step hot path: training losses logged once per epoch
(sample-weighted means), and no nn.Module bookkeeping for Lightning's per-hook attribute."""

from __future__ import annotations

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

    def on_train_epoch_end(self) -> None:
        for name, (total, n) in self._epoch_sums.items():
            self.log(name, total / n)
