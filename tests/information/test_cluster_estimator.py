import numpy as np
import pytest

from polymodal.information import DistributionError, pid
from polymodal.information.cluster_estimator import cluster_pid, discretize


def test_few_distinct_values_are_used_as_they_are():
    x = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    assert discretize(x, n_clusters=2).tolist() == [0, 1, 1, 0, 1]


def test_bits_give_the_exact_pid_of_the_empirical_joint():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 5000), rng.integers(0, 2, 5000)
    y = a & b
    est = cluster_pid(a[:, None].astype(float), b[:, None].astype(float), y)
    counts = np.zeros((2, 2, 2))
    np.add.at(counts, (a, b, y), 1)
    expected = pid(counts, normalize=True)
    assert est.pid.redundancy == pytest.approx(expected.redundancy, abs=1e-9)
    assert est.pid.synergy == pytest.approx(0.5, abs=0.02)
    assert est.settings["clusters_used"] == [2, 2] and est.num_samples == 5000


def test_clusters_follow_the_recipe_and_are_seeded():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 8))
    labels = discretize(x, n_clusters=5, n_components=2, seed=3)
    assert sorted(np.unique(labels)) == list(range(5))
    assert np.array_equal(labels, discretize(x, n_clusters=5, n_components=2, seed=3))
    # scaling a sample does not move it after L2 normalisation
    scaled = x.copy()
    scaled[0] *= 7.0
    assert discretize(scaled, n_clusters=5, seed=3)[0] == labels[0]


def test_bad_samples_are_named():
    with pytest.raises(DistributionError, match="same number of samples"):
        cluster_pid(np.zeros((5, 2)), np.zeros((4, 2)), np.zeros(5, int))
    with pytest.raises(DistributionError, match="integer labels"):
        cluster_pid(np.zeros((5, 2)), np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(DistributionError, match="NaN"):
        cluster_pid(np.full((5, 2), np.nan), np.zeros((5, 2)), np.zeros(5, int))
