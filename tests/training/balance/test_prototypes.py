"""PMR's prototypes, logits and loss against plain loops, and its weights by hand."""

import math

import pytest
import torch
import torch.nn.functional as F

from polymodal.training.balance.prototypes import (add_class_sums, current_prototypes, pmr_weights, prototype_entropy,
                                                   prototype_logits, prototype_loss, update_prototypes)


def test_epoch_prototypes_are_momentum_averages_of_each_epochs_class_means_against_a_loop():
    g = torch.Generator().manual_seed(0)
    k, d, mu = 4, 3, 0.9
    prototypes, seen = torch.zeros(k, d), torch.zeros(k, dtype=torch.bool)
    sums, counts = torch.zeros(k, d), torch.zeros(k)
    expected = [None] * k
    for epoch in range(3):
        rows = {c: [] for c in range(k)}
        for _ in range(2):  # two batches an epoch
            z = torch.randn(6, d, generator=g)
            # class 3 appears only from the second epoch, so it starts from its own mean then
            labels = torch.randint(0, 3 if epoch == 0 else 4, (6,), generator=g)
            add_class_sums(sums, counts, z, labels)
            for i in range(6):
                rows[int(labels[i])].append(z[i])
        update_prototypes(prototypes, seen, sums, counts, mu)
        for c in range(k):
            if rows[c]:
                mean = sum(rows[c]) / len(rows[c])
                expected[c] = mean if expected[c] is None else mu * expected[c] + (1 - mu) * mean
        assert torch.equal(sums, torch.zeros(k, d)) and torch.equal(counts, torch.zeros(k))
        for c in range(k):
            if expected[c] is None:
                assert not seen[c] and torch.equal(prototypes[c], torch.zeros(d))
            else:
                assert seen[c] and torch.allclose(prototypes[c], expected[c], atol=1e-6)


def test_in_the_first_epoch_a_class_is_the_running_mean_of_its_embeddings_so_far():
    prototypes, seen = torch.full((3, 2), 7.0), torch.tensor([True, False, False])
    sums, counts = torch.zeros(3, 2), torch.zeros(3)
    add_class_sums(sums, counts, torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 5.0]]), torch.tensor([1, 1, 0]))
    current, valid = current_prototypes(prototypes, seen, sums, counts)
    # class 0 keeps its stored prototype, class 1 is the mean of its two rows, class 2 has neither
    assert torch.equal(current[:2], torch.tensor([[7.0, 7.0], [2.0, 4.0]]))
    assert valid.tolist() == [True, True, False]


def test_logits_are_negative_euclidean_distances_and_the_loss_their_cross_entropy_against_a_loop():
    g = torch.Generator().manual_seed(1)
    z, c = torch.randn(40, 3, generator=g), torch.randn(4, 3, generator=g)
    labels = torch.randint(0, 4, (40,), generator=g)
    logits = prototype_logits(z, c)
    for i in range(40):
        for k in range(4):
            distance = math.sqrt(sum((float(z[i, j]) - float(c[k, j])) ** 2 for j in range(3)))
            assert float(logits[i, k]) == pytest.approx(-distance, rel=1e-6)
    pce, score = prototype_loss(z, c, labels)
    assert float(pce) == pytest.approx(float(F.cross_entropy(logits, labels)))
    # the score: the true class's probability, summed over the batch, from the distances by hand
    by_hand = 0.0
    for i in range(40):
        weights = [math.exp(-math.dist(z[i].tolist(), c[k].tolist())) for k in range(4)]
        by_hand += weights[int(labels[i])] / sum(weights)
    assert float(score) == pytest.approx(by_hand, rel=1e-5) and not score.requires_grad


def test_invalid_classes_get_no_probability_and_a_zero_distance_has_a_finite_gradient():
    z = torch.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    c = torch.tensor([[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]])  # example 0 sits on its prototype
    valid = torch.tensor([True, True, False])
    p = torch.softmax(prototype_logits(z, c, valid), 1)
    assert torch.equal(p[:, 2], torch.zeros(2))
    loss = prototype_loss(z, c, torch.tensor([0, 1]), valid)[0] - prototype_entropy(z, c, valid)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()


@pytest.mark.parametrize("scores,expected", [
    ({"audio": 4.0, "image": 6.0}, {"audio": 0.5 * 0.5, "image": 0.0}),  # audio lags by rho = 1.5
    ({"audio": 2.0, "image": 6.0}, {"audio": 0.5 * 1.0, "image": 0.0}),  # rho = 3: the weight is capped at alpha
    ({"audio": 6.0, "image": 6.0}, {"audio": 0.0, "image": 0.0}),  # neither lags
])
def test_only_the_lagging_modality_is_weighted(scores, expected):
    assert pmr_weights(scores, alpha=0.5) == pytest.approx(expected)


def test_one_modality_has_nothing_to_lag_behind():
    with pytest.raises(ValueError, match="needs at least two"):
        pmr_weights({"audio": 2.0}, alpha=0.5)
