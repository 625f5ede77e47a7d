"""GroupedPairFusion: without groups it is concatenation; with them, a loop over pairs gives the same."""

import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion.concat import ConcatFusion
from polymodal.fusion.grouped_pairs import GroupedPairFusion

DIMS = {"a": 4, "b": 4, "c": 4}


def inputs(batch=5):
    torch.manual_seed(0)
    return {m: torch.randn(batch, d) for m, d in DIMS.items()}


def test_without_pair_groups_it_is_concatenation():
    x = inputs()
    assert torch.equal(GroupedPairFusion(DIMS)(x), ConcatFusion(DIMS)(x))


def test_each_group_is_the_mean_of_its_shared_layer_over_its_pairs():
    fusion = GroupedPairFusion(DIMS, [[["a", "b"], ["b", "c"]], [["a", "c"]]], hidden_dim=3)
    x = inputs()
    out = fusion(x)
    assert out.shape == (5, 12 + 6)
    for k, group in enumerate(fusion.pair_groups):
        w, b = fusion.layers[k].weight, fusion.layers[k].bias
        expected = torch.zeros(5, 3)
        for i, j in group:
            for n in range(5):
                feat = torch.cat([x[i][n] + x[j][n], x[i][n] * x[j][n]])
                expected[n] += torch.relu(w @ feat + b) / len(group)
        assert torch.allclose(out[:, 12 + 3 * k: 15 + 3 * k], expected, atol=1e-6)


def test_a_pair_is_symmetric_in_its_modalities():
    x = inputs()
    one = GroupedPairFusion(DIMS, [[["a", "b"]]], hidden_dim=3)
    two = GroupedPairFusion(DIMS, [[["b", "a"]]], hidden_dim=3)
    two.load_state_dict(one.state_dict())
    assert torch.allclose(one(x), two(x))


def test_bad_pairs_are_named():
    with pytest.raises(ConfigError, match="is not a pair"):
        GroupedPairFusion(DIMS, [[["a", "z"]]])
    with pytest.raises(ConfigError, match="one embedding size"):
        GroupedPairFusion({"a": 4, "b": 3}, [[["a", "b"]]])
