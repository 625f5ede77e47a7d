"""Encoders of variable-length sequences: a :class:`~polymodal.data.padded.Padded` batch to one vector per example.

Each honours the mask exactly: an example's embedding in a padded batch equals its embedding
alone, unpadded (up to float rounding), whatever the other examples' lengths.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polymodal.data.padded import Padded, masked_mean
from polymodal.errors import ConfigError, ShapeError


def _as_padded(x: Padded | Tensor) -> Padded:
    if isinstance(x, Padded):
        return x
    if isinstance(x, Tensor) and x.dim() >= 2:
        return Padded.full(x)
    raise ShapeError(f"a sequence encoder takes a Padded batch or a (B, T, d) tensor, got {type(x).__name__}")


class GRUSequenceEncoder(nn.Module):
    """A GRU over the true steps only (packed), its last hidden state projected:
    ``e = ReLU(W h_{L} + b)``, with ``h_L`` the state after the last real step.

    Args:
        in_dim: feature size ``d`` of a step.
        out_dim: embedding size.
        hidden_dim: GRU state size.

    Shapes:
        ``Padded (B, T, d)`` -> ``(B, out_dim)``.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int = 64) -> None:
        super().__init__()
        self.gru = nn.GRU(in_dim, hidden_dim, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden_dim, out_dim), nn.ReLU())
        self.out_dim = out_dim

    def forward(self, x: Padded | Tensor) -> Tensor:
        x = _as_padded(x)
        packed = nn.utils.rnn.pack_padded_sequence(x.values, x.lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.head(h[-1])


class ConvSequenceEncoder(nn.Module):
    """Two 1-D convolutions (kernel ``k``, stride 1, zero 'same' padding) with ReLU, then the mean
    over the true steps: ``e = ReLU(W mean_{t < L} h_t + b)``.

    The padding is zeroed before every convolution, so the steps near the end of a sequence see
    zeros, as they would at the border of the unpadded sequence.

    Args:
        in_dim: feature size ``d`` of a step.
        out_dim: embedding size.
        hidden_dim: channels of the convolutions.
        kernel: odd kernel size.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int = 64, kernel: int = 5) -> None:
        super().__init__()
        if kernel < 1 or kernel % 2 == 0:
            raise ConfigError(f"kernel must be a positive odd int, got {kernel!r}")
        self.convs = nn.ModuleList([nn.Conv1d(in_dim, hidden_dim, kernel, padding=kernel // 2),
                                    nn.Conv1d(hidden_dim, hidden_dim, kernel, padding=kernel // 2)])
        self.head = nn.Sequential(nn.Linear(hidden_dim, out_dim), nn.ReLU())
        self.out_dim = out_dim

    def forward(self, x: Padded | Tensor) -> Tensor:
        x = _as_padded(x)
        mask = x.mask
        h = x.values.transpose(1, 2)  # (B, d, T)
        for conv in self.convs:
            h = torch.relu(conv(h * mask[:, None, :].to(h.dtype)))
        return self.head(masked_mean(h.transpose(1, 2), mask))


class TransformerSequenceEncoder(nn.Module):
    """Steps projected to ``d_model`` with sinusoidal positions, a pre-norm Transformer encoder
    whose attention ignores the padding (key padding mask), and the mean over the true steps.

    Args:
        in_dim: feature size ``d`` of a step.
        out_dim: embedding size.
        d_model: attention size (``heads`` divides it).
        heads: attention heads.
        layers: encoder layers.
        dropout: dropout inside the encoder.
    """

    def __init__(self, in_dim: int, out_dim: int, d_model: int = 64, heads: int = 4, layers: int = 2,
                 dropout: float = 0.1) -> None:
        super().__init__()
        from polymodal.fusion.transformer import check_heads

        check_heads(d_model, heads, layers)
        self.d_model = d_model
        self.project = nn.Linear(in_dim, d_model)
        layer = nn.TransformerEncoderLayer(d_model, heads, 2 * d_model, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(d_model, out_dim), nn.ReLU())
        self.out_dim = out_dim

    def forward(self, x: Padded | Tensor) -> Tensor:
        from polymodal.fusion.cross_modal_transformer import sinusoidal_positions

        x = _as_padded(x)
        h = self.project(x.values)
        h = h + sinusoidal_positions(h.shape[1], self.d_model, h.device).to(h.dtype)
        mask = x.mask
        return self.head(masked_mean(self.encoder(h, src_key_padding_mask=~mask), mask))


class TokenSequenceEncoder(nn.Module):
    """Token ids through a trainable embedding table (id 0 is padding), then a sequence encoder.

    Args:
        vocab_size: number of ids, padding included.
        encoder: a sequence encoder over ``(B, T, embed_dim)``.
        embed_dim: size of a token embedding.

    Shapes:
        ``Padded (B, T)`` long -> ``(B, encoder.out_dim)``.
    """

    def __init__(self, vocab_size: int, encoder: nn.Module, embed_dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.encoder = encoder
        self.out_dim = encoder.out_dim

    def forward(self, x: Padded | Tensor) -> Tensor:
        x = _as_padded(x)
        return self.encoder(Padded(self.embed(x.values), x.lengths))


#: name -> class(in_dim, out_dim, hidden) of the sequence encoders
SEQUENCE_ENCODERS: dict[str, type[nn.Module]] = {
    "gru": GRUSequenceEncoder,
    "cnn": ConvSequenceEncoder,
    "transformer": TransformerSequenceEncoder,
}


def make_sequence_encoder(name: str, in_dim: int, out_dim: int, hidden_dim: int, dropout: float = 0.1) -> nn.Module:
    """The sequence encoder called ``name`` (one of :data:`SEQUENCE_ENCODERS`)."""
    if name == "transformer":
        return TransformerSequenceEncoder(in_dim, out_dim, d_model=hidden_dim, dropout=dropout)
    if name in SEQUENCE_ENCODERS:
        return SEQUENCE_ENCODERS[name](in_dim, out_dim, hidden_dim)
    raise ConfigError(f"sequence encoder {name!r} is unknown; choose from {', '.join(SEQUENCE_ENCODERS)}")
