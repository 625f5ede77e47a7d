"""The BROJA optimisation, solved by a structured primal-dual interior-point method with a certified gap.

Problem (Bertschinger, Rauh, Olbrich, Jost and Ay, Entropy 2014). Given p(x1, x2, y), over the set
Delta_p of joints q with q(x1, y) = p(x1, y) and q(x2, y) = p(x2, y), minimise I_q(Y; X1, X2);
since H(Y) is fixed on Delta_p this is

    minimise  F(q) = sum_{x1 x2 y} q(x1, x2, y) log( q(x1, x2, y) / q(x1, x2) )      (= -H_q(Y | X1, X2))

Dual. With P1 = p(x1, y), P2 = p(x2, y) and one multiplier per marginal constraint,

    maximise  D(lam, mu) = <lam, P1> + <mu, P2>
    s.t.      g_ij(lam, mu) = log sum_y exp(lam_iy + mu_jy) <= 0        for every pair (x1 = i, x2 = j),

the sum running over the y allowed for the pair (P1_iy > 0 and P2_jy > 0). The optimal joint is
q_ijy = m_ij softmax_y(lam_iy + mu_jy), m_ij >= 0 the multiplier of the pair's constraint. The dual
has only (|X1| + |X2|) |Y| variables, which is what makes it fast.

Method. A Mehrotra predictor-corrector interior-point method on the dual, with slacks s = -g that
meet the constraints only at convergence (about a dozen iterations on dense joints), a line search
on the KKT residual (the constraints are curved) and slack resetting. Each Newton system has a
structure the solver uses: the lam-lam block is block diagonal (one |Y| x |Y| block per x1), so
lam is eliminated and only a dense system of size |X2| |Y| (the smaller side) is factorised (a
Schur complement, formed with one symmetric rank-k update). On joints whose probabilities span
many orders of magnitude this method can stall; a primal barrier method (Newton on F - t sum log q
over Delta_p, same structured system) then finishes from its best point.

Certificate. At every iteration the primal estimate q is rounded onto Delta_p exactly (Altschuler,
Weed and Rigollet, NeurIPS 2017, Algorithm 2, per y), so F(q_rounded) is an upper bound on the
optimum; the dual iterate, shifted until it is feasible, gives D, a lower bound. The solver stops
when their difference, the certified gap, is below the tolerance; never on a count.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas, cho_factor, cho_solve, eigh
from threadpoolctl import threadpool_limits

LN2 = math.log(2.0)
#: Below this size of the dense (Schur complement) system, the solver runs BLAS on one thread.
SMALL_SYSTEM = 1024


class ConvergenceWarning(UserWarning):
    """The solver reached its iteration limit before certifying the requested gap."""


@dataclass(frozen=True)
class BrojaSolution:
    """The solution of the BROJA optimisation.

    Attributes:
        q: the optimal joint, shape ``(|X1|, |X2|, |Y|)``, with exactly p's (x1, y) and (x2, y) marginals.
        gap_bits: certified bound on F(q) - F(q*), in bits: every quantity computed from ``q``
            (the PID terms) is within this of its exact value.
        iterations: Newton iterations used (both methods together).
        method: ``"interior-point"``, or ``"interior-point, then barrier"`` when the fallback ran.
    """

    q: np.ndarray
    gap_bits: float
    iterations: int
    method: str = "interior-point"


def negative_conditional_entropy(q: np.ndarray) -> float:
    """F(q) = sum q(x1, x2, y) log(q(x1, x2, y) / q(x1, x2)) = -H_q(Y | X1, X2), in nats; q: (n1, n2, k)."""
    pair = q.sum(axis=2, keepdims=True)
    ratio = np.divide(q, pair, out=np.ones_like(q), where=q > 0)
    return float(np.sum(q * np.log(ratio)))


def round_to_marginals(q: np.ndarray, p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Move q onto the set with marginals p1 = q(x1, y), p2 = q(x2, y) exactly, for every y.

    Altschuler, Weed and Rigollet (2017), Algorithm 2: scale rows down to at most p1, columns down
    to at most p2, then add the outer product of the remaining deficits. The result is non-negative
    and differs from q in l1 by at most twice q's marginal violation.

    Args:
        q: non-negative table, shape (n1, n2, k).
        p1: target (x1, y) marginals, shape (n1, k); p2: target (x2, y) marginals, shape (n2, k),
            with p1.sum(0) == p2.sum(0).

    Returns:
        The rounded table, shape (n1, n2, k).
    """
    rows = q.sum(axis=1)
    q = q * np.minimum(1.0, np.divide(p1, rows, out=np.zeros_like(p1), where=rows > 0))[:, None, :]
    cols = q.sum(axis=0)
    q = q * np.minimum(1.0, np.divide(p2, cols, out=np.zeros_like(p2), where=cols > 0))[None, :, :]
    deficit1 = np.maximum(p1 - q.sum(axis=1), 0.0)
    deficit2 = np.maximum(p2 - q.sum(axis=0), 0.0)
    total = deficit1.sum(axis=0)
    scale = np.divide(1.0, total, out=np.zeros_like(total), where=total > 0)
    return q + deficit1[:, None, :] * deficit2[None, :, :] * scale


class _DualState:
    """Quantities at one dual point: softmax r_ij over the allowed y, constraint values g_ij."""

    def __init__(self, lam: np.ndarray, mu: np.ndarray, allowed: np.ndarray, pairs: np.ndarray):
        z = np.where(allowed, lam[:, None, :] + mu[None, :, :], -np.inf)
        top = np.max(z, axis=2, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        e = np.exp(z - top)
        total = e.sum(axis=2, keepdims=True)
        self.r = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
        self.g = np.where(pairs, np.log(np.where(pairs, total[..., 0], 1.0)) + top[..., 0], -1.0)


def solve_broja(p: np.ndarray, tol_bits: float = 1e-8, max_iterations: int = 200) -> BrojaSolution:
    """Minimise I_q(Y; X1, X2) over the joints q with p's (x1, y) and (x2, y) marginals.

    Args:
        p: a validated joint distribution, shape (|X1|, |X2|, |Y|).
        tol_bits: stop when the certified gap F(q) - D(lam, mu) is at most this (bits).
        max_iterations: safety limit; reaching it issues a :class:`ConvergenceWarning` and returns
            the best certified solution found.

    Returns:
        :class:`BrojaSolution` with the optimal q (shape of p) and its certified gap.
    """
    p1_full, p2_full = p.sum(axis=1), p.sum(axis=0)
    keep1, keep2, keep_y = p1_full.sum(1) > 0, p2_full.sum(1) > 0, p.sum((0, 1)) > 0
    p1, p2 = p1_full[keep1][:, keep_y], p2_full[keep2][:, keep_y]
    swapped = p1.shape[0] < p2.shape[0]
    if swapped:  # the Schur complement is formed on the smaller side
        p1, p2 = p2, p1
    method = "interior-point"
    if min(p1.shape[0], p2.shape[0], p1.shape[1]) == 1:
        # One value of X1, X2 or Y: Delta_p holds a single point (or F is 0 on all of it).
        q, gap, iterations = p1[:, None, :] * p2[None, :, :] / p1.sum(0), 0.0, 0
    else:
        tol = tol_bits * LN2
        # Small Newton systems are faster on one BLAS thread (no hand-off cost, no spinning under load).
        threads = 1 if min(p1.shape[0], p2.shape[0]) * p1.shape[1] < SMALL_SYSTEM else None
        with np.errstate(all="ignore"), threadpool_limits(threads):  # a stalled iterate may overflow
            q, gap, iterations = _interior_point(p1, p2, tol, max_iterations)
            if gap > tol:  # the fast method stalled: the robust one, started from its best point
                q_b, gap_b, iterations_b = _primal_barrier(p1, p2, tol, 2 * max_iterations, start=q)
                iterations += iterations_b
                method = "interior-point, then barrier"
                if gap_b < gap:
                    q, gap = q_b, gap_b
        if gap > tol:
            warnings.warn(
                f"BROJA solver stopped after {iterations} iterations with a certified gap of {gap / LN2:.3g} bits, "
                f"above the requested {tol_bits:.3g} bits; the PID terms are exact to within that gap",
                ConvergenceWarning,
                stacklevel=2,
            )
    if swapped:
        q = q.transpose(1, 0, 2)
    full = np.zeros(p.shape)
    full[np.ix_(keep1, keep2, keep_y)] = q
    return BrojaSolution(q=full, gap_bits=gap / LN2, iterations=iterations, method=method)


def _interior_point(p1: np.ndarray, p2: np.ndarray, tol: float, max_iterations: int) -> tuple[np.ndarray, float, int]:
    """Primal-dual interior point on the dual; returns (q, certified gap in nats, iterations)."""
    k = p1.shape[1]
    allowed = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    pairs = allowed.any(axis=2)
    n_pairs = int(pairs.sum())
    free1 = p1 > 0
    # Gauge: (lam_iy + c_y, mu_jy - c_y) changes nothing, so one mu per y is pinned.
    free2 = p2 > 0
    free2[np.argmax(p2, axis=0), np.arange(k)] = False
    # Start from the independent coupling q0 = p(x1, y) p(x2, y) / p(y), which meets the marginals:
    # softmax(lam_i + mu_j) is q0's conditional of y given the pair, and every g_ij <= -1.
    with np.errstate(divide="ignore"):
        lam = np.where(free1, np.log(p1) - np.log(p1.sum(axis=0)), 0.0)
        mu = np.where(p2 > 0, np.log(p2), 0.0)
    pair_mass = _DualState(lam, mu, allowed, pairs).g
    lam -= (np.max(np.where(pairs, pair_mass, -np.inf), axis=1) + 1.0)[:, None]
    m = np.where(pairs, np.exp(pair_mass), 0.0)
    state = _DualState(lam, mu, allowed, pairs)
    s = np.where(pairs, -state.g, 1.0)  # slacks; g + s = 0 is only reached at convergence
    best_upper, best_q, best_lower = math.inf, None, -math.inf
    last_alpha, gaps = 1.0, []
    for iteration in range(1, max_iterations + 1):
        q = m[..., None] * state.r
        residual1 = np.where(free1, q.sum(axis=1) - p1, 0.0)
        residual2 = np.where(free2, q.sum(axis=0) - p2, 0.0)
        residual_p = np.where(pairs, state.g + s, 0.0)
        rounded = round_to_marginals(q, p1, p2)
        upper = negative_conditional_entropy(rounded)
        if upper < best_upper:
            best_upper, best_q = upper, rounded
        best_lower = max(best_lower, _feasible_dual_value(lam, mu, state.g, pairs, p1, p2))
        gaps.append(best_upper - best_lower)
        if gaps[-1] <= tol or (len(gaps) > 8 and gaps[-1] > 0.5 * gaps[-9]):
            break  # certified, or stalled (a numerical floor): solve_broja then tries the barrier method
        system = _NewtonSystem(q, state.r, np.where(pairs, m / s - m, 0.0), free1, free2)
        complementarity = float(np.sum(m * s)) / n_pairs
        # Predictor (affine scaling) step.
        d_lam, d_mu, d_s, d_m = _ipm_direction(system, state.r, m, s, pairs, residual1, residual2, residual_p, -m * s)
        alpha = _step_to_boundary(m, d_m, s, d_s, 1.0)
        affine = float(np.sum((m + alpha * d_m) * (s + alpha * d_s) * pairs)) / n_pairs
        sigma = min((affine / complementarity) ** 3, 1.0)
        # Corrector step (Mehrotra), aiming at the centre sigma * complementarity; when its
        # second-order term makes it climb the KKT residual, the plain centring step instead.
        # After a short step, complementarity may not fall far below the infeasibility, or the
        # iterate sticks to the boundary before the curved constraints are met.
        infeasibility = max(np.abs(residual1).sum() + np.abs(residual2).sum(), np.abs(residual_p).max())
        centre = sigma * complementarity
        # After a full step, a floor 100 times lower: without it complementarity can reach 1e-17
        # while the constraints are still 1e-7 off, and no later step can move (near-deterministic
        # joints). Floors of 1e-3 to 1e-6 all certify those; 1e-4 also certifies every empirical
        # joint of benchmarks/pid_robustness.py (1e-6: 397 of 400), at 1 to 3 more iterations on
        # large dense joints (32^3, 100 x 100 x 10, 64^3).
        centre = max(centre, min(complementarity, (0.01 if last_alpha < 0.9 else 1e-4) * infeasibility))
        target = centre - m * s
        merit = _merit(residual1, residual2, residual_p, m, s)
        for r_c in (target - d_m * d_s, target):
            d_lam, d_mu, d_s, d_m = _ipm_direction(
                system, state.r, m, s, pairs, residual1, residual2, residual_p, np.where(pairs, r_c, 0.0)
            )
            alpha = _step_to_boundary(m, d_m, s, d_s, 0.99)
            # Backtrack on the KKT residual: the constraints are curved, so a long step can overshoot.
            for _ in range(30):
                trial = _DualState(lam + alpha * d_lam, mu + alpha * d_mu, allowed, pairs)
                m_new, s_new = np.where(pairs, m + alpha * d_m, 0.0), np.where(pairs, s + alpha * d_s, 1.0)
                # Where the curved constraint holds, the slack is what it leaves.
                s_new = np.where(pairs & (trial.g < 0), np.minimum(s_new, -trial.g), s_new)
                q_new = m_new[..., None] * trial.r
                r1 = np.where(free1, q_new.sum(axis=1) - p1, 0.0)
                r2 = np.where(free2, q_new.sum(axis=0) - p2, 0.0)
                rp = np.where(pairs, trial.g + s_new, 0.0)
                accepted = _merit(r1, r2, rp, m_new, s_new) <= (1 - 1e-4 * alpha) * merit
                if accepted:
                    break
                alpha *= 0.5
            if accepted:
                break
        if not accepted:  # no step lowers the residual (an overflowing trial point, say): stalled
            break
        lam, mu, state, m, s = lam + alpha * d_lam, mu + alpha * d_mu, trial, m_new, s_new
        last_alpha = alpha
    return best_q, max(best_upper - best_lower, 0.0), iteration


def _primal_barrier(p1, p2, tol, max_iterations, start=None):
    """Robust fallback: Newton's method on F(q) - t sum log q over Delta_p, with t driven to 0.

    Every iterate meets the marginals exactly (equality-constrained Newton from a feasible start)
    and stays positive; the objective is a proper line-search merit, which keeps this method
    steady on joints with probabilities spanning many orders of magnitude, where the faster dual
    method can stall. At a centred point the multipliers of the marginal constraints are a
    strictly feasible dual point (log r - t / q < log r), so the same certificate applies.

    Returns (q, certified gap in nats, Newton iterations).
    """
    n1, k = p1.shape
    allowed = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    pairs = allowed.any(axis=2)
    free1 = p1 > 0
    free2 = p2 > 0
    free2[np.argmax(p2, axis=0), np.arange(k)] = False
    product = np.where(allowed, p1[:, None, :] * p2[None, :, :] / p1.sum(axis=0), 0.0)
    q = product if start is None else 0.9 * np.where(allowed, start, 0.0) + 0.1 * product
    n_entries = int(allowed.sum())
    t = max(abs(negative_conditional_entropy(q)), 1e-3) / n_entries

    def barrier_value(q, t):
        return negative_conditional_entropy(q) - t * float(np.sum(np.log(q[allowed])))

    best_upper, best_q, best_lower = math.inf, None, -math.inf
    for iteration in range(1, max_iterations + 1):
        pair = np.where(pairs, q.sum(axis=2), 1.0)
        safe_q = np.where(allowed, q, 1.0)
        grad = np.where(allowed, np.log(safe_q / pair[..., None]) - t / safe_q, 0.0)
        e = np.where(allowed, safe_q ** 2 / (safe_q + t), 0.0)  # inverse of the diagonal part of the Hessian
        # pair - sum_y e, summed as sum_y q t / (q + t): the difference cancels to nothing once t << q
        c = np.where(pairs, 1.0 / np.maximum(np.where(allowed, safe_q * t / (safe_q + t), 0.0).sum(axis=2), 1e-300), 0.0)
        system = _NewtonSystem(e, e, c, free1, free2)
        # H^{-1} applied to a vector u, pair by pair: e u + c e (e . u)
        inv_h = lambda u: e * u + (c * np.einsum("ijy,ijy->ij", e, u))[..., None] * e  # noqa: E731
        hg = inv_h(grad)
        residual1 = np.where(free1, p1 - q.sum(axis=1), 0.0)
        residual2 = np.where(free2, p2 - q.sum(axis=0), 0.0)
        nu1, nu2 = system.solve(
            np.where(free1, -residual1 - hg.sum(axis=1), 0.0), np.where(free2, -residual2 - hg.sum(axis=0), 0.0)
        )
        nu = np.where(allowed, nu1[:, None, :] + nu2[None, :, :], 0.0)
        step = -inv_h(grad + nu)
        # One round of iterative refinement: near the end the pair blocks of H are nearly singular
        # (F is 1-homogeneous in each pair's q), and the factorised solve alone loses digits.
        h_step = np.where(allowed, step / np.where(allowed, e, 1.0) - (step.sum(axis=2) / pair)[..., None], 0.0)
        error_d = np.where(allowed, h_step + nu + grad, 0.0)  # H step + A^T nu + grad
        he = inv_h(error_d)
        d_nu1, d_nu2 = system.solve(np.where(free1, step.sum(axis=1) - residual1 - he.sum(axis=1), 0.0),
                                    np.where(free2, step.sum(axis=0) - residual2 - he.sum(axis=0), 0.0))
        d_nu = np.where(allowed, d_nu1[:, None, :] + d_nu2[None, :, :], 0.0)
        step, nu1, nu2, nu = step - inv_h(error_d + d_nu), nu1 + d_nu1, nu2 + d_nu2, nu + d_nu
        # Certificate: the multipliers are the dual point (lam, mu) = (-nu1, -nu2).
        rounded = round_to_marginals(q, p1, p2)
        upper = negative_conditional_entropy(rounded)
        if upper < best_upper:
            best_upper, best_q = upper, rounded
        lam, mu = -nu1, -nu2
        mu = np.where(free2, mu, 0.0)
        state = _DualState(lam, mu, allowed, pairs)
        best_lower = max(best_lower, _feasible_dual_value(lam, mu, state.g, pairs, p1, p2))
        if best_upper - best_lower <= tol:
            return best_q, max(best_upper - best_lower, 0.0), iteration
        decrement = float(-np.sum(grad * step))
        if decrement < 1e-3 * t * n_entries or decrement < 1e-14:
            t *= 0.1  # centred enough: follow the path
            if t * n_entries < 1e-18:  # the central gap t * n is below double precision: nothing left to gain
                break
            continue
        shrinking = step < 0
        alpha = min(1.0, 0.99 * float(np.min(-q[shrinking] / step[shrinking]))) if shrinking.any() else 1.0
        current = barrier_value(q, t)
        while alpha > 1e-12 and barrier_value(q + alpha * step, t) > current - 0.25 * alpha * decrement:
            alpha *= 0.5
        q = np.where(allowed, q + alpha * step, 0.0)
    return best_q, max(best_upper - best_lower, 0.0), iteration


def _merit(residual1, residual2, residual_p, m, s) -> float:
    """Size of the KKT residual: marginal violations, slack violations and complementarity."""
    return float(np.linalg.norm(residual1) + np.linalg.norm(residual2) + np.linalg.norm(residual_p) + np.sum(m * s))


def _feasible_dual_value(lam, mu, g, pairs, p1, p2) -> float:
    """D at the nearest feasible point along lam_i - shift_i: a valid lower bound on the optimum (nats).

    Lowering every lam_iy of one x1 by c lowers each g_ij by c, so shifting by the largest
    violation max_j g_ij makes the point feasible at a cost of shift_i * p(x1 = i); where every
    g_ij is below 0 the shift is negative and gives the slack back as a higher bound.
    """
    shift = np.max(np.where(pairs, g, -np.inf), axis=1)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    return float(np.sum(np.where(p1 > 0, lam * p1, 0.0)) + np.sum(np.where(p2 > 0, mu * p2, 0.0)) - shift @ p1.sum(1))


def _step_to_boundary(m: np.ndarray, d_m: np.ndarray, s: np.ndarray, d_s: np.ndarray, fraction: float) -> float:
    """Largest step in (0, 1] keeping m + a d_m and s + a d_s positive, times ``fraction``."""
    ratios = [1.0]
    for value, change in ((m, d_m), (s, d_s)):
        shrinking = change < 0
        if shrinking.any():
            ratios.append(float(np.min(-value[shrinking] / change[shrinking])))
    return min(1.0, fraction * min(ratios))


class _NewtonSystem:
    """The reduced Newton matrix sum_ij J_ij^T [diag(d_ij) + c_ij v_ij v_ij^T] J_ij, factorised once.

    J_ij maps (lam, mu) to z_ij = lam_i + mu_j. Ordered (lam; mu) the matrix is [[A, C], [C^T, B]]
    with A and B block diagonal (|Y| x |Y| blocks per x1 and per x2); A is factorised block by
    block and the Schur complement B - C^T A^{-1} C of size |X2| |Y| densely. Both the dual
    interior-point method (d = q, v = r, c = m/s - m) and the primal barrier method (d and v the
    pair blocks of H^{-1}) solve systems of this form.

    Args:
        d: (n1, n2, k) diagonal weights; v: (n1, n2, k) rank-one vectors; c: (n1, n2) coefficients.
        free1, free2: (n1, k) and (n2, k) masks of the variables solved for (others stay 0).
    """

    def __init__(self, d, v, c, free1, free2):
        n1, n2, k = d.shape
        self.free1, self.free2 = free1, free2
        weight = c[..., None] * v
        eye = np.eye(k, dtype=bool)
        a = np.einsum("ijy,ijz->iyz", weight, v)
        a[:, eye] += d.sum(axis=1)
        b = np.einsum("ijy,ijz->jyz", weight, v)
        b[:, eye] += d.sum(axis=0)
        cross = np.einsum("ijy,ijz->ijyz", weight, v)
        cross[:, :, eye] += d
        cross = cross.transpose(0, 2, 1, 3) * (free1[:, :, None, None] & free2[None, None, :, :])
        _pin_fixed(a, free1)
        _pin_fixed(b, free2)
        scale = np.sqrt(np.maximum(a[:, eye], 1e-300))  # symmetric diagonal scaling for conditioning
        self.scale1 = scale
        a = a / scale[:, :, None] / scale[:, None, :]
        cross = cross / scale[:, :, None, None]
        self.chol1 = _batched_cholesky(a)  # (n1, k, k), lower
        w = np.linalg.solve(self.chol1, cross.reshape(n1, k, n2 * k)).reshape(n1 * k, n2 * k)
        self.w = w
        schur = np.zeros((n2 * k, n2 * k))
        for j in range(n2):
            schur[j * k:(j + 1) * k, j * k:(j + 1) * k] = b[j]
        schur = blas.dsyrk(-1.0, w, beta=1.0, c=schur, trans=1, lower=1)
        diag = np.diag(schur)
        self.scale2 = np.sqrt(np.maximum(diag, 1e-14 * max(diag.max(), 1e-300)))
        schur /= self.scale2[:, None] * self.scale2[None, :]
        self.solve2 = _symmetric_solver(schur)
        self.shape = (n1, n2, k)

    def solve(self, rhs1: np.ndarray, rhs2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve [[A, C], [C^T, B]] (x1; x2) = (rhs1; rhs2); rhs1: (n1, k), rhs2: (n2, k)."""
        n1, n2, k = self.shape
        y1 = np.linalg.solve(self.chol1, (rhs1 / self.scale1)[..., None])[..., 0]
        x2 = self.solve2((rhs2.reshape(-1) - self.w.T @ y1.reshape(-1)) / self.scale2)
        x2 /= self.scale2
        t = y1.reshape(-1) - self.w @ x2
        x1 = np.linalg.solve(np.swapaxes(self.chol1, 1, 2), t.reshape(n1, k, 1))[..., 0] / self.scale1
        return np.where(self.free1, x1, 0.0), np.where(self.free2, x2.reshape(n2, k), 0.0)


def _ipm_direction(system, r, m, s, pairs, residual1, residual2, residual_p, r_c):
    """Newton direction for the marginal residuals, the slack residuals g + s and r_c = target - m s."""
    factor = np.where(pairs, (r_c + m * residual_p) / s, 0.0)[..., None] * r
    d_lam, d_mu = system.solve(
        np.where(system.free1, -residual1 - factor.sum(axis=1), 0.0),
        np.where(system.free2, -residual2 - factor.sum(axis=0), 0.0),
    )
    d_s = -residual_p - np.einsum("ijy,ijy->ij", r, d_lam[:, None, :] + d_mu[None, :, :])
    d_m = np.where(pairs, (r_c - m * d_s) / s, 0.0)
    return d_lam, d_mu, np.where(pairs, d_s, 0.0), d_m


def _pin_fixed(blocks: np.ndarray, free: np.ndarray) -> None:
    """Replace the rows and columns of variables that are not free by those of the identity (in place)."""
    blocks *= free[:, :, None] & free[:, None, :]
    idx = np.arange(blocks.shape[1])
    blocks[:, idx, idx] = np.where(free, blocks[:, idx, idx], 1.0)


def _symmetric_solver(matrix: np.ndarray):
    """A solver for a unit-diagonal symmetric positive semi-definite matrix (lower triangle used).

    Cholesky when it succeeds; when round-off has made the matrix numerically indefinite (a
    near-degenerate dual close to the optimum), an eigendecomposition with the eigenvalues floored
    at 1e-13 of the largest. The step then stays a descent direction; the certificate, not the step,
    decides when to stop.
    """
    try:
        factor = cho_factor(matrix, lower=True, check_finite=False)
        return lambda rhs: cho_solve(factor, rhs, check_finite=False)
    except np.linalg.LinAlgError:
        values, vectors = eigh(matrix, lower=True, check_finite=False)
        values = np.maximum(values, 1e-13 * max(values.max(), 1e-300))
        return lambda rhs: vectors @ ((vectors.T @ rhs) / values)


def _batched_cholesky(blocks: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of symmetric positive-definite blocks, jittered if needed."""
    try:
        return np.linalg.cholesky(blocks)
    except np.linalg.LinAlgError:
        k = blocks.shape[1]
        jitter = 1e-12 * np.maximum(np.trace(blocks, axis1=1, axis2=2) / k, 1e-300)
        return np.linalg.cholesky(blocks + jitter[:, None, None] * np.eye(k))
