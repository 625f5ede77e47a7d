import pytest
import torch

from polymodal.errors import ConfigError
from polymodal.fusion import LateFusion


def test_mean_of_the_modalities_logits():
    torch.manual_seed(0)
    f = LateFusion({"a": 3, "b": 2, "c": 4}, output_dim=5, hidden_dim=6)
    x = {"a": torch.randn(4, 3), "b": torch.randn(4, 2), "c": torch.randn(4, 4)}
    per = f.modality_logits(x)
    torch.testing.assert_close(f(x), (per["a"] + per["b"] + per["c"]) / 3)
    assert f.outputs_logits
    expected_params = sum(d * 6 + 6 + 6 * 5 + 5 for d in (3, 2, 4))
    assert sum(p.numel() for p in f.parameters()) == expected_params


def test_learned_vote_is_a_convex_combination():
    f = LateFusion({"a": 3, "b": 2}, output_dim=4, combine="learned")
    with torch.no_grad():
        f.vote_logits.copy_(torch.tensor([0.0, 1e4]))  # all weight on b
    x = {"a": torch.randn(2, 3), "b": torch.randn(2, 2)}
    torch.testing.assert_close(f(x), f.modality_logits(x)["b"])
    with pytest.raises(ConfigError, match="combine: 'max'"):
        LateFusion({"a": 3, "b": 2}, 4, combine="max")
