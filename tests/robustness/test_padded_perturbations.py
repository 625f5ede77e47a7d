"""Perturbations of the sequence kind act on true steps only."""

import math

import torch

from polymodal.data.padded import Padded
from polymodal.robustness.perturbations import get_perturbation
from polymodal.robustness.perturbations.base import PerturbContext


def batch() -> Padded:
    values = torch.zeros(3, 6, 2)
    lengths = torch.tensor([6, 3, 1])
    for b, n in enumerate(lengths):
        values[b, :n] = torch.arange(1, n + 1, dtype=torch.float32)[:, None]
    return Padded(values, lengths)


def test_step_noise_leaves_padding_and_has_the_training_scale():
    x = Padded(torch.zeros(400, 50, 2), torch.full((400,), 25))
    std = torch.tensor([1.0, 3.0])
    out = get_perturbation("sequence", "gaussian")(x, 0.5, torch.Generator().manual_seed(0), PerturbContext(feature_std=std))
    assert float(out.values[:, 25:].abs().max()) == 0.0
    steps = out.values[:, :25].reshape(-1, 2)
    torch.testing.assert_close(steps.std(0), 0.5 * std, rtol=0.03, atol=0.0)


def test_truncation_keeps_the_first_ceil_of_each_sequence():
    out = get_perturbation("sequence", "truncate")(batch(), 0.5, torch.Generator().manual_seed(0))
    assert out.lengths.tolist() == [math.ceil(0.5 * n) for n in (6, 3, 1)]
    assert torch.equal(out.values[0, :3, 0], torch.tensor([1.0, 2.0, 3.0])) and float(out.values[0, 3:].abs().sum()) == 0


def test_frame_dropping_keeps_order_and_at_least_one_step():
    out = get_perturbation("sequence", "frame-drop")(batch(), 0.9, torch.Generator().manual_seed(1))
    assert bool((out.lengths >= 1).all()) and bool((out.lengths <= torch.tensor([6, 3, 1])).all())
    for b in range(3):
        kept = out.unpadded(b)[:, 0]
        assert bool((kept[1:] > kept[:-1]).all())  # surviving steps in their original order
