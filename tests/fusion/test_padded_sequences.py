"""Every fusion that reads sequences honours the mask of a padded batch (each example as if alone)."""

import pytest
import torch

from polymodal.data.padded import Padded
from polymodal.fusion.cross_modal_transformer import (
    CrossModalTransformerFusion, cross_causal_mask, padded_cross_causal_mask,
)
from polymodal.fusion.modality_shift import ModalityShiftingFusion
from polymodal.fusion.transformer import TransformerFusion
from polymodal.errors import ShapeError


def ragged(d, lengths, seed, pad_value=7.0):
    g = torch.Generator().manual_seed(seed)
    values = torch.full((len(lengths), max(lengths), d), pad_value)
    for b, n in enumerate(lengths):
        values[b, :n] = torch.randn(n, d, generator=g)
    return Padded(values, torch.tensor(lengths))


def alone(inputs, b):
    return {m: Padded.full(x.unpadded(b)[None]) if isinstance(x, Padded) else x[b : b + 1] for m, x in inputs.items()}


FUSIONS = {
    "transformer": lambda: TransformerFusion({"a": 4, "b": 6, "v": 3}, 8, d_model=16, heads=2),
    "raw": lambda: TransformerFusion({"a": 4, "b": 6, "v": 3}, 8, d_model=16, heads=2, layers=1),
    "cross-modal-transformer": lambda: CrossModalTransformerFusion({"a": 4, "b": 6, "v": 3}, 8, d_model=16, heads=2),
    "cross-modal-transformer-causal": lambda: CrossModalTransformerFusion({"a": 4, "b": 6, "v": 3}, 8, d_model=16,
                                                                          heads=2, causal=True),
}


@pytest.mark.parametrize("name", list(FUSIONS))
def test_padded_batch_equals_each_example_alone(name):
    torch.manual_seed(0)
    fusion = FUSIONS[name]().eval()
    inputs = {"a": ragged(4, (5, 2, 1), 0), "b": ragged(6, (3, 6, 2), 1), "v": torch.randn(3, 3)}
    together = fusion(inputs)
    for b in range(3):
        torch.testing.assert_close(together[b], fusion(alone(inputs, b))[0], atol=1e-5, rtol=1e-5)


def test_modality_shift_on_aligned_padded_sequences():
    torch.manual_seed(0)
    fusion = ModalityShiftingFusion({"a": 4, "b": 3}).eval()
    lengths = (4, 2)
    inputs = {"a": ragged(4, lengths, 0), "b": ragged(3, lengths, 1)}
    out = fusion(inputs)
    assert isinstance(out, Padded) and torch.equal(out.lengths, torch.tensor(lengths))
    for b in range(2):
        single = fusion(alone(inputs, b))
        torch.testing.assert_close(out.unpadded(b), single.unpadded(0), atol=1e-6, rtol=1e-6)
    assert torch.all(out.values[1, 2:] == 0)


def test_modality_shift_refuses_unaligned_sequences():
    fusion = ModalityShiftingFusion({"a": 4, "b": 3})
    with pytest.raises(ShapeError, match="aligned"):
        fusion({"a": ragged(4, (4, 2), 0), "b": ragged(3, (4, 1), 1)})


def test_padded_causal_mask_equals_the_unpadded_one_per_example():
    lt, ls = torch.tensor([3, 5]), torch.tensor([4, 2])
    masks = padded_cross_causal_mask(lt, ls, 5, 4)
    for b in range(2):
        t, s = int(lt[b]), int(ls[b])
        assert torch.equal(masks[b, :t, :s], cross_causal_mask(t, s))
