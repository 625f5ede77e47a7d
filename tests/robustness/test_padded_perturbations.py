"""Perturbations of the sequence kind act on true steps only."""

import math

import pytest
import torch

from polymodal.data.padded import Padded
from polymodal.errors import ShapeError
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


def ragged(seed: int = 0) -> Padded:
    """Continuous random values: only a masked band makes a whole row or column equal the minimum."""
    lengths = torch.tensor([12, 7, 3, 2, 10])
    values = torch.randn(5, 12, 8, generator=torch.Generator().manual_seed(seed))
    return Padded(values * (torch.arange(12)[None, :, None] < lengths[:, None, None]), lengths)


@pytest.mark.parametrize("p", [0.25, 0.5, 1.0])
def test_sequence_frequency_mask_sets_one_band_of_features_on_every_true_step(p):
    x = ragged()
    out = get_perturbation("sequence", "freq-mask")(x, p, torch.Generator().manual_seed(3))
    assert torch.equal(out.lengths, x.lengths)
    width = round(p * 8)
    for b, n in enumerate(x.lengths.tolist()):  # one example at a time, column by column
        low = x.values[b, :n].min()
        columns = [f for f in range(8) if bool((out.values[b, :n, f] == low).all())]
        assert len(columns) == width and columns == list(range(columns[0], columns[0] + width))
        kept = [f for f in range(8) if f not in columns]
        assert torch.equal(out.values[b, :, kept], x.values[b, :, kept])
        assert float(out.values[b, n:].abs().sum()) == 0.0  # the padding stays


@pytest.mark.parametrize("p", [0.3, 0.5, 1.0])
def test_sequence_time_mask_sets_round_p_n_consecutive_true_steps(p):
    x = ragged(1)
    out = get_perturbation("sequence", "time-mask")(x, p, torch.Generator().manual_seed(4))
    assert torch.equal(out.lengths, x.lengths)
    for b, n in enumerate(x.lengths.tolist()):
        low = float(x.values[b, :n].min())
        width = round(p * n)
        rows = [t for t in range(12) if bool((out.values[b, t] == low).all())]
        assert len(rows) == width and rows == list(range(rows[0], rows[0] + width)) if width else rows == []
        assert all(t < n for t in rows)
        untouched = [t for t in range(12) if t not in rows]
        assert torch.equal(out.values[b, untouched], x.values[b, untouched])


def test_sequence_masks_need_feature_vectors():
    tokens = Padded(torch.zeros(2, 4, dtype=torch.long), torch.tensor([4, 2]))
    for name in ("freq-mask", "time-mask"):
        with pytest.raises(ShapeError, match=f"{name} needs sequences of feature vectors"):
            get_perturbation("sequence", name)(tokens, 0.5, torch.Generator().manual_seed(0))
