import numpy as np
import pytest

from polymodal.data import load_dataset
from polymodal.data.synthetic import load_bitwise, load_latent
from polymodal.errors import ConfigError
from polymodal.information import empirical_joint, mutual_information


@pytest.mark.parametrize("gate, fn", [("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor)])
def test_bitwise_labels_are_the_gate_of_fair_independent_bits(gate, fn):
    ds = load_bitwise(gate, num_samples=4000, seed=1)
    x1 = np.concatenate([s.modality("x1")[:, 0].numpy() for s in ds.splits.values()]).astype(int)
    x2 = np.concatenate([s.modality("x2")[:, 0].numpy() for s in ds.splits.values()]).astype(int)
    y = np.concatenate([s.labels.numpy() for s in ds.splits.values()])
    assert np.array_equal(y, fn(x1, x2))
    assert abs(x1.mean() - 0.5) < 0.03 and abs(x2.mean() - 0.5) < 0.03
    assert mutual_information(empirical_joint(x1, x2), 0, 1) < 0.01  # independent


def test_latent_data_sets_are_seeded_and_balanced():
    a, b = load_latent("synergy", num_samples=2000, seed=3), load_latent("synergy", num_samples=2000, seed=3)
    assert np.array_equal(a.splits["train"].modality("x1").numpy(), b.splits["train"].modality("x1").numpy())
    c = load_latent("synergy", num_samples=2000, seed=4)
    assert not np.array_equal(a.splits["train"].modality("x1").numpy(), c.splits["train"].modality("x1").numpy())
    y = np.concatenate([s.labels.numpy() for s in a.splits.values()])
    assert abs(y.mean() - 0.5) < 0.01  # median split
    ds = load_latent("unique1", num_samples=3000, num_classes=3, modality_dim=16)
    assert ds.num_classes == 3 and ds.modalities["x2"].shape == (16,)


def test_latent_labels_depend_on_the_right_latent():
    """A linear probe on x1 predicts unique1 and redundancy labels; on x2 it is at chance for unique1."""
    from sklearn.linear_model import LogisticRegression

    def probe(name, modality):
        ds = load_dataset(name, num_samples=6000)
        tr, te = ds.splits["train"], ds.splits["test"]
        clf = LogisticRegression(max_iter=1000).fit(tr.modality(modality).numpy(), tr.labels.numpy())
        return clf.score(te.modality(modality).numpy(), te.labels.numpy())

    assert probe("latent-unique1", "x1") > 0.95
    assert probe("latent-unique1", "x2") < 0.56
    assert probe("latent-redundancy", "x2") > 0.95
    assert probe("latent-synergy", "x1") < 0.56  # the sign of a product: nothing from one side


def test_mixture_and_errors():
    ds = load_latent("mixture", num_samples=2000, weights={"redundancy": 1.0, "synergy": 0.5})
    assert ds.options["weights"] == {"redundancy": 1.0, "synergy": 0.5}
    with pytest.raises(ConfigError, match="non-negative weights"):
        load_latent("mixture", weights={"colour": 1.0})
    with pytest.raises(ConfigError, match="interaction 'nope' is unknown"):
        load_latent("nope")
    with pytest.raises(ConfigError, match="gate 'nand' is unknown"):
        load_bitwise("nand")
