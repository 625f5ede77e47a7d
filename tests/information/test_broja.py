import numpy as np
import pytest

from polymodal.information.broja import (
    _DualState,
    _NewtonSystem,
    negative_conditional_entropy,
    round_to_marginals,
    solve_broja,
)


def random_joint(shape, seed, zeros=0.0):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
    p[rng.random(shape) < zeros] = 0.0
    return p / p.sum()


def dense_newton_matrix(r, m, s, pairs, free1, free2):
    """sum over pairs of J^T [m diag(r) + (m/s - m) r r^T] J, one pair at a time."""
    n1, n2, k = r.shape
    size = (n1 + n2) * k
    matrix = np.zeros((size, size))
    for i in range(n1):
        for j in range(n2):
            if not pairs[i, j]:
                continue
            jac = np.zeros((k, size))
            for y in range(k):
                jac[y, i * k + y] = 1.0
                jac[y, n1 * k + j * k + y] = 1.0
            rij = r[i, j]
            matrix += jac.T @ (m[i, j] * np.diag(rij) + (m[i, j] / s[i, j] - m[i, j]) * np.outer(rij, rij)) @ jac
    return matrix


@pytest.mark.parametrize("shape, zeros", [((3, 2, 4), 0.0), ((4, 3, 3), 0.3), ((5, 5, 2), 0.0)])
def test_schur_solve_equals_dense_solve(shape, zeros):
    rng = np.random.default_rng(1)
    p = random_joint(shape, 2, zeros)
    p1, p2 = p.sum(1), p.sum(0)
    allowed = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    pairs = allowed.any(2)
    free1 = p1 > 0
    free2 = p2 > 0
    free2[np.argmax(p2, 0), np.arange(shape[2])] = False
    state = _DualState(rng.normal(size=p1.shape), rng.normal(size=p2.shape), allowed, pairs)
    m = np.where(pairs, rng.uniform(0.1, 1.0, pairs.shape), 0.0)
    s = np.where(pairs, rng.uniform(0.1, 2.0, pairs.shape), 1.0)
    q = m[..., None] * state.r
    rhs1, rhs2 = rng.normal(size=p1.shape) * free1, rng.normal(size=p2.shape) * free2
    x1, x2 = _NewtonSystem(q, state.r, np.where(pairs, m / s - m, 0.0), free1, free2).solve(rhs1, rhs2)
    free = np.concatenate([free1.ravel(), free2.ravel()])
    dense = dense_newton_matrix(state.r, m, s, pairs, free1, free2)[np.ix_(free, free)]
    expected = np.linalg.solve(dense, np.concatenate([rhs1.ravel(), rhs2.ravel()])[free])
    got = np.concatenate([x1.ravel(), x2.ravel()])[free]
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
    assert np.all(x1[~free1] == 0) and np.all(x2[~free2] == 0)


def test_rounding_lands_exactly_on_the_marginals():
    rng = np.random.default_rng(3)
    p = random_joint((4, 5, 3), 4, zeros=0.2)
    p1, p2 = p.sum(1), p.sum(0)
    allowed = (p1[:, None, :] > 0) & (p2[None, :, :] > 0)
    q = np.where(allowed, p * rng.uniform(0.5, 1.5, p.shape) + 0.01, 0.0)
    rounded = round_to_marginals(q, p1, p2)
    assert rounded.min() >= 0
    np.testing.assert_allclose(rounded.sum(1), p1, atol=1e-15)
    np.testing.assert_allclose(rounded.sum(0), p2, atol=1e-15)
    assert np.all(rounded[~allowed] == 0)
    # Altschuler et al., Lemma 7: ||rounded - q||_1 <= 2 (||q(x1,y) - p1||_1 + ||q(x2,y) - p2||_1)
    violation = np.abs(q.sum(1) - p1).sum() + np.abs(q.sum(0) - p2).sum()
    assert np.abs(rounded - q).sum() <= 2 * violation + 1e-12


def test_objective_is_minus_conditional_entropy():
    p = random_joint((3, 3, 4), 5)
    pair = p.sum(2)
    h = -sum(p[i, j, y] * np.log(p[i, j, y] / pair[i, j]) for i in range(3) for j in range(3) for y in range(4))
    assert negative_conditional_entropy(p) == pytest.approx(-h, abs=1e-14)


@pytest.mark.parametrize("shape", [(2, 2, 2), (6, 4, 3), (3, 7, 5), (10, 10, 4)])
def test_certified_gap_and_feasibility(shape):
    p = random_joint(shape, 6, zeros=0.25)
    sol = solve_broja(p, tol_bits=1e-10)
    assert 0 <= sol.gap_bits <= 1e-10
    np.testing.assert_allclose(sol.q.sum(1), p.sum(1), atol=1e-14)
    np.testing.assert_allclose(sol.q.sum(0), p.sum(0), atol=1e-14)
    assert sol.q.min() >= 0
    # p itself is feasible, so the optimum is no worse than p
    assert negative_conditional_entropy(sol.q) <= negative_conditional_entropy(p) + sol.gap_bits * np.log(2) + 1e-15


def test_few_iterations_and_warning_when_the_limit_is_too_small():
    p = random_joint((8, 8, 8), 7)
    assert solve_broja(p).iterations <= 30
    with pytest.warns(UserWarning, match="certified gap"):
        sol = solve_broja(p, max_iterations=2)
    assert sol.gap_bits > 1e-9
