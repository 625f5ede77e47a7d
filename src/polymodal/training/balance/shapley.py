"""Shapley values of modalities: each modality's share of a model's output over modality coalitions.

For a value function ``v(S)`` of the coalition S of modalities present (the others zeroed),
``phi_m = sum_{S subset of M without m} |S|! (M - |S| - 1)! / M! * (v(S + {m}) - v(S))``.
The values add up to ``v(M) - v({})`` (efficiency). AGM (Li et al., ICCV 2023) uses them as
mono-modal responses; the per-epoch contribution plots use them with accuracy as the value.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Sequence, TypeVar

V = TypeVar("V")


def coalitions(modalities: Sequence[str]) -> list[frozenset[str]]:
    """All ``2^M`` subsets of ``modalities``, smallest first."""
    return [frozenset(c) for k in range(len(modalities) + 1) for c in itertools.combinations(modalities, k)]


def shapley_values(value: Callable[[frozenset[str]], V], modalities: Sequence[str]) -> dict[str, V]:
    """``{m: phi_m}`` for a value function over coalitions, evaluated once per coalition.

    Args:
        value: ``value(S) -> V`` for a frozenset S; V a float or a tensor (e.g. logits ``(B, C)``),
            anything that supports ``-``, ``*`` by a float and ``+``.
        modalities: the M modalities.
    """
    m_count = len(modalities)
    if m_count == 0:
        raise ValueError("modalities: at least one is needed")
    values = {s: value(s) for s in coalitions(modalities)}
    out = {}
    for m in modalities:
        total = None
        for s, v in values.items():
            if m in s:
                continue
            weight = math.factorial(len(s)) * math.factorial(m_count - len(s) - 1) / math.factorial(m_count)
            term = (values[s | {m}] - v) * weight
            total = term if total is None else total + term
        out[m] = total
    return out
