"""Builders of the fission models, one per :mod:`polymodal.catalog` entry.

Each takes the :class:`~polymodal.models.build.BuildContext` of its entry (encoders already made)
and reads its own options from ``context.config.fusion_options``.
"""

from __future__ import annotations

from typing import Any, Callable

from polymodal.errors import ConfigError
from polymodal.fission.autoencoder import MultimodalAutoencoder
from polymodal.fission.discriminative import DiscriminativeFission
from polymodal.fission.factorized import FactorizedFusion, FactorizedMultimodalModel
from polymodal.fusion.registry import make_fusion
from polymodal.models.build import BuildContext
from polymodal.models.multimodal import MultimodalModel


def _with_options(name: str, build: Callable[[BuildContext, dict[str, Any]], MultimodalModel]
                  ) -> Callable[[BuildContext], MultimodalModel]:
    """``build(context, options)`` with a copy of the options, a bad one reported as a :class:`ConfigError` naming ``name``."""
    def builder(context: BuildContext) -> MultimodalModel:
        try:
            return build(context, dict(context.config.fusion_options))
        except TypeError as exc:
            raise ConfigError(f"{name}: bad option ({exc})") from None
    builder.__doc__ = build.__doc__
    return builder


def _discriminative(context: BuildContext, opts: dict[str, Any]) -> MultimodalModel:
    """Discriminative fission; option ``output_dim`` (each representation, default ``hidden_dim``)."""
    fusion = DiscriminativeFission(context.dims, opts.pop("output_dim", context.config.hidden_dim), **opts)
    return MultimodalModel(context.encoders, fusion, context.make_head(fusion.output_dim))


def _factorized(context: BuildContext, opts: dict[str, Any]) -> MultimodalModel:
    """The factorized model; options ``shared_dim``, ``private_dim`` (default ``hidden_dim``,
    ``hidden_dim // 2``), ``reconstruction_weight``, ``prior_weight``."""
    hidden = context.config.hidden_dim
    fusion = FactorizedFusion(context.dims, opts.pop("shared_dim", hidden), opts.pop("private_dim", max(1, hidden // 2)),
                              hidden)
    return FactorizedMultimodalModel(context.encoders, fusion, context.make_head(fusion.output_dim), context.shapes,
                                     hidden, **opts)


def _autoencoder(context: BuildContext, opts: dict[str, Any]) -> MultimodalModel:
    """The multimodal autoencoder; options ``base`` (a fusion name, default ``early``), ``reconstruction_weight``."""
    config = context.config
    fusion = make_fusion(opts.pop("base", "early"), context.dims, config.hidden_dim, config.num_classes)
    if fusion.outputs_logits:
        raise ConfigError("autoencoder: base must be a fusion that outputs a representation, not 'late'")
    return MultimodalAutoencoder(context.encoders, fusion, context.make_head(fusion.output_dim), context.shapes,
                                 config.hidden_dim, **opts)


build_discriminative_fission = _with_options("discriminative-fission", _discriminative)
build_factorized = _with_options("factorized", _factorized)
build_autoencoder = _with_options("autoencoder", _autoencoder)
