import numpy as np
import torch
from sklearn.metrics import accuracy_score, confusion_matrix as sk_confusion, f1_score

from polymodal.training import classification_metrics, confusion_matrix


def test_against_scikit_learn_on_random_labels():
    rng = np.random.default_rng(0)
    for trial in range(20):
        n, c = rng.integers(1, 60), int(rng.integers(2, 8))
        y, p = rng.integers(0, c, n), rng.integers(0, c, n)
        if trial % 3 == 0:
            p[: n // 2] = y[: n // 2]
        got = classification_metrics(torch.from_numpy(p), torch.from_numpy(y), c)
        assert abs(got["accuracy"] - accuracy_score(y, p)) < 1e-12
        assert abs(got["macro_f1"] - f1_score(y, p, average="macro", zero_division=0)) < 1e-12
        np.testing.assert_array_equal(confusion_matrix(torch.from_numpy(p), torch.from_numpy(y), c).numpy(),
                                      sk_confusion(y, p, labels=range(c)))
