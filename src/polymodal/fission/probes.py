"""Linear probes: how much of a known quantity a representation carries, as held-out R^2."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.errors import ShapeError
from polymodal.training.complexity import to_device


def probe_r2(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """R^2 on the test part of a ridge regression (regularisation by cross-validation) from ``x`` to ``y``.

    Args:
        train_x, test_x: ``(N, d)`` representations.
        train_y, test_y: ``(N,)`` or ``(N, k)`` targets; for ``k > 1`` the R^2 of the ``k`` outputs is
            averaged with weights proportional to their variances (the share of the target's total
            variance explained).
    """
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise ShapeError("a probe needs one target row per representation row")
    model = RidgeCV(alphas=np.logspace(-4, 3, 15)).fit(train_x, train_y)
    return float(r2_score(test_y, model.predict(test_x), multioutput="variance_weighted"))


@torch.inference_mode()
def collect(fn, split: MultimodalSplit, batch_size: int = 512) -> dict[str, np.ndarray]:
    """Apply ``fn({m: (B, ...)}) -> {name: (B, d)}`` to a whole split: ``{name: (N, d)}``."""
    parts: dict[str, list[np.ndarray]] = {}
    for batch in batch_loader(split, batch_size):
        for name, z in fn(to_device(batch["inputs"], torch.device("cpu"))).items():
            parts.setdefault(name, []).append(z.double().numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def probe_table(train_reps: Mapping[str, np.ndarray], test_reps: Mapping[str, np.ndarray],
                train_targets: Mapping[str, np.ndarray], test_targets: Mapping[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """``{representation: {target: held-out R^2}}`` for every pair of representation and target."""
    return {r: {t: probe_r2(train_reps[r], train_targets[t], test_reps[r], test_targets[t]) for t in train_targets}
            for r in train_reps}
