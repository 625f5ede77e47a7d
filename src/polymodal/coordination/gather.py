"""Gather embeddings from every data-parallel process, keeping the gradient of the local ones."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of the default process group, ``(0, 1)`` when there is none."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def gather_with_local_grad(x: Tensor) -> Tensor:
    """Concatenate ``x`` from every process in rank order: ``(B_r, D) -> (sum_r B_r, D)``.

    The rows from other processes are constants; this process's rows are ``x`` itself, so a
    loss on the gathered batch sends gradients to the local embeddings only. Every process
    computes the same loss value ``L``; process ``r`` obtains ``dL/dx_r``. Data-parallel training
    averages parameter gradients over ``W`` processes, so the full-batch gradient is recovered
    by back-propagating ``W * L`` (what :class:`~polymodal.coordination.module.CoordinationModule`
    does). Batches may differ in size between processes. Without a process group, returns ``x``.
    """
    rank, size = world()
    if size == 1:
        return x
    sizes = [torch.zeros(1, dtype=torch.long, device=x.device) for _ in range(size)]
    dist.all_gather(sizes, torch.tensor([len(x)], device=x.device))
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros((longest, *x.shape[1:]), dtype=x.dtype, device=x.device)
    padded[: len(x)] = x.detach()
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded)
    rows = [p[: int(s.item())] for p, s in zip(parts, sizes)]
    rows[rank] = x
    return torch.cat(rows)
