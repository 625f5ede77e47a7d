import pytest
import torch

from polymodal.data.dataset import ModalitySpec
from polymodal.models import LeNetEncoder, MLPEncoder, make_encoder


@pytest.mark.parametrize("shape,blocks", [((1, 28, 28), 2), ((1, 112, 112), 4), ((3, 8, 8), 1)])
def test_lenet_reduces_to_at_most_7x7(shape, blocks):
    enc = LeNetEncoder(shape, out_dim=16)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in enc.modules()) == blocks
    assert enc(torch.randn(2, *shape)).shape == (2, 16)


def test_encoder_follows_the_modality_kind():
    assert isinstance(make_encoder(ModalitySpec("v", "vector", (10,)), 8), MLPEncoder)
    assert isinstance(make_encoder(ModalitySpec("s", "spectrogram", (1, 112, 112)), 8), LeNetEncoder)
    assert MLPEncoder(10, 8, hidden_dim=4)(torch.randn(3, 10)).shape == (3, 8)
