"""How many threads the command line lets PyTorch use: the cores nobody else is using.

PyTorch's CPU kernels run an OpenMP team of one thread per core and wait at a barrier after
each operation. When another process keeps one of the cores busy, every barrier waits for the
thread that lost its core, and training slows several-fold (on a 2-core machine with one core
busy, 2 threads were slower than 1: ``benchmarks/loop_overhead.py``). So the command line asks
for ``cores - load`` threads (at least one), read once at start-up, before PyTorch loads:

    threads = max(1, min(cores, round(cores - load_1min)))

where ``cores`` are the cores this process may run on and ``load_1min`` the kernel's one-minute
load average (runnable processes). ``$POLYMODAL_THREADS`` sets the number instead, and a
``$OMP_NUM_THREADS`` the user set is left alone.
"""

from __future__ import annotations

import os

from polymodal.errors import ConfigError

THREADS_ENV = "POLYMODAL_THREADS"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; ``os.cpu_count()`` where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


def choose_threads(cores: int | None = None, load: float | None = None) -> int:
    """``max(1, min(cores, round(cores - load)))``: the cores left free by the other processes.

    Args:
        cores: usable cores (default :func:`usable_cores`).
        load: the one-minute load average (default ``os.getloadavg()[0]``).
    """
    cores = usable_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # pragma: no cover
            load = 0.0
    return max(1, min(cores, round(cores - load)))


def configure_threads(environ: dict[str, str] | None = None) -> int | None:
    """Set ``OMP_NUM_THREADS`` (and MKL's) for PyTorch, before it is imported; returns the number set.

    ``$POLYMODAL_THREADS`` (a positive integer) wins; an ``OMP_NUM_THREADS`` already set is kept
    (``None`` is returned); otherwise :func:`choose_threads`.

    Raises:
        ConfigError: ``$POLYMODAL_THREADS`` is not a positive integer.
    """
    env = os.environ if environ is None else environ
    given = env.get(THREADS_ENV)
    if given is not None:
        if not given.strip().isdigit() or int(given) < 1:
            raise ConfigError(f"${THREADS_ENV}={given!r}: give a positive number of threads, e.g. {THREADS_ENV}=2")
        threads = int(given)
    elif "OMP_NUM_THREADS" in env:
        return None
    else:
        threads = choose_threads()
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return threads
