"""EMAP: the empirical multimodally-additive projection of a model (Hessel and Lee, EMNLP 2020).

For a model ``f`` (logits) and an evaluation set of ``N`` examples with ``M`` modalities, the
expectations run over the *product of the empirical marginals*: every other modality is drawn
independently, each from its own ``N`` examples,

    g_m(i)   = E_{j_o ~ U{1..N} independently for o != m} f(x_m = x_m[i], x_o = x_o[j_o]),
    G        = E_{all j_o independently} f(x_1[j_1], ..., x_M[j_M])     (= mean_i g_m(i) for any m),
    f_hat(i) = sum_m g_m(i) - (M - 1) G.

For two modalities this is the paper's ``f_hat(a_i, b_i) = mean_j f(a_i, b_j) + mean_j f(a_j, b_i)
- mean_{j,k} f(a_j, b_k)``. ``f_hat`` is the projection of ``f`` onto functions additive in the
modalities under that product measure: it keeps ``f``'s mean, leaves an additive function
unchanged, ignores every cross-modal interaction, and a modality that ``f`` ignores contributes
only the constant ``G`` (so adding one never changes the projection). The constant is subtracted
``M - 1`` times: the ``M`` unimodal terms each contain it once and the projection keeps it once.
Drawing the other modalities *together* from one example (their empirical joint) would not be a
projection: when they are correlated, an ignored modality would move ``f_hat``.

Exact or sampled. The exact projection evaluates ``f`` on all ``N^M`` recombinations; one pass
over that grid gives every ``g_m`` and ``G``. When ``N^M`` exceeds ``max_evaluations`` (default
``10^7``: two modalities up to ``N = 3162``, three up to ``N = 215``), each ``g_m(i)`` is estimated
from ``S`` independent draws of the other modalities (Monte Carlo), ``S`` chosen to spend the
budget, and the result carries the standard error of every projected logit.

Each modality is encoded once by :func:`model_emap`; only the fusion and head run on the
recombinations, in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import torch
from torch import Tensor

from polymodal.progress import new_progress
from polymodal.timing import step
from polymodal.checks import positive_int
from polymodal.errors import ConfigError, ShapeError
from polymodal.data.padded import Padded

PairFunction = Callable[[dict[str, Tensor]], Tensor]

#: Default budget of evaluations of ``f``: exact projection up to this many recombinations.
MAX_EVALUATIONS = 10**7


@dataclass
class EMAPResult:
    """The projection of ``N`` examples.

    Attributes:
        logits: ``(N, C)`` the model's own logits ``f(x_i)``.
        projected: ``(N, C)`` the additive projection ``f_hat(x_i)``.
        unimodal: ``{m: (N, C)}`` the terms ``g_m(i)``.
        grand_mean: ``(C,)`` ``G``.
        exact: whether every one of the ``N^M`` recombinations was evaluated.
        standard_error: ``(N, C)`` Monte Carlo standard error of ``projected`` (zeros when exact).
        evaluations: recombined examples on which ``f`` was evaluated.
    """

    logits: np.ndarray
    projected: np.ndarray
    unimodal: dict[str, np.ndarray]
    grand_mean: np.ndarray
    exact: bool = True
    standard_error: np.ndarray | None = None
    evaluations: int = 0

    def accuracies(self, labels: np.ndarray) -> dict[str, float]:
        """``{"model": acc of f, "emap": acc of f_hat, "gap": model - emap}`` against ``labels (N,)``."""
        labels = np.asarray(labels)
        model = float((self.logits.argmax(1) == labels).mean())
        emap = float((self.projected.argmax(1) == labels).mean())
        return {"model": model, "emap": emap, "gap": model - emap}

    def summary(self) -> dict[str, float | int | bool]:
        """``{"exact", "evaluations", "max_standard_error"}`` for reports."""
        se = 0.0 if self.standard_error is None else float(np.max(self.standard_error, initial=0.0))
        return {"exact": self.exact, "evaluations": self.evaluations, "max_standard_error": se}


def _check_features(features: Mapping[str, Tensor]) -> tuple[list[str], int]:
    if not isinstance(features, Mapping):
        raise ConfigError(f"features must be a dict {{modality: (N, ...) tensor}}, got {type(features).__name__}")
    names = list(features)
    if len(names) < 2:
        raise ConfigError(f"EMAP needs at least two modalities, got {names}")
    bad = [m for m, x in features.items() if not isinstance(x, (Tensor, Padded))]
    if bad:
        raise ConfigError(f"features {bad} must be torch tensors (or Padded sequences), got {[type(features[m]).__name__ for m in bad]}")
    n = len(next(iter(features.values())))
    if any(len(x) != n for x in features.values()) or n < 1:
        raise ShapeError(f"every modality needs the same number of examples, got {({m: len(x) for m, x in features.items()})}")
    return names, n


def _checked_call(f: PairFunction, batch: dict[str, Tensor], rows: int, classes: int | None = None) -> Tensor:
    """``f(batch)`` as ``(rows, C)`` float64, with a named error for a wrong output or a dtype clash."""
    try:
        out = f(batch)
    except RuntimeError as error:
        dtypes = {m: str(x.dtype).removeprefix("torch.") for m, x in batch.items()}
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"f failed on a batch of features with dtypes {dtypes}: {first}; if f is a float32 model, "
            "pass float32 features (x.float()), or convert the model (model.double())"
        ) from error
    if not isinstance(out, Tensor) or out.dim() != 2 or len(out) != rows or (classes is not None and out.shape[1] != classes):
        shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
        want = f"({rows}, {classes if classes is not None else 'C'})"
        raise ShapeError(f"f must return {want} logits for a batch of {rows} examples, got {shape}; "
                         "for a single output per example return (B, 1), e.g. out.unsqueeze(1)")
    return out.double()


def emap(
    f: PairFunction, features: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False,
    max_evaluations: int = MAX_EVALUATIONS, samples: int | None = None, seed: int = 0,
) -> EMAPResult:
    """EMAP of ``f`` on ``N`` examples whose modalities are ``features`` (any per-example shape).

    Args:
        f: maps a batch ``{m: (B, ...)}`` to ``(B, C)`` logits; called on recombined examples.
        features: ``{m: (N, ...)}``; row ``i`` of every modality is example ``i``.
        batch_size: recombined examples per call of ``f``.
        progress: show a progress bar (on stderr, with the time left).
        max_evaluations: exact when ``N^M`` is at most this, else Monte Carlo within it.
        samples: Monte Carlo draws ``S >= 2`` per example and modality (default: the most that
            fit ``max_evaluations``, i.e. ``max_evaluations // (M N)``, at least 2); giving it
            asks for Monte Carlo whatever ``N^M``.
        seed: seed of the Monte Carlo draws.

    Returns:
        :class:`EMAPResult`; ``exact`` says which way it was computed, ``standard_error`` how
        far a sampled projection may be from the exact one.
    """
    names, n = _check_features(features)
    batch_size, max_evaluations = positive_int(batch_size, "batch_size"), positive_int(max_evaluations, "max_evaluations")
    if samples is not None:  # a standard error needs two draws
        samples = positive_int(samples, "samples", minimum=2)
    with torch.inference_mode(), new_progress(progress, transient=True) as bar, step("EMAP"):
        diag = _checked_call(f, dict(features), n)
        if n ** len(names) <= max_evaluations and samples is None:
            return _exact(f, features, names, n, diag, batch_size, bar)
        draws = samples if samples is not None else max(2, max_evaluations // (len(names) * n))
        return _monte_carlo(f, features, names, n, diag, draws, batch_size, seed, bar)


def _exact(f, features, names, n, diag, batch_size, bar) -> EMAPResult:
    """One pass over the N^M grid; ``sums[m][i]`` adds f over every grid point with ``j_m = i``."""
    m_count, total_points = len(names), n ** len(names)
    sums = {m: torch.zeros_like(diag) for m in names}
    strides = [n ** (m_count - 1 - k) for k in range(m_count)]
    task = bar.add_task(f"EMAP over {n}^{m_count} recombinations", total=-(-total_points // batch_size))
    for lo in range(0, total_points, batch_size):
        flat = torch.arange(lo, min(lo + batch_size, total_points))
        index = {m: (flat // stride) % n for m, stride in zip(names, strides)}
        out = _checked_call(f, {m: features[m][index[m]] for m in names}, len(flat), diag.shape[1])
        for m in names:
            sums[m].index_add_(0, index[m], out)
        bar.advance(task)
    unimodal = {m: sums[m] / n ** (m_count - 1) for m in names}
    grand = sums[names[0]].sum(0) / total_points
    projected = sum(unimodal.values()) - (m_count - 1) * grand
    return EMAPResult(diag.numpy(), projected.numpy(), {m: g.numpy() for m, g in unimodal.items()}, grand.numpy(),
                      exact=True, standard_error=np.zeros(diag.shape), evaluations=total_points + n)


def _monte_carlo(f, features, names, n, diag, draws, batch_size, seed, bar) -> EMAPResult:
    """``g_m(i)`` from ``draws`` independent draws of every other modality; standard errors from their spread.

    The ``N * draws`` (example, draw) pairs of each modality run in chunks of ``batch_size``; sums
    and sums of squares per example give the mean and the variance ``v_m(i)`` of its estimate.
    With ``G`` the mean of all ``M N`` estimates,
    ``Var f_hat(i) = (1 - 2 (M - 1) / (M N)) sum_m v_m(i) + ((M - 1) / (M N))^2 sum_{m, i'} v_m(i')``.
    """
    m_count, total = len(names), n * draws
    generator = torch.Generator().manual_seed(seed)
    task = bar.add_task(f"EMAP, {draws} draws per example and modality", total=m_count * -(-total // batch_size))
    unimodal, variance = {}, {}
    for m in names:
        sums, squares = torch.zeros_like(diag), torch.zeros_like(diag)
        for lo in range(0, total, batch_size):
            i = torch.arange(lo, min(lo + batch_size, total)) // draws
            batch = {o: features[o][i if o == m else torch.randint(0, n, (len(i),), generator=generator)] for o in names}
            out = _checked_call(f, batch, len(i), diag.shape[1])
            sums.index_add_(0, i, out)
            squares.index_add_(0, i, out * out)
            bar.advance(task)
        unimodal[m] = sums / draws
        spread = (squares - draws * unimodal[m] ** 2).clamp_min(0) / (draws - 1)  # sample variance per example
        variance[m] = spread / draws
    grand = torch.stack(list(unimodal.values())).mean((0, 1))
    projected = sum(unimodal.values()) - (m_count - 1) * grand
    own = sum(variance.values())
    shared = ((m_count - 1) / (m_count * n)) ** 2 * own.sum(0)
    se = (own * (1 - 2 * (m_count - 1) / (m_count * n)) + shared).clamp_min(0).sqrt()
    return EMAPResult(diag.numpy(), projected.numpy(), {m: g.numpy() for m, g in unimodal.items()}, grand.numpy(),
                      exact=False, standard_error=se.numpy(), evaluations=m_count * total + n)


def _model_dtype(model: torch.nn.Module) -> torch.dtype | None:
    return next((p.dtype for p in model.parameters() if p.is_floating_point()), None)


def _as_model_dtype(model: torch.nn.Module, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Floating inputs cast to the model's parameter dtype (a float64 batch into a float32 model)."""
    dtype = _model_dtype(model)
    return {m: x.to(dtype) if dtype is not None and isinstance(x, (Tensor, Padded)) and x.dtype.is_floating_point else x
            for m, x in inputs.items()}


def model_emap(model: torch.nn.Module, inputs: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False,
               **options) -> EMAPResult:
    """EMAP of a :class:`~polymodal.models.multimodal.MultimodalModel`: encode once, recombine embeddings.

    Args:
        model: a trained model with ``encode``, ``fusion`` and ``head``.
        inputs: ``{m: (N, *shape_m)}`` raw inputs of the evaluation examples (cast to the model's dtype).
        options: ``max_evaluations``, ``samples``, ``seed`` of :func:`emap`.
    """
    _check_features(inputs)
    model.eval()
    with torch.inference_mode():
        encoded = model.encode(_as_model_dtype(model, inputs))
    return emap(lambda e: model.head(model.fusion(e)), encoded, batch_size, progress, **options)


def naive_emap(model: torch.nn.Module, inputs: Mapping[str, Tensor], batch_size: int = 8192, progress: bool = False,
               **options) -> EMAPResult:
    """The same projection, running the whole model (encoders included) on every recombined example."""
    model.eval()
    return emap(model, _as_model_dtype(model, inputs), batch_size, progress, **options)
