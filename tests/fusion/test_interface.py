"""Every registered fusion honours the interface: dict in, declared size out, clear errors, all parameters train."""

import numpy as np
import pytest
import torch

from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion import FUSIONS, READS_TOKENS, fusion_names, make_fusion

DIMS3 = {"a": 5, "b": 3, "c": 4}


@pytest.mark.parametrize("name", fusion_names())
@pytest.mark.parametrize("dims", [{"a": 5, "b": 3}, DIMS3])
def test_output_size_is_declared_and_every_parameter_gets_a_gradient(name, dims):
    torch.manual_seed(0)
    fusion = make_fusion(name, dims, hidden_dim=7, num_classes=4)
    if name in READS_TOKENS:  # token sequences of different lengths (one token would leave the queries idle)
        x = {m: torch.randn(6, 2 + i, d, requires_grad=True) for i, (m, d) in enumerate(dims.items())}
    else:
        x = {m: torch.randn(6, d, requires_grad=True) for m, d in dims.items()}
    z = fusion(x)
    assert z.shape == (6, fusion.output_dim)
    (z**2).sum().backward()
    for pname, p in fusion.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname
    for m, xm in x.items():  # every modality reaches the output
        assert xm.grad is not None and xm.grad.abs().sum() > 0, m


@pytest.mark.parametrize("name", fusion_names())
def test_wrong_inputs_name_the_modality_and_expected_shape(name):
    fusion = make_fusion(name, DIMS3, hidden_dim=7, num_classes=4)
    good = {m: torch.randn(2, d) for m, d in DIMS3.items()}
    with pytest.raises(ShapeError, match=r"modality 'b' is missing.*b: \(B, 3\)"):
        fusion({"a": good["a"], "c": good["c"]})
    with pytest.raises(ShapeError, match=r"modality 'c' has shape \(2, 9\), expected \(B, \.\.\., 4\)"):
        fusion({**good, "c": torch.randn(2, 9)})
    with pytest.raises(ShapeError, match="modality 'b' has batch size 3 but 'a' has 2"):
        fusion({**good, "b": torch.randn(3, 3)})


def test_unknown_fusion_and_bad_options():
    with pytest.raises(ConfigError, match="fusion 'tensr' is unknown; choose from early, late, additive"):
        make_fusion("tensr", DIMS3, 4, 2)
    with pytest.raises(ConfigError, match="bad option"):
        make_fusion("additive", DIMS3, 4, 2, rank=3)
    with pytest.raises(ConfigError, match="at least 2 modalities"):
        make_fusion("additive", {"a": 3}, 4, 2)
    with pytest.raises(ConfigError, match=r"input_dims\['a'\] must be a positive int"):
        make_fusion("early", {"a": 0, "b": 2}, 4, 2)
    with pytest.raises(ConfigError, match="hidden_dim must be a positive int, got 0"):
        make_fusion("additive", DIMS3, 0, 2)
    assert set(FUSIONS) == set(fusion_names())


@pytest.mark.parametrize("name", fusion_names())
def test_numpy_integer_sizes_build_the_same_fusion(name):
    """Sizes read from an array's shape are np.int64; they were rejected as 'not a positive int'."""
    torch.manual_seed(0)
    plain = make_fusion(name, DIMS3, 8, 4)
    torch.manual_seed(0)
    numpy_sized = make_fusion(name, {m: np.int64(d) for m, d in DIMS3.items()}, np.int64(8), np.int32(4))
    assert numpy_sized.output_dim == plain.output_dim and type(numpy_sized.output_dim) is int
    for (n1, p1), (n2, p2) in zip(plain.named_parameters(), numpy_sized.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2)


def test_numpy_integer_options():
    assert make_fusion("low-rank", DIMS3, 8, 4, rank=np.int64(3)).rank == 3
    assert make_fusion("polynomial", DIMS3, 8, 4, order=np.int64(2), rank=np.int64(2)).order == 2
