"""Clusters in representations: perfect on separated blobs, chance on noise; probes on known signals."""

import numpy as np
import pytest

from polymodal.errors import ConfigError
from polymodal.fission.fine_grained import cluster_scores, plot_views
from polymodal.fission.probes import probe_r2


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_separated_blobs_are_found_and_noise_is_not(method, tmp_path):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 100)
    blobs = np.eye(4)[labels] * 10 + rng.standard_normal((400, 4))
    noise = rng.standard_normal((400, 4))
    scores = cluster_scores({"blobs": blobs, "noise": noise}, labels, method=method)
    assert scores["blobs"]["nmi"] == pytest.approx(1.0) and scores["blobs"]["ari"] == pytest.approx(1.0)
    assert scores["noise"]["nmi"] < 0.05 and abs(scores["noise"]["ari"]) < 0.05
    assert plot_views({"blobs": blobs, "noise": noise}, labels, tmp_path / "v.png").is_file()


def test_probe_r2_of_linear_and_independent_targets():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2000, 5))
    y_lin = x[:, :2] @ np.array([[1.0, 0.5], [-2.0, 1.0]])
    y_ind = rng.standard_normal((2000, 2))
    assert probe_r2(x[:1500], y_lin[:1500], x[1500:], y_lin[1500:]) > 0.999
    assert abs(probe_r2(x[:1500], y_ind[:1500], x[1500:], y_ind[1500:])) < 0.02
    # half the variance explained: y = x_0 + independent noise of the same variance
    x = rng.standard_normal((20000, 5))
    y_half = x[:, 0] + rng.standard_normal(20000)
    assert probe_r2(x[:10000], y_half[:10000], x[10000:], y_half[10000:]) == pytest.approx(0.5, abs=0.03)


def test_errors():
    with pytest.raises(ConfigError, match="clustering method"):
        cluster_scores({"a": np.zeros((10, 2))}, np.zeros(10), method="dbscan")
    with pytest.raises(ConfigError, match="view"):
        plot_views({"a": np.zeros((10, 2))}, np.zeros(10), "x.png", view="umap")
