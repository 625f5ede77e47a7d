"""Vector perturbations: ``(B, d)`` features."""

from __future__ import annotations

import torch

from polymodal.errors import ConfigError
from polymodal.robustness.perturbations.base import PerturbContext, normal_like, uniform_like


def _stat(context: PerturbContext, name: str, x: torch.Tensor) -> torch.Tensor:
    value = getattr(context, name)
    if value is None:
        raise ConfigError(f"this vector perturbation needs the training split's {name}; build the context with perturb_context")
    return value.to(x)


def gaussian_noise(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Gaussian noise scaled by each feature's training standard deviation: ``x'_j = x_j + p * sigma_j * eps``."""
    return x + p * _stat(context, "feature_std", x) * normal_like(x, generator)


def feature_dropout(x: torch.Tensor, p: float, generator: torch.Generator, context: PerturbContext) -> torch.Tensor:
    """Each feature of each example, with probability ``p``, replaced by its training mean (0 for standardised features)."""
    return torch.where(uniform_like(x, generator) < p, _stat(context, "feature_mean", x).expand_as(x), x)
