"""Relative and effective robustness against trapezoids computed by hand."""

import pytest

from polymodal.errors import ConfigError
from polymodal.robustness.metrics import effective_robustness, relative_robustness


def test_relative_robustness_is_the_hand_trapezoid():
    levels = [0.0, 0.1, 0.2, 0.3]
    acc = [0.9, 0.8, 0.6, 0.5]
    # 0.1 * ((0.9 + 0.8) / 2 + (0.8 + 0.6) / 2 + (0.6 + 0.5) / 2) = 0.1 * (0.85 + 0.7 + 0.55)
    assert relative_robustness(levels, acc) == pytest.approx(0.21)
    assert relative_robustness([0.0, 0.5, 1.0], [1.0, 1.0, 0.0]) == pytest.approx(0.75)  # uneven steps


def test_effective_robustness_is_the_excess_over_shifted_late_fusion():
    levels = [0.0, 0.1, 0.2]
    acc, late = [0.9, 0.85, 0.8], [0.8, 0.7, 0.5]
    # shifted late fusion: late + 0.1 = [0.9, 0.8, 0.6]; excess [0, 0.05, 0.2]; 0.1 * (0.025 + 0.125)
    assert effective_robustness(levels, acc, late) == pytest.approx(0.015)
    assert effective_robustness(levels, late, late) == 0.0
    assert effective_robustness(levels, [a - 0.3 for a in late], late) == pytest.approx(0.0, abs=1e-12)  # same drop


@pytest.mark.parametrize("levels,acc", [([0.1, 0.2], [1, 1]), ([0.0, 0.2, 0.1], [1, 1, 1]), ([0.0], [1.0]),
                                        ([0.0, 0.1], [1.0])])
def test_bad_curves_are_errors(levels, acc):
    with pytest.raises(ConfigError):
        relative_robustness(levels, acc)
