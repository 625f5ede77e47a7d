"""Progress bars for long work: Rich, on stderr, with the time elapsed and an estimate of the time left.

Bars appear only when both stdout and stderr are terminals (``POLYMODAL_PROGRESS=0`` turns them
off, ``=1`` on), so logs and pipes stay clean. Library functions take ``progress: bool`` and ask
:func:`progress_bar` for a bar; with ``progress=False`` (their default) they draw nothing.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def progress_enabled() -> bool:
    """Whether bars should be drawn: ``$POLYMODAL_PROGRESS`` if set (0/1), else stdout and stderr are terminals."""
    forced = os.environ.get("POLYMODAL_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stdout.isatty() and sys.stderr.isatty()


def new_progress(enabled: bool = True, *, transient: bool = False, console: Console | None = None) -> Progress:
    """A Rich :class:`~rich.progress.Progress` with description, bar, count, elapsed time and time left.

    Args:
        enabled: ``False`` gives a disabled display (every call is a no-op).
        transient: remove the bars when done.
        console: where to draw (default: stderr).
    """
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("eta"), TimeRemainingColumn(), console=console or Console(stderr=True),
        disable=not enabled, transient=transient,
    )


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool, *, transient: bool = True
                 ) -> Iterator[Callable[..., None]]:
    """One bar over ``total`` units of work; yields ``advance(n=1, description=None)``.

    Args:
        description: text left of the bar.
        total: number of units (``None``: unknown).
        enabled: draw it (``False``: ``advance`` does nothing).
        transient: remove the bar when the work is done.
    """
    with new_progress(enabled, transient=transient) as progress:
        task = progress.add_task(description, total=total)

        def advance(n: float = 1, description: str | None = None) -> None:
            progress.update(task, advance=n, **({"description": description} if description else {}))

        yield advance
