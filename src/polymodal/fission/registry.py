"""Fission models selectable by name, like fusions (``polymodal train --fusion factorized``).

They are not fusions, so ``--fusions all`` leaves them out; name them to run them.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from torch import nn

from polymodal.errors import ConfigError
from polymodal.fission.autoencoder import MultimodalAutoencoder
from polymodal.fission.discriminative import DiscriminativeFission
from polymodal.fission.factorized import FactorizedFusion, FactorizedMultimodalModel
from polymodal.models.multimodal import MultimodalModel

FISSION_MODELS = ("discriminative-fission", "factorized", "autoencoder")
HeadFactory = Callable[[int], nn.Module]


def build_fission_model(
    name: str, encoders: Mapping[str, nn.Module], dims: dict[str, int], shapes: dict[str, tuple[int, ...]],
    hidden_dim: int, num_classes: int, make_head: HeadFactory, options: dict[str, Any],
) -> MultimodalModel:
    """Build the fission model ``name`` over the given encoders.

    Options: ``discriminative-fission``: ``output_dim`` (each representation, default ``hidden_dim``);
    ``factorized``: ``shared_dim``, ``private_dim`` (default ``hidden_dim``, ``hidden_dim // 2``),
    ``reconstruction_weight``, ``prior_weight``; ``autoencoder``: ``base`` (a fusion name, default
    ``early``), ``reconstruction_weight``.
    """
    from polymodal.fusion.registry import make_fusion

    opts = dict(options)
    try:
        if name == "discriminative-fission":
            fusion = DiscriminativeFission(dims, opts.pop("output_dim", hidden_dim), **opts)
            return MultimodalModel(encoders, fusion, make_head(fusion.output_dim))
        if name == "factorized":
            fusion = FactorizedFusion(dims, opts.pop("shared_dim", hidden_dim), opts.pop("private_dim", max(1, hidden_dim // 2)),
                                      hidden_dim)
            return FactorizedMultimodalModel(encoders, fusion, make_head(fusion.output_dim), shapes, hidden_dim, **opts)
        if name == "autoencoder":
            fusion = make_fusion(opts.pop("base", "early"), dims, hidden_dim, num_classes)
            if fusion.outputs_logits:
                raise ConfigError("autoencoder: base must be a fusion that outputs a representation, not 'late'")
            return MultimodalAutoencoder(encoders, fusion, make_head(fusion.output_dim), shapes, hidden_dim, **opts)
    except TypeError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    raise ConfigError(f"fission model {name!r} is unknown; choose one of {', '.join(FISSION_MODELS)}")
