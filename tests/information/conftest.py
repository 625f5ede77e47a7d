"""Fixtures for the information tests: an independent BROJA solver (cvxpy's exponential cone, Clarabel)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest


def _reference_min_conditional_entropy(p: np.ndarray) -> float:
    """min over q in Delta_p of sum q log(q / q(x1, x2)) (nats), by cvxpy's rel_entr and Clarabel."""
    n1, n2, k = p.shape
    q = cp.Variable((n1 * n2, k), nonneg=True)
    pair = cp.sum(q, axis=1, keepdims=True) @ np.ones((1, k))
    rows = np.kron(np.eye(n1), np.ones((1, n2)))  # sums over x2: q(x1, y)
    cols = np.kron(np.ones((1, n1)), np.eye(n2))  # sums over x1: q(x2, y)
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(q, pair))),
        [rows @ q == p.sum(axis=1), cols @ q == p.sum(axis=0)],
    )
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9)
    assert problem.status == "optimal", problem.status
    return float(problem.value)


def _reference_pid(p: np.ndarray) -> dict[str, float]:
    """R, U1, U2, S in bits from the reference optimum (same definitions as polymodal.information.pid)."""

    def h(v: np.ndarray) -> float:
        v = v[v > 0]
        return float(-(v * np.log2(v)).sum())

    h_y = h(p.sum((0, 1)))
    i1 = h(p.sum((1, 2))) + h_y - h(p.sum(1).ravel())
    i2 = h(p.sum((0, 2))) + h_y - h(p.sum(0).ravel())
    i12 = h(p.sum(2).ravel()) + h_y - h(p.ravel())
    i12_q = h_y + _reference_min_conditional_entropy(p) / np.log(2)
    return {"R": i1 + i2 - i12_q, "U1": i12_q - i2, "U2": i12_q - i1, "S": i12 - i12_q}


@pytest.fixture(scope="session")
def reference_pid():
    """The reference PID: a function from p(x1, x2, y) to a dict of R, U1, U2, S in bits."""
    return _reference_pid
