"""Partial information decomposition (PID) of two sources about a target, exact and certified.

For a joint p(x1, x2, y), the BROJA decomposition (Bertschinger, Rauh, Olbrich, Jost and Ay,
"Quantifying unique information", Entropy 2014) splits I(Y; X1, X2) into

    U1 = I_q*(Y; X1 | X2),   U2 = I_q*(Y; X2 | X1),
    R  = I(Y; X1) - U1,      S  = I_p(Y; X1, X2) - I_q*(Y; X1, X2),

with q* = argmin { I_q(Y; X1, X2) : q(x1, y) = p(x1, y), q(x2, y) = p(x2, y) } (see
:mod:`polymodal.information.broja`). By construction R + U1 = I(Y; X1), R + U2 = I(Y; X2) and
R + U1 + U2 + S = I(Y; X1, X2); each term is within the certified gap of its exact value, and is
non-negative up to that gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from polymodal.information.broja import solve_broja
from polymodal.information.distributions import DistributionError, check_joint
from polymodal.information.measures import entropy


@dataclass(frozen=True)
class PIDResult:
    """Redundancy, uniqueness and synergy of (X1, X2) about Y, in the unit of ``base``.

    Attributes:
        redundancy: R, what both sources say about Y.
        unique1: U1, what only X1 says.
        unique2: U2, what only X2 says.
        synergy: S, what only the two together say.
        mutual_information: I(Y; X1, X2) = R + U1 + U2 + S.
        gap: certified bound on the error of every term (same unit).
        q: the optimal joint q*, shape ``(|X1|, |X2|, |Y|)`` (``None`` for estimates that average batches).
        iterations: solver iterations.
        base: 2 for bits, e for nats.
        tolerance: the certified gap that was asked for (same unit), or ``None`` for estimates
            that set none; :attr:`converged` says whether ``gap`` met it.
    """

    redundancy: float
    unique1: float
    unique2: float
    synergy: float
    mutual_information: float
    gap: float
    q: np.ndarray | None
    iterations: int
    base: float = 2.0
    tolerance: float | None = None

    @property
    def converged(self) -> bool:
        """Whether the certified gap met the requested :attr:`tolerance` (``True`` when none was set)."""
        return self.tolerance is None or self.gap <= self.tolerance

    @property
    def unit(self) -> str:
        """``"bits"``, ``"nats"`` or ``"log-<base> units"``."""
        return {2.0: "bits", math.e: "nats"}.get(self.base, f"log-{self.base:g} units")

    def as_dict(self) -> dict[str, float | bool]:
        """The four terms and their total, keyed ``R``, ``U1``, ``U2``, ``S``, ``I``, plus ``gap``
        (and ``tolerance`` and ``converged`` where a tolerance was requested)."""
        terms = {"R": self.redundancy, "U1": self.unique1, "U2": self.unique2, "S": self.synergy,
                 "I": self.mutual_information, "gap": self.gap}
        if self.tolerance is not None:
            terms.update(tolerance=self.tolerance, converged=self.converged)
        return terms

    def __str__(self) -> str:
        terms = ", ".join(f"{k}={v:.6f}" for k, v in self.as_dict().items() if k in ("R", "U1", "U2", "S", "I"))
        missed = "" if self.converged else f", NOT the requested {self.tolerance:.1e}"
        return f"PID({terms} {self.unit}; certified to {self.gap:.1e}{missed})"


def pid(p: np.ndarray, tol: float = 1e-8, base: float = 2, normalize: bool = False,
        max_iterations: int = 200) -> PIDResult:
    """The exact BROJA partial information decomposition of p(x1, x2, y).

    Args:
        p: joint distribution, shape ``(|X1|, |X2|, |Y|)``; zero-probability symbols are allowed.
        tol: required certified gap, in the unit of ``base`` (default 1e-8).
        base: 2 for bits (default), ``np.e`` for nats.
        normalize: accept counts (any non-negative table) and divide by their total.
        max_iterations: safety limit of the solver.

    Returns:
        :class:`PIDResult` with R, U1, U2, S, the optimal q and the certified gap. If the solver
        could not certify ``tol`` (a joint whose probabilities span 20 orders of magnitude, say),
        it returns its best certified point with ``converged`` False, its ``gap`` and ``str``
        state the tolerance it did reach, and a :class:`~polymodal.information.broja.ConvergenceWarning`
        is issued.

    Raises:
        DistributionError: p is not a distribution over three variables, or ``tol`` is not positive.
    """
    p = check_joint(p, "p", normalize=normalize)
    if p.ndim != 3:
        raise DistributionError(
            f"p must have three axes (x1, x2, y), got shape {p.shape}; "
            "use polymodal.information.empirical_joint(x1, x2, y) to build one from samples"
        )
    if not tol > 0:
        raise DistributionError(f"tol must be positive, got {tol!r}")
    if max_iterations < 1:
        raise DistributionError(f"max_iterations must be at least 1, got {max_iterations!r}")
    ln_base = math.log(base) if base > 1 else math.nan
    if not ln_base > 0:
        raise DistributionError(f"base must be > 1 (2 for bits, e for nats), got {base!r}")
    solution = solve_broja(p, tol_bits=tol * ln_base / math.log(2), max_iterations=max_iterations)
    q = solution.q
    h_y = entropy(p, (2,), base)

    def info_with_y(table: np.ndarray, axes: tuple[int, ...]) -> float:
        return h_y + entropy(table, axes, base) - entropy(table, axes + (2,), base)

    i1, i2, i12 = info_with_y(p, (0,)), info_with_y(p, (1,)), info_with_y(p, (0, 1))
    i12_q = info_with_y(q, (0, 1))
    return PIDResult(
        redundancy=i1 + i2 - i12_q,
        unique1=i12_q - i2,
        unique2=i12_q - i1,
        synergy=i12 - i12_q,
        mutual_information=i12,
        gap=solution.gap_bits * math.log(2) / ln_base,
        q=q,
        iterations=solution.iterations,
        base=float(base),
        tolerance=float(tol),
    )
