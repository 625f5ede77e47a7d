from types import SimpleNamespace

import pytest
import torch

from polymodal.data.dataset import ModalitySpec
from polymodal.errors import ConfigError
from polymodal.models.tokenizers import ConvStemTokenizer, PatchTokenizer, VectorTokenizer, make_tokenizer


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


@pytest.mark.parametrize("shape,patch,tokens", [((1, 28, 28), None, 49), ((1, 112, 112), None, 49),
                                                ((2, 10, 7), 6, 4), ((1, 9, 9), 3, 9)])
def test_a_conv_stem_makes_as_many_tokens_as_the_patches(shape, patch, tokens):
    stem = ConvStemTokenizer(shape, dim=16, patch=patch, norm="batch")
    assert stem(torch.randn(3, *shape)).shape == (3, tokens, 16)
    assert PatchTokenizer(shape, dim=16, patch=patch)(torch.randn(3, *shape)).shape == (3, tokens, 16)


def test_a_conv_stem_of_patch_4_is_two_strided_3x3_convolutions_then_1x1():
    torch.manual_seed(0)
    stem = ConvStemTokenizer((1, 28, 28), dim=16)  # widths 8 (at least 8), 16, then 16
    x = torch.randn(2, 1, 28, 28)
    c1, c2, c3 = [m for m in stem.stem if isinstance(m, torch.nn.Conv2d)]
    assert [tuple(c.weight.shape) for c in (c1, c2, c3)] == [(8, 1, 3, 3), (16, 8, 3, 3), (16, 16, 1, 1)]
    f = torch.nn.functional
    h = f.relu(f.conv2d(x, c1.weight, c1.bias, stride=2, padding=1))
    h = f.relu(f.conv2d(h, c2.weight, c2.bias, stride=2, padding=1))
    h = f.conv2d(h, c3.weight, c3.bias)
    torch.testing.assert_close(stem(x), h.flatten(2).transpose(1, 2) + stem.positions)


def test_a_conv_stem_token_sees_its_patch_and_three_pixels_before_it():
    # token i of patch 4 reads rows 4i-3 .. 4i+3: two 3x3 convolutions of stride 2 and padding 1
    torch.manual_seed(0)
    stem = ConvStemTokenizer((1, 28, 28), dim=8).eval()
    x = torch.randn(1, 1, 28, 28)
    base = stem(x)[0].reshape(7, 7, 8)

    def moved(row: int) -> torch.Tensor:
        y = x.clone()
        y[0, 0, row, 9] += 10.0  # column 9: token column 2 reads columns 5 .. 11
        return (stem(y)[0].reshape(7, 7, 8) - base).abs().amax(-1)[:, 2] > 1e-6

    i = 3
    assert moved(4 * i - 3)[i] and moved(4 * i + 3)[i] and moved(4 * i)[i]
    assert not moved(4 * i - 4)[i] and not moved(4 * i + 4)[i]


def test_the_tokenizer_is_chosen_by_name_and_an_unknown_one_fails():
    spec = ModalitySpec("s", "spectrogram", (1, 112, 112))
    assert isinstance(make_tokenizer(spec, 8, tokenizer="conv-stem"), ConvStemTokenizer)
    assert isinstance(make_tokenizer(ModalitySpec("v", "vector", (5,)), 3, tokenizer="conv-stem"), VectorTokenizer)
    with pytest.raises(ConfigError, match="tokenizer: 'linear' is unknown; choose from patch, conv-stem"):
        make_tokenizer(spec, 8, tokenizer="linear")  # type: ignore[arg-type]


def test_a_seed_draws_the_embedding_before_the_positions():
    # the order the patch tokenizer always had: checkpoints and seeded results stay reproducible
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 6, 4, stride=4)
    positions = torch.randn(49, 6) * 0.02
    torch.manual_seed(0)
    tok = PatchTokenizer((1, 28, 28), dim=6)
    torch.testing.assert_close(tok.embed.weight, conv.weight, rtol=0, atol=0)
    torch.testing.assert_close(tok.positions.detach(), positions, rtol=0, atol=0)
