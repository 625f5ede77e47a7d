"""EMAP: the empirical multimodally-additive projection of a model (Hessel and Lee, EMNLP 2020).

For a model ``f`` (logits) and an evaluation set of ``N`` examples with ``M`` modalities,

    g_m(i)  = mean_j f(x with modality m from example i and the others from example j),
    G_m     = mean_i g_m(i),   G = (1/M) sum_m G_m   (the grand mean),
    f_hat(i) = sum_m g_m(i) - (M - 1) G.

For two modalities this is the paper's ``f_hat(a_i, b_i) = mean_j f(a_i, b_j) + mean_j f(a_j, b_i)
- mean_{j,k} f(a_j, b_k)``. ``f_hat`` is additive in the modalities, keeps the mean of ``f`` over
the pairs, and ignores every cross-modal interaction; if ``f_hat`` predicts as well as ``f``, the
model does not use interactions on this data. The constant is subtracted ``M - 1`` times: the
``M`` unimodal means each contain it once and the projection keeps it once.

Each modality is encoded once; only the fusion and head are evaluated on the ``N^2`` pairs
(``M N^2`` for ``M > 2``), in batches. For two modalities one ``N x N`` matrix of logits gives
both ``g_1`` (its row means) and ``g_2`` (its column means).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import torch
from torch import Tensor

from polymodal.errors import ConfigError, ShapeError

PairFunction = Callable[[dict[str, Tensor]], Tensor]


@dataclass
class EMAPResult:
    """The projection of ``N`` examples.

    Attributes:
        logits: ``(N, C)`` the model's own logits ``f(x_i)``.
        projected: ``(N, C)`` the additive projection ``f_hat(x_i)``.
        unimodal: ``{m: (N, C)}`` the terms ``g_m(i)``.
        grand_mean: ``(C,)`` ``G``.
    """

    logits: np.ndarray
    projected: np.ndarray
    unimodal: dict[str, np.ndarray]
    grand_mean: np.ndarray

    def accuracies(self, labels: np.ndarray) -> dict[str, float]:
        """``{"model": acc of f, "emap": acc of f_hat, "gap": model - emap}`` against ``labels (N,)``."""
        labels = np.asarray(labels)
        model = float((self.logits.argmax(1) == labels).mean())
        emap = float((self.projected.argmax(1) == labels).mean())
        return {"model": model, "emap": emap, "gap": model - emap}


def emap(f: PairFunction, features: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False) -> EMAPResult:
    """EMAP of ``f`` on ``N`` examples whose modalities are ``features`` (any per-example shape).

    Args:
        f: maps a batch ``{m: (B, ...)}`` to ``(B, C)`` logits; called on recombined examples.
        features: ``{m: (N, ...)}``; row ``i`` of every modality is example ``i``.
        batch_size: recombined examples per call of ``f``.
        progress: show a progress bar.

    Returns:
        :class:`EMAPResult`.
    """
    names = list(features)
    if len(names) < 2:
        raise ConfigError(f"EMAP needs at least two modalities, got {names}")
    n = len(next(iter(features.values())))
    if any(len(x) != n for x in features.values()) or n < 1:
        raise ShapeError(f"every modality needs the same number of examples, got {({m: len(x) for m, x in features.items()})}")
    rows = max(1, batch_size // n)
    steps = (len(names) if len(names) > 2 else 1) * -(-n // rows)
    from rich.progress import Progress

    with torch.inference_mode(), Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"EMAP over {n} x {n} pairs", total=steps)
        diag = f({m: x for m, x in features.items()}).double()
        unimodal: dict[str, Tensor] = {}
        totals: dict[str, Tensor] = {}
        for m in (names if len(names) > 2 else names[:1]):
            others = [o for o in names if o != m]
            row_means, col_sums = [], torch.zeros_like(diag)
            for lo in range(0, n, rows):
                i = torch.arange(lo, min(lo + rows, n))
                ii, jj = i.repeat_interleave(n), torch.arange(n).repeat(len(i))
                batch = {m: features[m][ii], **{o: features[o][jj] for o in others}}
                block = f(batch).double().view(len(i), n, -1)  # block[r, j] = f(x_m from i_r, others from j)
                row_means.append(block.mean(1))
                col_sums += block.sum(0)
                bar.advance(task)
            unimodal[m] = torch.cat(row_means)
            totals[m] = unimodal[m].mean(0)
            if len(names) == 2:  # column j of f(a_i, b_j) averages over a with b from example j
                unimodal[others[0]] = col_sums / n
                totals[others[0]] = totals[m]
    grand = torch.stack(list(totals.values())).mean(0)
    projected = sum(unimodal[m] for m in names) - (len(names) - 1) * grand
    return EMAPResult(diag.numpy(), projected.numpy(), {m: unimodal[m].numpy() for m in names}, grand.numpy())


def model_emap(model: torch.nn.Module, inputs: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False) -> EMAPResult:
    """EMAP of a :class:`~polymodal.models.multimodal.MultimodalModel`: encode once, recombine embeddings.

    Args:
        model: a trained model with ``encode``, ``fusion`` and ``head``.
        inputs: ``{m: (N, *shape_m)}`` raw inputs of the evaluation examples.
    """
    model.eval()
    with torch.inference_mode():
        encoded = model.encode(inputs)
    return emap(lambda e: model.head(model.fusion(e)), encoded, batch_size, progress)


def naive_emap(model: torch.nn.Module, inputs: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False) -> EMAPResult:
    """The same projection, running the whole model (encoders included) on every recombined example."""
    model.eval()
    return emap(model, dict(inputs), batch_size, progress)
