"""How many threads the command line lets PyTorch use: the cores nobody else is using.

PyTorch's CPU kernels run an OpenMP team of one thread per core and wait at a barrier after
each operation. When another process keeps one of the cores busy, every barrier waits for the
thread that lost its core, and training slows several-fold (on a 2-core machine with one core
busy, 2 threads were slower than 1: ``benchmarks/loop_overhead.py``). So the command line asks
for the cores nobody else is using (at least one), measured once at start-up, before PyTorch
loads:

    threads = max(1, min(cores, round(cores - busy)))

where ``cores`` are the cores this process may run on and ``busy`` the cores the machine kept busy
over the last quarter second (``/proc/stat``; this process sleeps meanwhile). Not the load
average: it remembers the last minute, so a command run right after another training would see
the previous run's load and take one thread on an idle machine. Where ``/proc/stat`` cannot be
read, the one-minute load average stands in. ``$POLYMODAL_THREADS`` sets the number instead, and
a ``$OMP_NUM_THREADS`` the user set is left alone.
"""

from __future__ import annotations

import os
import time

from polymodal.errors import ConfigError

THREADS_ENV = "POLYMODAL_THREADS"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity; ``os.cpu_count()`` where there is none)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


def _cpu_times() -> tuple[int, int]:
    """``(busy, total)`` jiffies of all cores since boot, from the first line of ``/proc/stat``."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_cores(window_s: float = 0.25) -> float:
    """How many cores the machine keeps busy: ``all cores * busy share of the jiffies`` over
    ``window_s`` seconds (this process sleeps meanwhile); the one-minute load average where
    ``/proc/stat`` cannot be read."""
    try:
        busy0, total0 = _cpu_times()
        time.sleep(window_s)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except OSError:  # pragma: no cover
            return 0.0
    share = (busy1 - busy0) / max(1, total1 - total0)
    return share * (os.cpu_count() or 1)


def choose_threads(cores: int | None = None, busy: float | None = None) -> int:
    """``max(1, min(cores, round(cores - busy)))``: the cores left free by the other processes.

    Args:
        cores: usable cores (default :func:`usable_cores`).
        busy: cores kept busy by others (default :func:`busy_cores`).
    """
    cores = usable_cores() if cores is None else cores
    busy = busy_cores() if busy is None else busy
    return max(1, min(cores, round(cores - busy)))


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
