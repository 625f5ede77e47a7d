"""Gradient Blending's weights from given training and validation losses, computed by hand."""

import pytest

from polymodal.training.balance.gradient_blending import HeadLosses, blend_weights


def test_weights_are_gain_over_squared_overfitting_normalised():
    losses = {
        # G = 1.2 - 0.9 = 0.3; O = (0.9 - 0.5) - (1.2 - 1.0) = 0.2; G / O^2 = 7.5
        "audio": HeadLosses(train_start=1.0, train_end=0.5, val_start=1.2, val_end=0.9),
        # G = 0.1; O = (1.0 - 0.2) - (1.1 - 1.0) = 0.7; G / O^2 = 0.1 / 0.49
        "image": HeadLosses(train_start=1.0, train_end=0.2, val_start=1.1, val_end=1.0),
    }
    w = blend_weights(losses)
    total = 7.5 + 0.1 / 0.49
    assert w == pytest.approx({"audio": 7.5 / total, "image": (0.1 / 0.49) / total})


def test_a_head_that_did_not_generalise_gets_nothing_and_none_means_uniform():
    worse = HeadLosses(1.0, 0.5, 1.0, 1.2)  # validation loss went up: G < 0
    better = HeadLosses(1.0, 0.5, 1.0, 0.8)
    assert blend_weights({"a": worse, "b": better}) == pytest.approx({"a": 0.0, "b": 1.0})
    assert blend_weights({"a": worse, "b": worse, "fused": worse}) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "fused": 1 / 3})
