"""Sequence encoders honour the mask: an example in a padded batch is encoded as it is alone, unpadded."""

import pytest
import torch

from polymodal.data.padded import Padded
from polymodal.models.sequence_encoders import SEQUENCE_ENCODERS, TokenSequenceEncoder, make_sequence_encoder


def ragged_batch(d: int = 5, lengths=(7, 3, 1, 5), seed: int = 0, pad_value: float = 9.0) -> Padded:
    """Sequences of different lengths padded with a large constant (so leaking padding would show)."""
    g = torch.Generator().manual_seed(seed)
    t = max(lengths)
    values = torch.full((len(lengths), t, d), pad_value)
    for b, n in enumerate(lengths):
        values[b, :n] = torch.randn(n, d, generator=g)
    return Padded(values, torch.tensor(lengths))


@pytest.mark.parametrize("name", list(SEQUENCE_ENCODERS))
def test_padded_batch_equals_each_example_alone(name):
    torch.manual_seed(0)
    enc = make_sequence_encoder(name, 5, 8, 16).eval()
    batch = ragged_batch()
    together = enc(batch)
    for b in range(len(batch)):
        alone = enc(Padded.full(batch.unpadded(b)[None]))
        torch.testing.assert_close(together[b], alone[0], atol=1e-5, rtol=1e-5)


def test_token_encoder_ignores_padding_ids():
    torch.manual_seed(0)
    enc = TokenSequenceEncoder(20, make_sequence_encoder("transformer", 16, 8, 16), 16).eval()
    ids = torch.tensor([[3, 4, 5, 7, 7], [2, 9, 0, 0, 0]])
    x = Padded(ids, torch.tensor([4, 2]))
    together = enc(x)
    torch.testing.assert_close(together[1], enc(Padded.full(ids[1:, :2]))[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(together[0], enc(Padded.full(ids[:1, :4]))[0], atol=1e-5, rtol=1e-5)


def test_gru_matches_a_plain_loop_over_steps():
    """The GRU's embedding is the state after the last real step, computed by stepping a GRUCell by hand."""
    torch.manual_seed(1)
    enc = make_sequence_encoder("gru", 3, 4, 6).eval()
    cell = torch.nn.GRUCell(3, 6)
    cell.weight_ih.data, cell.weight_hh.data = enc.gru.weight_ih_l0.data, enc.gru.weight_hh_l0.data
    cell.bias_ih.data, cell.bias_hh.data = enc.gru.bias_ih_l0.data, enc.gru.bias_hh_l0.data
    batch = ragged_batch(d=3, lengths=(4, 2))
    out = enc(batch)
    for b in range(2):
        h = torch.zeros(1, 6)
        for step in batch.unpadded(b):
            h = cell(step[None], h)
        torch.testing.assert_close(out[b], enc.head(h)[0], atol=1e-6, rtol=1e-6)


def test_unknown_encoder_names_the_choices():
    with pytest.raises(ValueError, match="gru, cnn, transformer"):
        make_sequence_encoder("lstm", 3, 4, 8)
