"""Symmetrising and clustering: planted blocks are recovered, the gap criterion against hand-worked heights."""

import itertools

import numpy as np
import pytest

from polymodal.errors import ConfigError, ShapeError
from polymodal.heterogeneity import group_modalities, largest_gap_groups, symmetrize


def test_symmetric_matrix_is_symmetric_with_zero_diagonal_and_clips_negatives():
    raw = np.array([[0.02, -0.1, 0.5], [0.3, -0.01, 0.2], [0.4, 0.6, 0.05]])
    d = symmetrize(raw)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)
    assert d[0, 1] == pytest.approx((0.0 + 0.3) / 2)  # -0.1 clipped to 0
    assert d[0, 2] == pytest.approx((0.5 + 0.4) / 2) and d[1, 2] == pytest.approx((0.2 + 0.6) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_a_planted_block_matrix_is_recovered(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, size=rng.integers(2, 5))
    labels = np.repeat(np.arange(len(sizes)), sizes)
    perm = rng.permutation(len(labels))
    labels = labels[perm]
    names = [f"m{i}" for i in range(len(labels))]
    raw = np.where(labels[:, None] == labels[None, :], rng.uniform(0, 0.05, (len(labels),) * 2),
                   rng.uniform(0.5, 1.0, (len(labels),) * 2))
    groups, z = group_modalities(symmetrize(raw), names)
    planted = {frozenset(n for n, l in zip(names, labels) if l == k) for k in set(labels)}
    assert {frozenset(g) for g in groups} == planted
    assert z.shape == (len(names) - 1, 4)


def test_largest_gap_criterion_by_hand():
    assert largest_gap_groups(np.array([0.1, 0.1, 0.9])) == 2  # gaps 0.1, 0, 0.8: cut below 0.9
    assert largest_gap_groups(np.array([0.9, 0.95, 1.0])) == 4  # everything far apart: all separate
    assert largest_gap_groups(np.zeros(3)) == 1  # nothing heterogeneous: one group


def test_a_given_number_of_groups_is_honoured():
    d = symmetrize(np.array([[0, 1, 4, 4], [1, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]], dtype=float))
    for k in range(1, 5):
        groups, _ = group_modalities(d, "abcd", n_groups=k)
        assert len(groups) == k and sorted(itertools.chain(*groups)) == list("abcd")


def test_bad_matrices_are_named():
    with pytest.raises(ShapeError, match="must be \\(2, 2\\)"):
        group_modalities(np.zeros((3, 3)), ["a", "b"])
    with pytest.raises(ConfigError, match="symmetric"):
        group_modalities(np.array([[0, 1.0], [2.0, 0]]), ["a", "b"])
    with pytest.raises(ConfigError, match="from 1 to the number of modalities or pairs \\(2\\)"):
        group_modalities(np.zeros((2, 2)), ["a", "b"], n_groups=3)
    with pytest.raises(ConfigError, match="NaN"):
        symmetrize(np.array([[0, np.nan], [0, 0]]))


def test_groups_are_written_without_table_separators():
    from polymodal.heterogeneity import format_groups

    assert format_groups([["a", "b"], ["c"]]) == "{a, b} {c}"
