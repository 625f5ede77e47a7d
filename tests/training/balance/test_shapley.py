"""Shapley values over modality coalitions against the permutation definition (brute force)."""

import itertools
import math
import random

import pytest
import torch

from polymodal.training.balance.shapley import coalitions, shapley_values


def _by_permutations(value, modalities):
    """phi_m = average over the M! orders of m's marginal contribution to those before it."""
    out = {m: 0.0 for m in modalities}
    orders = list(itertools.permutations(modalities))
    for order in orders:
        for i, m in enumerate(order):
            before = frozenset(order[:i])
            out[m] += (value(before | {m}) - value(before)) / len(orders)
    return out


@pytest.mark.parametrize("modalities", [("image", "audio"), ("a", "b", "c")])
def test_shapley_values_equal_the_permutation_average(modalities):
    rng = random.Random(len(modalities))
    table = {s: rng.uniform(-1, 1) for s in coalitions(modalities)}
    got = shapley_values(table.__getitem__, modalities)
    expected = _by_permutations(table.__getitem__, modalities)
    assert got == pytest.approx(expected)
    # efficiency: the values share out v(all) - v(none)
    assert sum(got.values()) == pytest.approx(table[frozenset(modalities)] - table[frozenset()])


def test_tensor_values_and_a_value_called_once_per_coalition():
    calls = []
    weights = {"a": 1.0, "b": 2.0, "c": -0.5}

    def logits(s):
        calls.append(s)
        base = torch.arange(6.0).reshape(2, 3)
        return sum((weights[m] * base for m in s), torch.zeros(2, 3)) + (base if {"a", "b"} <= s else 0)

    got = shapley_values(logits, ("a", "b", "c"))
    assert len(calls) == 8 and len(set(calls)) == 8
    base = torch.arange(6.0).reshape(2, 3)
    # an additive part goes to its modality; the a-b interaction is split evenly between a and b
    assert torch.allclose(got["a"], 1.5 * base) and torch.allclose(got["b"], 2.5 * base)
    assert torch.allclose(got["c"], -0.5 * base)


def test_two_modalities_in_closed_form():
    v = {frozenset(): 0.1, frozenset({"x"}): 0.6, frozenset({"y"}): 0.3, frozenset({"x", "y"}): 0.9}
    got = shapley_values(v.__getitem__, ("x", "y"))
    assert got["x"] == pytest.approx(0.5 * (0.6 - 0.1) + 0.5 * (0.9 - 0.3))
    assert math.isclose(got["y"], 0.5 * (0.3 - 0.1) + 0.5 * (0.9 - 0.6))
