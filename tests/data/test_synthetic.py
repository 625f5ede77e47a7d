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


def test_hetero_groups_views_and_label_structure():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from polymodal.data.synthetic import load_hetero_groups

    ds = load_hetero_groups(num_samples=3000, seed=1)
    assert list(ds.modalities) == ["a", "b", "c", "d"] and ds.num_classes == 4
    train = ds.splits["train"]
    z1, z2 = train.meta["latents"]["z1"], train.meta["latents"]["z2"]
    y = train.labels.numpy()
    # the label is a pair of signs: its high bit is a half-space of z1 alone, its low bit one of z2 alone
    for bit, own, other in ((y // 2, z1, z2), (y % 2, z2, z1)):
        assert LogisticRegression(C=1e4, max_iter=2000).fit(own, bit).score(own, bit) > 0.99
        assert LogisticRegression(max_iter=2000).fit(other, bit).score(other, bit) < 0.6
    assert np.bincount(y, minlength=4).min() > 0.15 * len(y)
    # each view carries its own latent, nothing of the other (R^2 of a linear read-out of tanh features)
    for m, own, other in (("a", z1, z2), ("b", z1, z2), ("c", z2, z1), ("d", z2, z1)):
        x = train.modality(m).numpy()
        assert LinearRegression().fit(x, own).score(x, own) > 0.6
        assert LinearRegression().fit(x, other).score(x, other) < 0.02
    assert np.array_equal(load_hetero_groups(num_samples=300, seed=4).splits["val"].modality("c").numpy(),
                          load_hetero_groups(num_samples=300, seed=4).splits["val"].modality("c").numpy())
    with pytest.raises(ConfigError, match="hetero-groups needs"):
        load_hetero_groups(num_samples=10)
    assert load_dataset("hetero-groups", num_samples=200).name == "hetero-groups"
