import math

import torch

from polymodal.fusion import CrossModalTransformerFusion
from polymodal.fusion.cross_modal_transformer import CrossModalBlock, cross_causal_mask, sinusoidal_positions


@torch.no_grad()
def attention_loop(block: CrossModalBlock, target: torch.Tensor, source: torch.Tensor, heads: int) -> torch.Tensor:
    """softmax(Q K^T / sqrt(d_h)) V per example and head, with the block's own weights, then the residual and FFN."""
    d = target.shape[-1]
    dh = d // heads
    w_q, w_k, w_v = block.attention.in_proj_weight.split(d)
    b_q, b_k, b_v = block.attention.in_proj_bias.split(d)
    out = []
    for t, s in zip(block.norm_target(target), block.norm_source(source)):
        q, k, v = t @ w_q.T + b_q, s @ w_k.T + b_k, s @ w_v.T + b_v
        per_head = []
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            weights = torch.softmax(q[:, sl] @ k[:, sl].T / math.sqrt(dh), dim=-1)  # (T_t, T_s)
            per_head.append(weights @ v[:, sl])
        out.append(torch.cat(per_head, -1) @ block.attention.out_proj.weight.T + block.attention.out_proj.bias)
    y = target + torch.stack(out)
    return y + block.feed_forward(block.norm_ff(y))


def test_cross_modal_block_is_attention_from_target_queries_to_source_keys():
    torch.manual_seed(0)
    block = CrossModalBlock(8, heads=2, dropout=0.0).eval().double()
    target, source = torch.randn(3, 5, 8, dtype=torch.float64), torch.randn(3, 9, 8, dtype=torch.float64)
    torch.testing.assert_close(block(target, source), attention_loop(block, target, source, heads=2))


def test_causal_mask_hides_later_source_steps_only_when_asked():
    mask = cross_causal_mask(2, 4)  # target steps end at 1/2, 1; source steps at 1/4 .. 1
    assert mask.tolist() == [[False, False, True, True], [False, False, False, False]]
    assert not cross_causal_mask(4, 1).any()  # step 0 of the source is always visible
    torch.manual_seed(0)
    block = CrossModalBlock(8, heads=2, dropout=0.0).eval()
    target, source = torch.randn(1, 4, 8), torch.randn(1, 6, 8)
    late = source.clone()
    late[0, 5] = torch.randn(8)  # the last source step ends after every target step but the last
    mask = cross_causal_mask(4, 6)
    torch.testing.assert_close(block(target, late, mask)[:, :3], block(target, source, mask)[:, :3])
    assert not torch.allclose(block(target, late)[:, :3], block(target, source)[:, :3])
    x = {"a": torch.randn(1, 4, 3), "b": torch.randn(1, 6, 2)}
    outputs = [CrossModalTransformerFusion({"a": 3, "b": 2}, 4, causal=c).eval() for c in (False, True)]
    outputs[1].load_state_dict(outputs[0].state_dict())
    assert not torch.allclose(outputs[0](x), outputs[1](x))


def test_unaligned_sequences_and_parameter_count():
    torch.manual_seed(0)
    dims, d = {"a": 5, "b": 3, "c": 4}, 8
    f = CrossModalTransformerFusion(dims, 6, d_model=d, heads=2, layers=2)
    x = {"a": torch.randn(2, 7, 5), "b": torch.randn(2, 3, 3), "c": torch.randn(2, 4)}
    assert f(x).shape == (2, 6)
    block = 3 * 2 * d + (4 * d * d + 4 * d) + (d * 2 * d + 2 * d + 2 * d * d + d)  # 3 layer norms, attention, FFN
    expected = sum((dm + 1) * d for dm in dims.values()) + 6 * 2 * block + (6 * d + 1) * 6
    assert sum(p.numel() for p in f.parameters()) == expected


def test_sinusoidal_positions():
    pe = sinusoidal_positions(5, 6)
    assert pe.shape == (5, 6)
    torch.testing.assert_close(pe[3, 0], torch.tensor(math.sin(3.0)))
    torch.testing.assert_close(pe[3, 3], torch.tensor(math.cos(3 / 10000 ** (2 / 6))))
