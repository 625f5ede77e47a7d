"""Step times: nesting, inclusive and exclusive times, against hand-computed clock readings."""

import json

import pytest

from polymodal import timing


@pytest.fixture
def clock(monkeypatch):
    # outer starts, inner starts/ends, inner starts/ends, outer ends, second starts/ends
    readings = iter([0.0, 1.0, 3.5, 4.0, 9.0, 10.0, 10.0, 12.0])
    monkeypatch.setattr(timing.time, "perf_counter", lambda: next(readings))
    timing.reset()
    yield
    timing.reset()


def test_nested_steps_add_up_by_hand(clock, tmp_path):
    with timing.step("outer"):
        with timing.step("inner"):
            pass
        with timing.step("inner"):
            pass
    with timing.step("second"):
        pass
    times = timing.step_times()
    assert set(times) == {"outer", "outer/inner", "second"}
    assert times["outer/inner"] == pytest.approx({"inclusive": 2.5 + 5.0, "exclusive": 7.5})
    assert times["outer"] == pytest.approx({"inclusive": 10.0, "exclusive": 2.5})
    assert times["second"] == pytest.approx({"inclusive": 2.0, "exclusive": 2.0})
    timing.write_step_times(tmp_path / "steps.json")
    written = json.loads((tmp_path / "steps.json").read_text())
    assert {k: pytest.approx(v) for k, v in times.items()} == written


def test_a_failing_block_is_still_timed(clock):
    with pytest.raises(RuntimeError), timing.step("outer"):
        raise RuntimeError("boom")
    assert timing.step_times()["outer"]["inclusive"] == pytest.approx(1.0)
    with timing.step("after"):  # the stack was unwound: not nested under "outer"
        pass
    assert "after" in timing.step_times()
