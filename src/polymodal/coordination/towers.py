"""Two towers: one encoder and projection per modality, coordinated in a shared space."""

from __future__ import annotations

import math
from typing import Mapping

from torch import Tensor, nn

from polymodal.coordination.contrastive import LogitScale
from polymodal.errors import ShapeError


class Tower(nn.Module):
    """``encoder`` then a linear projection: ``(B, *shape) -> (B, out_dim)``.

    Args:
        encoder: ``(B, *shape) -> (B, embed_dim)`` (e.g. :func:`polymodal.models.encoders.make_encoder`).
        embed_dim: the encoder's output size.
        out_dim: size of the coordinated representation.
    """

    def __init__(self, encoder: nn.Module, embed_dim: int, out_dim: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.projection = nn.Linear(embed_dim, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        """``(B, *shape) -> (B, out_dim)``."""
        return self.projection(self.encoder(x))


class Decoder(nn.Module):
    """Reconstructs a modality from its coordinated representation: ``(B, out_dim) -> (B, *shape)``.

    An MLP ``out_dim -> hidden -> prod(shape)``, reshaped to the input's shape.
    """

    def __init__(self, out_dim: int, shape: tuple[int, ...], hidden_dim: int = 128) -> None:
        super().__init__()
        self.shape = tuple(shape)
        self.net = nn.Sequential(nn.Linear(out_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, math.prod(shape)))

    def forward(self, z: Tensor) -> Tensor:
        """``(B, out_dim) -> (B, *shape)``."""
        return self.net(z).view(len(z), *self.shape)


class TwoTowerModel(nn.Module):
    """One tower per modality (CLIP's dual encoder; the two networks of Deep CCA).

    ``forward({a: x_a, b: x_b}) = {a: f_a(x_a), b: f_b(x_b)}``; every modality can also be
    embedded alone (:meth:`embed`), which retrieval and zero-shot use. The model owns the
    contrastive temperature (:attr:`logit_scale`) and, for DCCAE, one decoder per modality.

    Args:
        towers: ``{modality: Tower}``, exactly two.
        decoders: optional ``{modality: Decoder}`` for autoencoder terms.
        initial_temperature: initial ``tau`` of the learnable :class:`LogitScale`.
    """

    def __init__(self, towers: Mapping[str, Tower], decoders: Mapping[str, nn.Module] | None = None,
                 initial_temperature: float = 0.07) -> None:
        super().__init__()
        if len(towers) != 2:
            raise ShapeError(f"coordination ties exactly two modalities, got {list(towers)}")
        self.towers = nn.ModuleDict(dict(towers))
        self.decoders = nn.ModuleDict(dict(decoders or {}))
        self.logit_scale = LogitScale(initial_temperature)

    @property
    def modalities(self) -> list[str]:
        """The two modality names, in order."""
        return list(self.towers)

    def _check(self, inputs: Mapping[str, Tensor]) -> None:
        missing = [m for m in self.towers if m not in inputs]
        if missing:
            raise ShapeError(f"modality {missing[0]!r} is missing from the inputs (got {sorted(inputs)}); the model reads {self.modalities}")

    def embed(self, modality: str, x: Tensor) -> Tensor:
        """One modality alone: ``(B, *shape_m) -> (B, out_dim)``."""
        if modality not in self.towers:
            raise ShapeError(f"modality {modality!r} is not one of the model's {self.modalities}")
        return self.towers[modality](x)

    def forward(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``{m: (B, *shape_m)} -> {m: (B, out_dim)}``."""
        self._check(inputs)
        return {m: tower(inputs[m]) for m, tower in self.towers.items()}

    def reconstruct(self, z: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """``{m: (B, out_dim)} -> {m: (B, *shape_m)}`` for the modalities with a decoder."""
        return {m: dec(z[m]) for m, dec in self.decoders.items()}

    @property
    def needs_both_modalities(self) -> bool:
        """Whether a modality's representation depends on the other one (gated models)."""
        return False
