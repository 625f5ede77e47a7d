import numpy as np
from sklearn.datasets import load_digits as sklearn_digits

from polymodal.data import load_digits


def test_two_halves_of_every_image(digits):
    assert {m: s.shape for m, s in digits.modalities.items()} == {"top": (32,), "bottom": (32,)}
    sizes = {k: len(s) for k, s in digits.splits.items()}
    assert sizes == {"train": 1257, "val": 270, "test": 270}
    rows = np.concatenate([s.meta["source_rows"] for s in digits.splits.values()])
    assert sorted(rows.tolist()) == list(range(1797))  # the splits partition the data set
    raw = sklearn_digits().images.reshape(-1, 64)
    train_raw = raw[digits.splits["train"].meta["source_rows"]]
    mean, std = train_raw.mean(0), train_raw.std(0)
    std[std == 0] = 1
    test = digits.splits["test"]
    images = raw[test.meta["source_rows"]]
    np.testing.assert_allclose(test.inputs["top"].numpy() * std[:32] + mean[:32], images[:, :32], atol=1e-4)
    np.testing.assert_allclose(test.inputs["bottom"].numpy() * std[32:] + mean[32:], images[:, 32:], atol=1e-4)
    assert np.array_equal(test.labels.numpy(), sklearn_digits().target[test.meta["source_rows"]])


def test_split_is_stratified_and_reproducible(digits):
    counts = np.bincount(digits.splits["test"].labels.numpy(), minlength=10)
    assert counts.min() >= 26 and counts.max() <= 28
    again = load_digits(seed=0)
    assert all(np.array_equal(digits.splits[k].labels, again.splits[k].labels) for k in digits.splits)
    other = load_digits(seed=1)
    assert digits.splits["test"].meta["source_rows"] != other.splits["test"].meta["source_rows"]
