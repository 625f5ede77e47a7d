"""Fixtures for the information tests."""

from __future__ import annotations

import pytest

from polymodal.information.reference import reference_pid as _reference_pid


@pytest.fixture(scope="session")
def reference_pid():
    """The independent reference PID (cvxpy + Clarabel): p(x1, x2, y) -> {"R", "U1", "U2", "S"} in bits."""
    return _reference_pid
