"""Complexity figures per trained model, as MultiBench reports them."""

from __future__ import annotations

import resource
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from polymodal.data.loader import batch_loader
from polymodal.data.padded import Padded

_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class PeakMemory:
    """Peak memory of the code inside a ``with`` block, in MiB.

    On CUDA, the peak of ``torch.cuda.max_memory_allocated``. On the CPU, the process's peak
    resident set size (``VmHWM``), reset at the start of the block where Linux allows
    (``/proc/self/clear_refs``); elsewhere the lifetime peak from ``getrusage``. The method
    used is in :attr:`method`.
    """

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self.peak_mib: float = float("nan")
        self.method = ""

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.empty(0, device=self.device)  # the allocator's statistics exist once it has been used
            torch.cuda.reset_peak_memory_stats(self.device)
            self.method = "cuda_max_allocated"
        else:
            try:
                _CLEAR_REFS.write_text("5")
                self.method = "peak_rss"
            except OSError:
                self.method = "lifetime_peak_rss"
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.device.type == "cuda":
            self.peak_mib = torch.cuda.max_memory_allocated(self.device) / 2**20
            return
        if self.method == "peak_rss":
            for line in _STATUS.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_mib = int(line.split()[1]) / 1024
                    return
        self.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def to_device(batch: Any, device: torch.device) -> Any:
    """Move a (nested dict of) tensor batch to ``device``."""
    if isinstance(batch, (torch.Tensor, Padded)):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


@torch.inference_mode()
def inference_time_per_sample(
    model: nn.Module, dataset: Dataset, batch_size: int = 256, repeats: int = 3, device: str | torch.device = "cpu"
) -> float:
    """Median over ``repeats`` passes of the wall time of ``model`` on ``dataset``, divided by its size (seconds).

    Data loading is excluded: batches are materialised on the device before timing.
    """
    device = torch.device(device)
    model = model.to(device).eval()
    batches = [to_device(b["inputs"], device) for b in batch_loader(dataset, batch_size)]
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        for inputs in batches:
            model(inputs)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / max(len(dataset), 1)
