import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import TransformerFusion


def encoder_layer_parameters(d: int) -> int:
    """Self-attention (4 d^2 + 4 d), feed-forward of size 2d (4 d^2 + 3 d), two layer norms (4 d)."""
    return 8 * d * d + 11 * d


def test_parameter_count():
    dims, d, out = {"a": 5, "b": 3, "c": 4}, 8, 6
    f = TransformerFusion(dims, out, d_model=d, heads=2, layers=3)
    expected = sum((dm + 1) * d for dm in dims.values()) + 3 * d + 3 * encoder_layer_parameters(d) + 2 * d + (d + 1) * out
    assert sum(p.numel() for p in f.parameters()) == expected


def test_tokens_of_every_modality_attend_to_each_other_whatever_their_lengths():
    torch.manual_seed(0)
    f = TransformerFusion({"a": 5, "b": 3}, 6, d_model=8, heads=2).eval()
    x = {"a": torch.randn(2, 7, 5), "b": torch.randn(2, 3)}  # a sequence of 7 and a vector (one token)
    z = f(x)
    assert z.shape == (2, 6)
    changed = {"a": x["a"].clone(), "b": x["b"]}
    changed["a"][1, 6] += 1.0  # one late token of one example
    z2 = f(changed)
    torch.testing.assert_close(z2[0], z[0])  # examples stay independent
    assert not torch.allclose(z2[1], z[1])


def test_one_token_per_modality_is_told_apart_only_by_the_modality_embeddings():
    """Attention with mean pooling ignores token order: swapping two modalities' inputs changes the output
    only through the modality embeddings."""
    torch.manual_seed(0)
    f = TransformerFusion({"a": 4, "b": 4}, 3, d_model=8, heads=2).eval()
    f.projections["b"].load_state_dict(f.projections["a"].state_dict())
    x, y = torch.randn(2, 4), torch.randn(2, 4)
    assert not torch.allclose(f({"a": x, "b": y}), f({"a": y, "b": x}))
    with torch.no_grad():
        f.modality_embeddings.zero_()
    torch.testing.assert_close(f({"a": x, "b": y}), f({"a": y, "b": x}))


def test_options():
    with pytest.raises(ConfigError, match="heads must be a positive int dividing d_model=8, got 3"):
        TransformerFusion({"a": 2, "b": 2}, 4, d_model=8, heads=3)
    with pytest.raises(ConfigError, match="layers must be a positive int"):
        TransformerFusion({"a": 2, "b": 2}, 4, d_model=8, heads=2, layers=0)


def test_per_modality_pooling_averages_each_modality_apart():
    """The head reads ``[mean_t Y_a; mean_t Y_b]``: checked against the encoder's outputs split by hand."""
    torch.manual_seed(0)
    f = TransformerFusion({"a": 5, "b": 3}, 6, d_model=8, heads=2, pool="per-modality").eval()
    assert f.output.in_features == 16
    x = {"a": torch.randn(2, 7, 5), "b": torch.randn(2, 3, 3)}
    tokens = torch.cat([f.projections["a"](x["a"]) + f.modality_embeddings[0],
                        f.projections["b"](x["b"]) + f.modality_embeddings[1]], dim=1)
    y = f.encoder(tokens)
    expected = f.output(torch.cat([y[:, :7].mean(1), y[:, 7:].mean(1)], dim=-1))
    torch.testing.assert_close(f(x), expected)


def test_the_joint_mean_is_per_modality_pooling_with_the_head_shared_and_halved():
    """With as many tokens per modality, ``mean_t Y = (mean_t Y_a + mean_t Y_b) / 2``: the joint head ``W``
    equals the per-modality head ``[W; W] / 2``."""
    torch.manual_seed(0)
    joint = TransformerFusion({"a": 5, "b": 3}, 6, d_model=8, heads=2).eval()
    apart = TransformerFusion({"a": 5, "b": 3}, 6, d_model=8, heads=2, pool="per-modality").eval()
    shared = {k: v for k, v in joint.state_dict().items() if not k.startswith("output.")}
    apart.load_state_dict({**shared, "output.weight": torch.cat([joint.output.weight] * 2, dim=1) / 2,
                           "output.bias": joint.output.bias}, strict=True)
    x = {"a": torch.randn(3, 4, 5), "b": torch.randn(3, 4, 3)}
    torch.testing.assert_close(apart(x), joint(x))


def test_per_modality_pooling_leaves_padding_out():
    from polymodal.data.padded import Padded

    torch.manual_seed(0)
    f = TransformerFusion({"a": 4, "b": 3}, 5, d_model=8, heads=2, pool="per-modality").eval()
    values, b = torch.randn(2, 6, 4), torch.randn(2, 3)
    z = f({"a": Padded(values, torch.tensor([6, 4])), "b": b})
    shorter = f({"a": Padded(values[1:, :4], torch.tensor([4])), "b": b[1:]})
    torch.testing.assert_close(z[1:], shorter)  # example 1 with its padding cut off
    garbage = values.clone()
    garbage[1, 4:] = 100.0
    torch.testing.assert_close(f({"a": Padded(garbage, torch.tensor([6, 4])), "b": b}), z)


def test_an_unknown_pooling_is_refused():
    with pytest.raises(ConfigError, match="pool: 'max' is unknown; choose from joint, per-modality"):
        TransformerFusion({"a": 2, "b": 2}, 4, d_model=8, heads=2, pool="max")
