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


def _first_norm_output(encoder: torch.nn.Module, x: torch.Tensor, norm_type: type) -> torch.Tensor:
    out = {}
    layer = next(m for m in encoder.modules() if isinstance(m, norm_type))
    layer.register_forward_hook(lambda m, i, o: out.setdefault("y", o))
    encoder(x)
    return out["y"]


@pytest.mark.parametrize("norm,norm_type,dims", [
    ("batch", torch.nn.BatchNorm2d, (0, 2, 3)),  # per channel, over the batch and positions
    ("layer", torch.nn.GroupNorm, (1, 2, 3)),  # per example, over channels and positions
])
def test_lenet_normalisation_against_the_formula(norm, norm_type, dims):
    torch.manual_seed(0)
    encoder = LeNetEncoder((1, 28, 28), out_dim=8, norm=norm).train()
    x = torch.randn(5, 1, 28, 28)
    conv = encoder.features[0]
    h = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=2)
    mean, var = h.mean(dims, keepdim=True), h.var(dims, unbiased=False, keepdim=True)
    expected = (h - mean) / torch.sqrt(var + 1e-5)  # the affine parameters start at 1 and 0
    assert torch.allclose(_first_norm_output(encoder, x, norm_type), expected, atol=1e-4)


@pytest.mark.parametrize("norm,norm_type,dim", [("batch", torch.nn.BatchNorm1d, 0), ("layer", torch.nn.LayerNorm, 1)])
def test_mlp_normalisation_against_the_formula(norm, norm_type, dim):
    torch.manual_seed(0)
    encoder = MLPEncoder(6, 4, hidden_dim=10, norm=norm).train()
    x = torch.randn(7, 6)
    linear = encoder.net[0]
    h = x @ linear.weight.T + linear.bias
    expected = (h - h.mean(dim, keepdim=True)) / torch.sqrt(h.var(dim, unbiased=False, keepdim=True) + 1e-5)
    assert torch.allclose(_first_norm_output(encoder, x, norm_type), expected, atol=1e-4)


def test_without_normalisation_the_encoders_hold_no_norm_layer():
    for encoder in (LeNetEncoder((1, 28, 28), 8), MLPEncoder(6, 4)):
        norms = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.GroupNorm, torch.nn.LayerNorm)
        assert not any(isinstance(m, norms) for m in encoder.modules())


def test_final_relu_decides_whether_embeddings_can_be_negative():
    torch.manual_seed(0)
    x = torch.randn(64, 1, 28, 28)
    assert (LeNetEncoder((1, 28, 28), 16)(x) >= 0).all()
    assert (LeNetEncoder((1, 28, 28), 16, final_relu=False)(x) < 0).any()
    assert (MLPEncoder(6, 16, final_relu=False)(torch.randn(64, 6)) < 0).any()


def test_make_encoder_passes_the_style_to_the_kind():
    enc = make_encoder(ModalitySpec("s", "spectrogram", (1, 112, 112)), 8, norm="batch", final_relu=False)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in enc.modules()) == 4
    assert not isinstance(enc.head[-1], torch.nn.ReLU)


def test_without_normalisation_the_layers_keep_their_checkpoint_keys():
    """Checkpoints written before the normalisation option load into today's encoders."""
    assert [k for k in MLPEncoder(6, 4).state_dict()] == ["net.0.weight", "net.0.bias", "net.3.weight", "net.3.bias"]
    keys = list(LeNetEncoder((1, 28, 28), 8).state_dict())
    assert keys == ["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias",
                    "head.1.weight", "head.1.bias"]


def test_auto_normalisation_is_batch_norm_after_convolutions_and_none_after_linear_layers():
    """The candidate recipe of docs/avmnist_recipe.md: MultiBench's LeNets carry BatchNorm, its MLPs none."""
    lenet = LeNetEncoder((1, 112, 112), 8, norm="auto")
    assert [type(m) for m in lenet.features if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)] == [torch.nn.BatchNorm2d] * 4
    assert list(MLPEncoder(6, 4, norm="auto").state_dict()) == list(MLPEncoder(6, 4).state_dict())
