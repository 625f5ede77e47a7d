"""Encoders that map one modality's raw input to a vector embedding.

The encoders of vectors (MLP) and of images and spectrograms (LeNet) share two choices of the
training recipe: a normalisation after each hidden linear or convolution layer (``norm``:
``"none"``, ``"batch"`` or ``"layer"``; layer norm of a convolution normalises each example over
its channels and positions, ``GroupNorm`` with one group; ``"auto"`` is batch norm after
convolutions and none after linear layers, as in MultiBench's AV-MNIST LeNets and MLPs, the
candidate default of ``docs/avmnist_recipe.md``, which lets joint training learn the slower
modality) and whether the embedding ends with a ReLU (``final_relu``).
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
from torch import Tensor, nn

EncoderNorm = Literal["auto", "none", "batch", "layer"]
ENCODER_NORMS: tuple[str, ...] = get_args(EncoderNorm)


def norm_layers(norm: EncoderNorm, channels: int, spatial: bool) -> list[nn.Module]:
    """The normalisation ``norm`` of ``channels`` features, ``(B, C)`` or, if ``spatial``,
    ``(B, C, H, W)``, as a list of layers to splice in: empty for ``none``, so that the layers of
    an encoder without normalisation keep the indices (and checkpoint keys) they always had.
    ``auto`` is ``batch`` for ``spatial`` (convolution) features and ``none`` otherwise."""
    if norm == "auto":
        norm = "batch" if spatial else "none"
    if norm == "batch":
        return [nn.BatchNorm2d(channels) if spatial else nn.BatchNorm1d(channels)]
    if norm == "layer":
        return [nn.GroupNorm(1, channels) if spatial else nn.LayerNorm(channels)]
    if norm == "none":
        return []
    raise ValueError(f"norm: {norm!r} is unknown; choose from {', '.join(ENCODER_NORMS)}")

from polymodal.data.dataset import ModalitySpec
from polymodal.data.kinds import get_kind


class MLPEncoder(nn.Module):
    """Two-layer perceptron for vector modalities: ``(B, d) -> (B, out_dim)``.

    ``linear, norm, ReLU, dropout, linear[, ReLU]``.

    Args:
        in_dim: input size ``d``.
        out_dim: embedding size.
        hidden_dim: hidden layer size.
        dropout: dropout after the hidden layer.
        norm: normalisation of the hidden layer (see the module's docstring).
        final_relu: end the embedding with a ReLU.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int = 128, dropout: float = 0.0,
                 norm: EncoderNorm = "none", final_relu: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim), *norm_layers(norm, hidden_dim, spatial=False), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, out_dim), *([nn.ReLU()] if final_relu else []),
        )
        self.out_dim = out_dim

    def forward(self, x: Tensor) -> Tensor:
        """``(B, d) -> (B, out_dim)``."""
        return self.net(x)


class LeNetEncoder(nn.Module):
    """LeNet-style CNN for images and spectrograms: ``(B, C, H, W) -> (B, out_dim)``.

    Convolution blocks (conv, norm, ReLU, 2x2 max-pool; 5x5 kernels in the first block, 3x3
    after) halve the resolution until it is at most 7 (two blocks for 28x28, four for 112x112, as
    MultiBench's LeNet encoders for AV-MNIST), then a linear layer makes the embedding.

    Args:
        in_shape: ``(C, H, W)`` of one input.
        out_dim: embedding size.
        channels: channels of the first block, doubled per block up to ``4 * channels``.
        norm: normalisation after each convolution (see the module's docstring).
        final_relu: end the embedding with a ReLU.
    """

    def __init__(self, in_shape: tuple[int, int, int], out_dim: int, channels: int = 8, norm: EncoderNorm = "none",
                 final_relu: bool = True) -> None:
        super().__init__()
        c, h, w = in_shape
        layers: list[nn.Module] = []
        ch, block = c, 0
        while max(h, w) > 7:
            nxt = channels * min(2**block, 4)
            k = 5 if block == 0 else 3
            layers += [nn.Conv2d(ch, nxt, k, padding=k // 2), *norm_layers(norm, nxt, spatial=True), nn.ReLU(),
                       nn.MaxPool2d(2)]
            ch, h, w, block = nxt, h // 2, w // 2, block + 1
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(ch * h * w, out_dim), *([nn.ReLU()] if final_relu else []))
        self.out_dim = out_dim

    def forward(self, x: Tensor) -> Tensor:
        """``(B, C, H, W) -> (B, out_dim)``."""
        # channels-last runs the CPU convolutions of several input channels faster (oneDNN). An input of
        # one channel (AV-MNIST's image and spectrogram) is contiguous in both formats, and PyTorch keeps
        # NCHW then, through every block. Converting after the first convolution would be faster, but it
        # changes the last bits of the values, and the kept AV-MNIST runs would no longer repeat bit for bit.
        return self.head(self.features(x.contiguous(memory_format=torch.channels_last)))


def make_encoder(spec: ModalitySpec, out_dim: int, hidden_dim: int = 128, dropout: float = 0.0,
                 sequence_encoder: str | None = None, norm: EncoderNorm = "none", final_relu: bool = True) -> nn.Module:
    """The default encoder of the modality's kind (see :mod:`polymodal.data.kinds`): an MLP for
    vectors, a LeNet for images and spectrograms, a GRU for sequences (or ``sequence_encoder``:
    ``"gru"``, ``"cnn"``, ``"transformer"``), token embeddings and a Transformer for text.
    ``norm`` and ``final_relu`` shape the MLP and LeNet encoders (the module's docstring); the
    sequence and text encoders have their own normalisation and take neither.

    Returns:
        A module ``(B, *shape) -> (B, out_dim)``.
    """
    return get_kind(spec.kind, spec.name).encoder(spec, out_dim, hidden_dim, dropout, sequence_encoder,
                                                  norm=norm, final_relu=final_relu)
