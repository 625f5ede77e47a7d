from types import SimpleNamespace

import pytest
import torch

from polymodal.data.dataset import ModalitySpec
from polymodal.errors import ConfigError
from polymodal.models.tokenizers import PatchTokenizer, VectorTokenizer, make_tokenizer


def test_patches_are_embedded_in_row_major_order():
    tok = PatchTokenizer((1, 28, 28), dim=6)
    assert tok.patch == 4  # 7 patches per side
    x = torch.randn(2, 1, 28, 28)
    t = tok(x)
    assert t.shape == (2, 49, 6)
    # token (row 1, column 2) is the linear embedding of pixels [4:8, 8:12], plus its position
    patch = x[:, 0, 4:8, 8:12].reshape(2, -1)
    expected = patch @ tok.embed.weight.reshape(6, -1).T + tok.embed.bias + tok.positions[1 * 7 + 2]
    torch.testing.assert_close(t[:, 9], expected)


def test_sides_that_are_not_multiples_of_the_patch_are_zero_padded():
    tok = PatchTokenizer((2, 10, 7), dim=4, patch=3)
    assert tok(torch.randn(5, 2, 10, 7)).shape == (5, 4 * 3, 4)


def test_vectors_are_one_token_and_unknown_kinds_fail():
    assert VectorTokenizer(5, 3)(torch.randn(2, 5)).shape == (2, 1, 3)
    assert isinstance(make_tokenizer(ModalitySpec("s", "spectrogram", (1, 112, 112)), 8), PatchTokenizer)
    with pytest.raises(ConfigError, match="modality 'x': kind 'graph' is unknown"):
        make_tokenizer(SimpleNamespace(name="x", kind="graph", shape=(3,)), 8)  # type: ignore[arg-type]
