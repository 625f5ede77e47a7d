"""Two CPU processes (gloo): the gathered contrastive loss equals the single-process loss."""

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from polymodal.coordination.contrastive import infonce_terms, max_margin_terms
from polymodal.coordination.gather import gather_with_local_grad

SIZES = (5, 3)  # uneven local batches


def _data():
    g = torch.Generator().manual_seed(0)
    x_a = torch.randn(sum(SIZES), 6, generator=g, dtype=torch.float64)
    x_b = torch.randn(sum(SIZES), 6, generator=g, dtype=torch.float64)
    torch.manual_seed(1)
    enc = torch.nn.Linear(6, 4).double()
    return x_a, x_b, enc


def _losses(z_a, z_b):
    return {"infonce": infonce_terms(z_a, z_b, 2.5)["loss"], "margin": max_margin_terms(z_a, z_b, 0.2)["loss"]}


def _worker(rank, port, out_dir):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    try:
        x_a, x_b, enc = _data()
        ddp = torch.nn.parallel.DistributedDataParallel(enc)
        lo = sum(SIZES[:rank])
        rows = slice(lo, lo + SIZES[rank])
        result = {}
        for name in ("infonce", "margin"):
            ddp.zero_grad()
            z_a = gather_with_local_grad(ddp(x_a[rows]))
            z_b = gather_with_local_grad(ddp(x_b[rows]))
            loss = _losses(z_a, z_b)[name]
            (loss * dist.get_world_size()).backward()  # DDP averages; W * L recovers the sum
            result[name] = (loss.detach(), [p.grad.clone() for p in enc.parameters()])
        torch.save(result, os.path.join(out_dir, f"rank{rank}.pt"))
        del ddp, result, z_a, z_b, loss
        dist.barrier()  # neither rank tears down gloo while the other still talks to it
    finally:
        dist.destroy_process_group()
    # Gloo's worker threads can abort the interpreter's teardown (SIGABRT, "terminate called
    # without an active exception"); the results are on disk, so leave without that teardown.
    os._exit(0)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_equal_one_process_on_the_concatenated_batch(tmp_path):
    mp.start_processes(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, start_method="spawn")
    x_a, x_b, enc = _data()
    for name in ("infonce", "margin"):
        enc.zero_grad()
        loss = _losses(enc(x_a), enc(x_b))[name]
        loss.backward()
        for rank in (0, 1):
            got_loss, got_grads = torch.load(tmp_path / f"rank{rank}.pt")[name]
            torch.testing.assert_close(got_loss, loss.detach(), rtol=1e-12, atol=1e-14)
            for g, p in zip(got_grads, enc.parameters()):
                torch.testing.assert_close(g, p.grad, rtol=1e-10, atol=1e-12)


def test_without_process_group_returns_input():
    x = torch.randn(3, 2)
    assert gather_with_local_grad(x) is x
