"""A general-purpose reference for the BROJA optimisation: cvxpy's exponential cone, solved by Clarabel.

For tests and benchmarks only (``pip install polymodal[test]``); :func:`polymodal.information.pid`
never needs it. It is the formulation the published estimators use, written independently of
:mod:`polymodal.information.broja`, so that the two can check each other.
"""

from __future__ import annotations

import numpy as np


def reference_min_conditional_entropy(p: np.ndarray, tol: float = 1e-9) -> float:
    """min over q in Delta_p of sum q log(q / q(x1, x2)) in nats, by ``cvxpy.rel_entr`` and Clarabel.

    Args:
        p: joint distribution, shape (|X1|, |X2|, |Y|).
        tol: Clarabel's absolute and relative gap tolerances.

    Returns:
        The optimal value, -H_q*(Y | X1, X2) in nats.

    Raises:
        ImportError: cvxpy or clarabel is not installed.
        RuntimeError: Clarabel did not report an optimal solution.
    """
    import cvxpy as cp

    n1, n2, k = p.shape
    q = cp.Variable((n1 * n2, k), nonneg=True)
    pair = cp.sum(q, axis=1, keepdims=True) @ np.ones((1, k))
    rows = np.kron(np.eye(n1), np.ones((1, n2)))  # sums over x2: q(x1, y)
    cols = np.kron(np.ones((1, n1)), np.eye(n2))  # sums over x1: q(x2, y)
    problem = cp.Problem(
        cp.Minimize(cp.sum(cp.rel_entr(q, pair))),
        [rows @ q == p.sum(axis=1), cols @ q == p.sum(axis=0)],
    )
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol)
    if problem.status != "optimal":
        raise RuntimeError(f"Clarabel finished with status {problem.status!r}")
    return float(problem.value)


def reference_pid(p: np.ndarray) -> dict[str, float]:
    """R, U1, U2, S in bits from the reference optimum, with the definitions of :func:`polymodal.information.pid`.

    The entropies are computed here from scratch, not with :mod:`polymodal.information.measures`.
    """

    def h(v: np.ndarray) -> float:
        v = v[v > 0]
        return float(-(v * np.log2(v)).sum())

    h_y = h(p.sum((0, 1)))
    i1 = h(p.sum((1, 2))) + h_y - h(p.sum(1).ravel())
    i2 = h(p.sum((0, 2))) + h_y - h(p.sum(0).ravel())
    i12 = h(p.sum(2).ravel()) + h_y - h(p.ravel())
    i12_q = h_y + reference_min_conditional_entropy(p) / np.log(2)
    return {"R": i1 + i2 - i12_q, "U1": i12_q - i2, "U2": i12_q - i1, "S": i12 - i12_q}
