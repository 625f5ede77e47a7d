"""Synthetic data sets with known interactions, for checking PID estimators and fusion models.

Two families, both seeded:

- **Bitwise** (``bits-and``, ``bits-or``, ``bits-xor``): two fair independent bits X1, X2 (one
  1-d modality each) and Y = X1 AND / OR / XOR X2. Exact PIDs: AND and OR have R = 0.311, S = 0.5,
  U1 = U2 = 0; XOR is pure synergy (S = 1).
- **Latent** (``latent-redundancy``, ``latent-unique1``, ``latent-unique2``, ``latent-synergy``,
  ``latent-mixture``), in the spirit of Liang et al. (NeurIPS 2023): per sample three Gaussian
  latents z_s (shared), z_1, z_2 (private), each ``latent_dim``-dimensional; modality m is
  [z_m; z_s] through a fixed random linear map to ``modality_dim`` dimensions. The label bins a
  score into ``num_classes`` quantiles:

  ====================  ==========================================  ======================
  data set              score                                       dominant interaction
  ====================  ==========================================  ======================
  latent-redundancy     <w, z_s> (both modalities see z_s)          redundancy R
  latent-unique1        <w, z_1> (only modality 1 sees z_1)         uniqueness U1
  latent-unique2        <w, z_2>                                    uniqueness U2
  latent-synergy        <w_1, z_1> * <w_2, z_2> (sign = XOR of      synergy S
                        the two signs: neither alone says anything)
  latent-mixture        sum_k weights[k] * standardised score_k     the largest weight
  ====================  ==========================================  ======================
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from polymodal.data.dataset import ModalitySpec, MultimodalDataset, MultimodalSplit
from polymodal.errors import ConfigError

GATES = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}
INTERACTIONS = ("redundancy", "unique1", "unique2", "synergy")
#: Seed of the fixed random linear maps (the same maps for every sample seed).
MAP_SEED = 20231210


def _splits(x1: np.ndarray, x2: np.ndarray, y: np.ndarray, rng: np.random.Generator,
            latents: dict[str, np.ndarray] | None = None) -> dict[str, MultimodalSplit]:
    """60 / 20 / 20 train / val / test split of paired arrays; ``latents`` go into each split's
    ``meta["latents"]`` (``{name: (N_split, latent_dim)}``)."""
    order = rng.permutation(len(y))
    cut1, cut2 = int(0.6 * len(y)), int(0.8 * len(y))
    parts = {"train": order[:cut1], "val": order[cut1:cut2], "test": order[cut2:]}
    return {
        name: MultimodalSplit(
            {"x1": torch.tensor(x1[idx], dtype=torch.float32), "x2": torch.tensor(x2[idx], dtype=torch.float32)},
            torch.tensor(y[idx], dtype=torch.long),
            meta={"latents": {k: v[idx] for k, v in latents.items()}} if latents else None,
        )
        for name, idx in parts.items()
    }


def load_bitwise(gate: str, num_samples: int = 10000, seed: int = 0) -> MultimodalDataset:
    """Two fair independent bits and Y = gate(X1, X2).

    Args:
        gate: ``"and"``, ``"or"`` or ``"xor"``.
        num_samples: samples in all splits together.
        seed: sampling seed.

    Returns:
        A data set with modalities ``x1`` and ``x2`` of shape ``(1,)`` (values 0 or 1) and 2 classes.
    """
    if gate not in GATES:
        raise ConfigError(f"gate {gate!r} is unknown; choose from {', '.join(GATES)}")
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, size=(num_samples, 2))
    y = GATES[gate](bits[:, 0], bits[:, 1])
    return MultimodalDataset(
        name=f"bits-{gate}",
        modalities={m: ModalitySpec(m, "vector", (1,), f"a fair bit, independent of the other") for m in ("x1", "x2")},
        num_classes=2,
        splits=_splits(bits[:, :1], bits[:, 1:], y, rng),
        description=f"Two fair independent bits; the label is X1 {gate.upper()} X2.",
        options={"gate": gate, "num_samples": num_samples, "seed": seed},
    )


def load_latent(
    interaction: str,
    num_samples: int = 20000,
    seed: int = 0,
    latent_dim: int = 5,
    modality_dim: int = 32,
    num_classes: int = 2,
    weights: Mapping[str, float] | None = None,
) -> MultimodalDataset:
    """Gaussian latents (shared and private) seen through fixed random linear maps; see the module doc.

    Args:
        interaction: ``"redundancy"``, ``"unique1"``, ``"unique2"``, ``"synergy"`` or ``"mixture"``.
        num_samples: samples in all splits together.
        seed: sampling seed (the linear maps and score directions are fixed across seeds).
        latent_dim: size of each of the three latents.
        modality_dim: size of each modality.
        num_classes: number of quantile bins of the score (classes are balanced).
        weights: for ``"mixture"``, ``{interaction: weight}`` over the four pure interactions.

    Returns:
        A data set with modalities ``x1`` and ``x2`` of shape ``(modality_dim,)``; each split's
        ``meta["latents"]`` holds its ``shared``, ``private1`` and ``private2`` latents.
    """
    if interaction not in INTERACTIONS + ("mixture",):
        raise ConfigError(f"interaction {interaction!r} is unknown; choose from {', '.join(INTERACTIONS + ('mixture',))}")
    if interaction == "mixture":
        if not weights or set(weights) - set(INTERACTIONS) or any(v < 0 for v in weights.values()):
            raise ConfigError(f"a mixture needs non-negative weights over {', '.join(INTERACTIONS)}, got {weights!r}")
    elif weights:
        raise ConfigError("weights are only used by the 'mixture' interaction")
    if num_classes < 2 or num_samples < 10 * num_classes:
        raise ConfigError(f"need num_classes >= 2 and at least 10 samples per class, got {num_classes}, {num_samples}")
    fixed = np.random.default_rng(MAP_SEED)
    maps = [fixed.normal(size=(2 * latent_dim, modality_dim)) / np.sqrt(2 * latent_dim) for _ in range(2)]
    directions = {k: fixed.normal(size=latent_dim) for k in ("shared", "private1", "private2")}
    rng = np.random.default_rng(seed)
    z_s, z_1, z_2 = (rng.normal(size=(num_samples, latent_dim)) for _ in range(3))
    scores = {
        "redundancy": z_s @ directions["shared"],
        "unique1": z_1 @ directions["private1"],
        "unique2": z_2 @ directions["private2"],
        "synergy": (z_1 @ directions["private1"]) * (z_2 @ directions["private2"]),
    }
    if interaction == "mixture":
        score = sum(w * (scores[k] - scores[k].mean()) / scores[k].std() for k, w in weights.items())
    else:
        score = scores[interaction]
    edges = np.quantile(score, np.linspace(0, 1, num_classes + 1)[1:-1])
    y = np.searchsorted(edges, score)
    x1 = np.concatenate([z_1, z_s], axis=1) @ maps[0]
    x2 = np.concatenate([z_2, z_s], axis=1) @ maps[1]
    describe = "private latent z_{m} and shared latent z_s, through a fixed random linear map"
    return MultimodalDataset(
        name=f"latent-{interaction}",
        modalities={f"x{m}": ModalitySpec(f"x{m}", "vector", (modality_dim,), describe.format(m=m)) for m in (1, 2)},
        num_classes=num_classes,
        splits=_splits(x1, x2, y, rng, {"shared": z_s, "private1": z_1, "private2": z_2}),
        description=f"Gaussian latents; the label bins the {interaction} score into {num_classes} quantiles.",
        options={"interaction": interaction, "num_samples": num_samples, "seed": seed, "latent_dim": latent_dim,
                 "modality_dim": modality_dim, "num_classes": num_classes, "weights": dict(weights or {})},
    )
