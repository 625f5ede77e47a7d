"""Progress bars: when they appear, and what they count."""

import io

from rich.console import Console

from polymodal import progress as progress_module
from polymodal.progress import new_progress, progress_bar, progress_enabled


def test_environment_variable_decides_first(monkeypatch):
    monkeypatch.setenv("POLYMODAL_PROGRESS", "1")
    assert progress_enabled()
    monkeypatch.setenv("POLYMODAL_PROGRESS", "0")
    assert not progress_enabled()


def test_no_bar_when_output_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("POLYMODAL_PROGRESS", raising=False)
    # under pytest's capture stdout is not a terminal
    monkeypatch.setattr(progress_module.sys.stdout, "isatty", lambda: False, raising=False)
    assert not progress_enabled()


def test_a_bar_shows_the_count_and_the_time_left():
    out = io.StringIO()
    with new_progress(console=Console(file=out, force_terminal=True, width=100)) as bar:
        task = bar.add_task("work", total=4)
        bar.update(task, advance=3)
        bar.refresh()
    text = out.getvalue()
    assert "3/4" in text and "eta" in text


def test_disabled_bar_draws_nothing(capsys):
    with progress_bar("work", 3, enabled=False) as advance:
        for _ in range(3):
            advance()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
