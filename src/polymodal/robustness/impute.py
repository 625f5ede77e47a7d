"""Training the translation imputer and measuring it: held-out R^2 per (source -> target) pair.

The imputer (:class:`~polymodal.models.imputer.TranslationImputer`) learns to predict each
modality's embedding from the others; a model that has one supports the ``impute``
missing-modality strategy. It is trained on the model's own embeddings, either jointly with
the model (the targets detached, so the encoders are not pulled toward what is easy to
predict) or afterwards, with the model frozen.
"""

from __future__ import annotations

from typing import Mapping

import torch
import torch.nn.functional as F

from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.models.imputer import TranslationImputer
from polymodal.models.missing import random_masks


def imputation_loss(imputer: TranslationImputer, embeddings: Mapping[str, torch.Tensor],
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """``mean_m MSE(e_hat_m, e_m)`` with each example's sources dropped at random (half the time each).

    Args:
        imputer: the translation network.
        embeddings: ``{m: (B, d_m)}`` targets (flattened, detached).
        generator: source of the random source masks.
    """
    names = list(imputer.dims)
    batch = len(embeddings[names[0]])
    masks = random_masks(names, batch, 0.5, generator, device=embeddings[names[0]].device)
    predicted = imputer(embeddings, masks)
    return torch.stack([F.mse_loss(predicted[m], embeddings[m]) for m in names]).mean()


def train_imputer(imputer: TranslationImputer, embeddings: Mapping[str, torch.Tensor], *, epochs: int = 100,
                  lr: float = 1e-3, batch_size: int = 256, seed: int = 0) -> TranslationImputer:
    """Fit ``imputer`` to ``{m: (N, d_m)}`` embeddings (Adam, shuffled mini-batches, random source masks)."""
    generator = torch.Generator().manual_seed(seed)
    n = len(next(iter(embeddings.values())))
    optimiser = torch.optim.Adam(imputer.parameters(), lr=lr)
    imputer.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            loss = imputation_loss(imputer, {m: e[rows] for m, e in embeddings.items()}, generator)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return imputer.eval()


@torch.no_grad()
def translation_r2(imputer: TranslationImputer, embeddings: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """``{"src->tgt": R^2}`` for every ordered pair, predicting ``tgt`` from ``src`` alone.

    ``R^2 = 1 - sum (e - e_hat)^2 / sum (e - mean(e))^2`` over the examples and the target's
    dimensions, the mean taken over the same (held-out) examples.
    """
    imputer.eval()
    names = list(imputer.dims)
    batch = len(embeddings[names[0]])
    out = {}
    for src in names:
        masks = {m: torch.full((batch,), m == src, dtype=torch.bool, device=embeddings[m].device) for m in names}
        predicted = imputer(embeddings, masks)
        for tgt in names:
            if tgt == src:
                continue
            y = embeddings[tgt]
            sse = (y - predicted[tgt]).pow(2).sum()
            sst = (y - y.mean(0)).pow(2).sum()
            out[f"{src}->{tgt}"] = float(1 - sse / sst) if sst > 0 else float("nan")
    return out


@torch.no_grad()
def model_embeddings(model: torch.nn.Module, split: MultimodalSplit, batch_size: int = 256) -> dict[str, torch.Tensor]:
    """The model's flattened embeddings of every sample of ``split``: ``{m: (N, d_m)}`` (eval mode)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    parts: dict[str, list[torch.Tensor]] = {}
    for batch in batch_loader(split, batch_size):
        emb = model.encode({m: x.to(device) for m, x in batch["inputs"].items() if m in model.encoders})
        for m, e in emb.items():
            parts.setdefault(m, []).append(e.flatten(1))
    model.train(was_training)
    return {m: torch.cat(p) for m, p in parts.items()}


def imputer_r2(model: torch.nn.Module, split: MultimodalSplit) -> dict[str, float]:
    """Held-out R^2 of the model's imputer on ``split`` (see :func:`translation_r2`)."""
    return translation_r2(model.imputer, model_embeddings(model, split))
