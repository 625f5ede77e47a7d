"""A balancing method's :class:`~polymodal.training.balance.base.Balancer` for a model, and which models each fits."""

from __future__ import annotations

from typing import Any

from torch import nn

from polymodal.errors import ConfigError
from polymodal.training.balance.agm import AGMBalancer
from polymodal.training.balance.base import Balancer
from polymodal.training.balance.choices import BALANCE_METHODS, check_balance
from polymodal.training.balance.gradient_blending import GradientBlendingBalancer
from polymodal.training.balance.min_norm import MMParetoBalancer
from polymodal.training.balance.ogm import OGMBalancer
from polymodal.training.balance.prototypes import PMRBalancer
from polymodal.training.balance.teachers import UMTBalancer
from polymodal.training.balance.warm_start import WarmStartBalancer


def decomposable_fusions() -> list[str]:
    """Names of the fusions whose prediction splits by modality (what ``ogm`` needs)."""
    from polymodal.catalog import CATALOG

    return [n for n, e in CATALOG.items() if e.family == "fusion" and getattr(e.documented_by, "decomposable", False)]


def make_balancer(name: str, options: dict[str, Any], model: nn.Module, fusion_name: str, num_classes: int,
                  seed: int = 0) -> Balancer | None:
    """The :class:`Balancer` of method ``name`` for ``model``; ``None`` for ``none``.

    Raises:
        ConfigError: the method does not fit the model (one modality, or ``ogm`` with a fusion
            whose prediction does not split by modality), naming the fusion and what fits.
    """
    settings = check_balance(name, options)
    if name == "none":
        return None
    from polymodal.catalog import model_entry

    family = model_entry(fusion_name).family
    if family not in ("fusion", "routed"):
        raise ConfigError(f"--balance {name}: balancing trains fusion models; {fusion_name!r} is a {family} model")
    modalities = list(model.encoders)
    if len(modalities) < 2:
        raise ConfigError(f"--balance {name}: balancing needs at least two modalities; the model reads {modalities}")
    if name == "ogm":
        if not getattr(model.fusion, "decomposable", False):
            raise ConfigError(f"--balance ogm needs a fusion whose prediction splits by modality "
                              f"({', '.join(decomposable_fusions())}); {fusion_name!r} does not. With it, use: "
                              f"{', '.join(m for m in BALANCE_METHODS if m not in ('none', 'ogm'))}")
        return OGMBalancer(modalities, seed=seed, **settings)
    if name == "agm":
        return AGMBalancer(modalities, **settings)
    if name == "gblend":
        return GradientBlendingBalancer(model, num_classes, seed=seed, **settings)
    if name == "pmr":
        return PMRBalancer(model, num_classes, **settings)
    if name == "mmpareto":
        return MMParetoBalancer(model, num_classes, **settings)
    if name == "warmstart":
        return WarmStartBalancer(model, num_classes, **settings)
    return UMTBalancer(model, num_classes, seed=seed, **settings)
