"""PMR's prototypes, logits and loss against plain loops, and its weights by hand."""

import pytest
import torch
import torch.nn.functional as F

from polymodal.training.balance.prototypes import prototype_logits, prototype_loss, pmr_weights, update_prototypes


def test_momentum_prototypes_against_a_loop():
    g = torch.Generator().manual_seed(0)
    k, d, mu = 4, 3, 0.9
    prototypes, seen = torch.zeros(k, d), torch.zeros(k, dtype=torch.bool)
    expected = [None] * k
    for _ in range(3):
        z = torch.randn(6, d, generator=g)
        labels = torch.randint(0, 3, (6,), generator=g)  # class 3 never appears
        update_prototypes(prototypes, seen, z, labels, mu)
        for c in range(k):
            rows = [z[i] for i in range(6) if int(labels[i]) == c]
            if rows:
                mean = sum(rows) / len(rows)
                expected[c] = mean if expected[c] is None else mu * expected[c] + (1 - mu) * mean
    for c in range(k):
        if expected[c] is None:
            assert not seen[c] and torch.equal(prototypes[c], torch.zeros(d))
        else:
            assert seen[c] and torch.allclose(prototypes[c], expected[c], atol=1e-6)


def test_logits_and_loss_against_a_loop():
    g = torch.Generator().manual_seed(1)
    z, c = torch.randn(5, 3, generator=g), torch.randn(4, 3, generator=g)
    labels = torch.tensor([0, 3, 1, 1, 2])
    logits = prototype_logits(z, c)
    for i in range(5):
        for k in range(4):
            assert float(logits[i, k]) == pytest.approx(-float(((z[i] - c[k]) ** 2).sum()), rel=1e-5)
    assert float(prototype_loss(z, c, labels)) == pytest.approx(float(F.cross_entropy(logits, labels)))


def test_only_the_lagging_modality_is_weighted():
    # s_audio = 2, s_image = 6: audio lags by rho = 3
    assert pmr_weights({"audio": 2.0, "image": 6.0}, alpha=0.5) == pytest.approx({"audio": 0.5 * 2, "image": 0.0})


def test_one_modality_has_nothing_to_lag_behind():
    with pytest.raises(ValueError, match="needs at least two"):
        pmr_weights({"audio": 2.0}, alpha=0.5)
