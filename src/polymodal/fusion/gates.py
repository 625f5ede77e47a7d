"""Turning gate scores into gate weights: soft (sigmoid, softmax) or hard (straight-through Gumbel-softmax)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from polymodal.errors import ConfigError

GATE_MODES = ("softmax", "sigmoid", "hard")


def check_gate(mode: str, temperature: float) -> None:
    """Raise :class:`ConfigError` unless ``mode`` is one of :data:`GATE_MODES` and ``temperature > 0``."""
    if mode not in GATE_MODES:
        raise ConfigError(f"gate must be one of {', '.join(GATE_MODES)}, got {mode!r}")
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ConfigError(f"temperature must be a positive number, got {temperature!r}")


def gate_weights(scores: torch.Tensor, mode: str, temperature: float = 1.0, dim: int = -1,
                 training: bool = False) -> torch.Tensor:
    """Gate weights from unnormalised scores, along ``dim`` (the axis of the gated alternatives).

    * ``"softmax"``: ``softmax(scores / T)``, weights sum to 1.
    * ``"sigmoid"``: ``sigmoid(scores / T)``, each weight in (0, 1) independently.
    * ``"hard"``: one-hot. In training, the straight-through Gumbel-softmax estimator (Jang et
      al., ICLR 2017): the forward pass is the one-hot of ``argmax(scores + Gumbel noise)``,
      the backward pass the gradient of ``softmax((scores + noise) / T)``. In evaluation, the
      one-hot of ``argmax(scores)``, without noise, so inference is deterministic.

    Args:
        scores: ``(..., K, ...)`` gate scores with the K alternatives along ``dim``.
        mode: one of :data:`GATE_MODES`.
        temperature: ``T > 0``; lower is sharper.
        dim: the alternatives' axis.
        training: whether to sample (hard gates only).

    Returns:
        Weights of the same shape as ``scores``.
    """
    if mode == "softmax":
        return torch.softmax(scores / temperature, dim=dim)
    if mode == "sigmoid":
        return torch.sigmoid(scores / temperature)
    if mode == "hard":
        if training:
            return F.gumbel_softmax(scores, tau=temperature, hard=True, dim=dim)
        index = scores.argmax(dim=dim, keepdim=True)
        return torch.zeros_like(scores).scatter_(dim, index, 1.0)
    raise ConfigError(f"gate must be one of {', '.join(GATE_MODES)}, got {mode!r}")
