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


def test_patch_embeddings_are_batch_normalised_over_the_batch_and_the_patches():
    torch.manual_seed(0)
    tok = PatchTokenizer((1, 28, 28), dim=6, norm="auto").train()
    x = torch.randn(3, 1, 28, 28)
    h = torch.nn.functional.conv2d(x, tok.embed.weight, tok.embed.bias, stride=4)  # (3, 6, 7, 7)
    mean, var = h.mean((0, 2, 3), keepdim=True), h.var((0, 2, 3), unbiased=False, keepdim=True)
    expected = ((h - mean) / torch.sqrt(var + 1e-5)).flatten(2).transpose(1, 2) + tok.positions
    torch.testing.assert_close(tok(x), expected, atol=1e-4, rtol=1e-4)


def test_an_unnormalised_patch_tokenizer_keeps_its_checkpoint_keys():
    assert list(PatchTokenizer((1, 28, 28), dim=6).state_dict()) == ["positions", "embed.weight", "embed.bias"]
    spec = ModalitySpec("s", "spectrogram", (1, 112, 112))
    assert isinstance(make_tokenizer(spec, 8, norm="batch").norm, torch.nn.BatchNorm2d)
    assert make_tokenizer(ModalitySpec("v", "vector", (5,)), 3, norm="batch")(torch.randn(2, 5)).shape == (2, 1, 3)
