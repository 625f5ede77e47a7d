"""Wall time spent in each named step of a command, to say which step dominates it.

``with step("train"): ...`` adds the block's wall time to the step's total; steps nest, and a
nested step is recorded under its path (``"pid/learned joint"``). The command line writes the
totals to the JSON file named by ``$POLYMODAL_STEP_TIMES`` when a command ends
(``benchmarks/cli_defaults.py`` reads them). Recording costs two clock reads per block.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_totals: dict[str, float] = {}
_stack: list[str] = []


@contextmanager
def step(name: str) -> Iterator[None]:
    """Time the block as step ``name`` (nested inside the step that is running, if any)."""
    path = "/".join([*_stack, name])
    _stack.append(name)
    start = time.perf_counter()
    try:
        yield
    finally:
        _totals[path] = _totals.get(path, 0.0) + time.perf_counter() - start
        _stack.pop()


def step_times() -> dict[str, dict[str, float]]:
    """``{path: {"inclusive": s, "exclusive": s}}``: exclusive leaves out the time of the steps nested in it."""
    out = {}
    for path, total in _totals.items():
        children = sum(t for p, t in _totals.items() if p.startswith(path + "/") and "/" not in p[len(path) + 1:])
        out[path] = {"inclusive": total, "exclusive": max(0.0, total - children)}
    return out


def reset() -> None:
    """Forget the steps recorded so far."""
    _totals.clear()


def write_step_times(path: str | Path) -> None:
    """Write :func:`step_times` as JSON, atomically."""
    from polymodal.io import atomic_write_json

    atomic_write_json(Path(path), step_times())
