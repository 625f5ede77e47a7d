"""Retrieval, class-level recall and class-shift arithmetic against plain loops."""

import numpy as np
import pytest
import torch

from polymodal.coordination.retrieval import class_recall_at_k, class_shift_retrieval, retrieve
from polymodal.coordination.similarity import make_similarity
from polymodal.coordination.zero_shot import class_prototypes, zero_shot_predict
from polymodal.errors import ConfigError, ShapeError


def _loop_topk(q, g, k, sim):
    out = []
    for row in q:
        scores = [float(sim(row[None], item[None])) for item in g]
        order = sorted(range(len(g)), key=lambda j: -scores[j] if sim.higher_is_closer else scores[j])
        out.append(order[:k])
    return out


@pytest.mark.parametrize("name", ["cosine", "euclidean", "rbf"])
def test_retrieve_matches_loop(name):
    g = torch.Generator().manual_seed(0)
    q, gal = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(20, 3, generator=g, dtype=torch.float64)
    sim = make_similarity(name)
    idx, scores = retrieve(q, gal, 4, sim)
    assert idx.tolist() == _loop_topk(q, gal, 4, sim)
    one, _ = retrieve(q[2], gal, 4, sim)
    assert one.tolist() == idx[2].tolist()


def test_class_recall_matches_loop():
    rng = np.random.default_rng(0)
    q, gq = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    gal, gl = rng.standard_normal((25, 4)), rng.integers(0, 3, 25)
    got = class_recall_at_k(q, gq, gal, gl, ks=(1, 5))
    top = _loop_topk(torch.as_tensor(q), torch.as_tensor(gal), 5, make_similarity("cosine"))
    for k in (1, 5):
        hits = [any(gl[j] == gq[i] for j in top[i][:k]) for i in range(30)]
        assert got[f"recall@{k}"] == pytest.approx(np.mean(hits))
        for c in range(3):
            assert got[f"recall@{k}_by_class"][c] == pytest.approx(np.mean([h for h, y in zip(hits, gq) if y == c]))


def test_prototypes_zero_shot_and_class_shift_on_separated_clusters():
    rng = np.random.default_rng(1)
    centres = np.eye(4) * 5
    labels = np.repeat(np.arange(4), 20)
    a = centres[labels] + rng.standard_normal((80, 4)) * 0.3
    b = centres[labels] + rng.standard_normal((80, 4)) * 0.3
    protos = class_prototypes(a, labels, 4)
    manual = np.stack([(a[labels == c] / np.linalg.norm(a[labels == c], axis=1, keepdims=True)).mean(0) for c in range(4)])
    np.testing.assert_allclose(protos, manual / np.linalg.norm(manual, axis=1, keepdims=True))
    assert (zero_shot_predict(b, protos) == labels).all()
    target, source = class_shift_retrieval(b, labels, a, labels, protos, k=5)
    assert np.allclose(target, 1.0)  # every shifted query retrieves only its target class
    off = ~np.eye(4, dtype=bool)
    assert np.allclose(source[off], 0.0)


def test_errors():
    with pytest.raises(ConfigError, match="k must be"):
        retrieve(torch.zeros(2, 3), torch.zeros(4, 3), k=5)
    with pytest.raises(ShapeError, match="share D"):
        retrieve(torch.zeros(2, 3), torch.zeros(4, 2))
    with pytest.raises(ConfigError, match=r"classes \[2\] have no example"):
        class_prototypes(np.ones((4, 2)), np.array([0, 1, 0, 1]), 3)


@pytest.mark.parametrize("labels, message", [([0, 1, 3], "label 3 at index 2, but there are only 3 classes"),
                                             ([0, -1, 2], "got -1"), ([0.0, 1.0, 2.5], "got 2.5")])
def test_prototype_labels_are_checked(labels, message):
    """Labels >= num_classes were silently dropped; negative and float ones gave numpy errors."""
    z = np.eye(3)
    with pytest.raises(ConfigError, match=message):
        class_prototypes(z, np.array(labels), 3)
    np.testing.assert_allclose(class_prototypes(z, np.array([0.0, 1.0, 2.0]), np.int64(3)), z)
