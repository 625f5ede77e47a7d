"""Synthetic data sets with known interactions, for checking PID estimators and fusion models.

Three families, all seeded:

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

- **Heterogeneity groups** (``hetero-groups``): four modalities ``a``, ``b``, ``c``, ``d``. ``a``
  and ``b`` are two different random nonlinear views (plus noise) of one latent z1, ``c`` and
  ``d`` of an independent latent z2, and the label ``2 [<u1, z1> > 0] + [<u2, z2> > 0]`` (4
  balanced classes) depends on both. By construction {a, b} and {c, d} are the homogeneous
  groups: a model of a reads what b carries, and nothing of what c or d carry.
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


def _splits(arrays: dict[str, np.ndarray], y: np.ndarray, rng: np.random.Generator,
            latents: dict[str, np.ndarray] | None = None) -> dict[str, MultimodalSplit]:
    """60 / 20 / 20 train / val / test split of paired arrays ``{modality: (N, d)}``; ``latents`` go
    into each split's ``meta["latents"]`` (``{name: (N_split, latent_dim)}``)."""
    order = rng.permutation(len(y))
    cut1, cut2 = int(0.6 * len(y)), int(0.8 * len(y))
    parts = {"train": order[:cut1], "val": order[cut1:cut2], "test": order[cut2:]}
    return {
        name: MultimodalSplit(
            {m: torch.tensor(x[idx], dtype=torch.float32) for m, x in arrays.items()},
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
        modalities={m: ModalitySpec(m, "vector", (1,), "a fair bit, independent of the other") for m in ("x1", "x2")},
        num_classes=2,
        splits=_splits({"x1": bits[:, :1], "x2": bits[:, 1:]}, y, rng),
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
        splits=_splits({"x1": x1, "x2": x2}, y, rng, {"shared": z_s, "private1": z_1, "private2": z_2}),
        description=f"Gaussian latents; the label bins the {interaction} score into {num_classes} quantiles.",
        options={"interaction": interaction, "num_samples": num_samples, "seed": seed, "latent_dim": latent_dim,
                 "modality_dim": modality_dim, "num_classes": num_classes, "weights": dict(weights or {})},
    )


#: The modalities of ``hetero-groups``, each with the latent it views.
HETERO_GROUPS = {"a": "z1", "b": "z1", "c": "z2", "d": "z2"}


def load_hetero_groups(num_samples: int = 4000, seed: int = 0, latent_dim: int = 4, modality_dim: int = 16,
                       noise: float = 0.1) -> MultimodalDataset:
    """Two latents, two nonlinear views of each, a label that needs both; see the module doc.

    Modality m views its latent z through a fixed random two-layer map: ``x_m = tanh(z A_m) B_m +
    noise * eps`` with ``A_m`` of size ``(latent_dim, 2 modality_dim)``, ``B_m`` of size
    ``(2 modality_dim, modality_dim)`` (the same maps for every seed, different per modality) and
    standard normal ``eps``.

    Args:
        num_samples: samples in all splits together (60 / 20 / 20).
        seed: sampling seed.
        latent_dim: size of z1 and of z2.
        modality_dim: size of each modality.
        noise: standard deviation of the additive noise.

    Returns:
        A data set with modalities ``a``, ``b``, ``c``, ``d`` of shape ``(modality_dim,)`` and 4
        classes; each split's ``meta["latents"]`` holds its ``z1`` and ``z2``.
    """
    if num_samples < 40 or latent_dim < 1 or modality_dim < 1 or not noise >= 0:
        raise ConfigError(f"hetero-groups needs num_samples >= 40, latent_dim and modality_dim >= 1 and noise >= 0, "
                          f"got {num_samples}, {latent_dim}, {modality_dim}, {noise}")
    fixed = np.random.default_rng(MAP_SEED + 1)
    maps = {m: (fixed.normal(size=(latent_dim, 2 * modality_dim)) * 1.5 / np.sqrt(latent_dim),
                fixed.normal(size=(2 * modality_dim, modality_dim)) / np.sqrt(2 * modality_dim)) for m in HETERO_GROUPS}
    directions = {z: fixed.normal(size=latent_dim) for z in ("z1", "z2")}
    rng = np.random.default_rng(seed)
    latents = {z: rng.normal(size=(num_samples, latent_dim)) for z in ("z1", "z2")}
    y = 2 * (latents["z1"] @ directions["z1"] > 0) + (latents["z2"] @ directions["z2"] > 0)
    arrays = {m: np.tanh(latents[z] @ maps[m][0]) @ maps[m][1] + noise * rng.normal(size=(num_samples, modality_dim))
              for m, z in HETERO_GROUPS.items()}
    return MultimodalDataset(
        name="hetero-groups",
        modalities={m: ModalitySpec(m, "vector", (modality_dim,), f"a random nonlinear view of {z}, plus noise")
                    for m, z in HETERO_GROUPS.items()},
        num_classes=4,
        splits=_splits(arrays, y.astype(np.int64), rng, latents),
        description="Two independent latents z1, z2; a, b view z1 and c, d view z2 (random nonlinear maps plus "
                    "noise); the label is 2 [<u1, z1> > 0] + [<u2, z2> > 0]. Homogeneous groups: {a, b} and {c, d}.",
        options={"num_samples": num_samples, "seed": seed, "latent_dim": latent_dim, "modality_dim": modality_dim,
                 "noise": noise},
    )
