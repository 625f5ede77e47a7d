"""PID of continuous modalities without discretising them: the BATCH estimator of Liang et al. (2023).

Liang, Cheng, Fan, Ling, Nie, Chen, Deng, Allen, Salakhutdinov and Morency, "Quantifying & modeling
multimodal interactions: an information decomposition framework", NeurIPS 2023, Section 3.2.

1. Classifiers give p(y | x1), p(y | x2) and p(y | x1, x2) (scikit-learn MLPs, fitted on ``fit``
   samples; inputs standardised, and projected onto principal components when wide).
2. A batch of m evaluation samples defines the pairwise marginals of a joint over (i, j, y):
   P1[i, y] = p(y | x1_i) / m and P2[j, y] = p(y | x2_j) / m (each side rescaled per y to the
   average label marginal of the two, so that the constraints agree).
3. Within Delta_P (joints with those marginals), find q minimising I_q(Y; X1, X2):
   - ``joint="learned"`` (the paper): q[i, j, y] proportional to exp(<f1(x1_i)_y, f2(x2_j)_y>),
     projected onto Delta_P by Sinkhorn scaling per y, with f1, f2 small networks trained by
     gradient descent on I_q over random batches;
   - ``joint="exact"``: the exact optimum of each batch's m x m x |Y| problem by
     :func:`polymodal.information.broja.solve_broja` (with its certificate).
4. Per batch, with I(Y; Xm) from the classifiers' marginals and I_p(Y; X1, X2) = H(Y) - mean
   H(p(y | x1, x2)): U1 = I_q - I(Y; X2), U2 = I_q - I(Y; X1), R = I(Y; X1) + I(Y; X2) - I_q,
   S = I_p(Y; X1, X2) - I_q; the estimate is the mean over the batches.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from polymodal.information.broja import round_to_marginals, solve_broja
from polymodal.information.estimate import PIDEstimate, as_features, as_labels
from polymodal.information.distributions import DistributionError
from polymodal.information.pid import PIDResult
from polymodal.information.sinkhorn import sinkhorn_scaling
from polymodal.progress import progress_bar
from polymodal.timing import step

#: Bound on the learned joint's log-potentials (before Sinkhorn scaling).
SCORE_BOUND = 20.0
JOINTS = ("learned", "exact")


def _input_reduction(width: int, max_features: int, seed: int):
    """Standardisation, then principal components when ``width`` exceeds ``max_features`` (unfitted)."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    steps = [StandardScaler()]
    if width > max_features:
        steps.append(PCA(n_components=max_features, random_state=seed))
    return make_pipeline(*steps)


def _classifier_probabilities(train_x, train_y, eval_x, num_classes: int, max_features: int, seed: int,
                              patience: int = 8, max_epochs: int = 200):
    """p(y | x) on ``eval_x`` from an MLP fitted on (train_x, train_y): ``(N_eval, num_classes)``.

    The probabilities are the constraints of the estimate, so they must be calibrated: training
    stops on the log-loss of a held-out fifth (not its accuracy), keeping the best epoch. An
    overfitted classifier would claim information that is not there; an early-stopped-on-accuracy
    one would leave deterministic labels uncertain.
    """
    import copy

    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    prep = _input_reduction(train_x.shape[1], max_features, seed)
    order = np.random.default_rng(seed).permutation(len(train_x))
    held = order[: len(order) // 5]
    used = order[len(order) // 5:]
    xs = prep.fit(train_x[used]).transform(train_x)
    classes = np.arange(num_classes)
    clf = MLPClassifier(hidden_layer_sizes=(64, 64), alpha=1e-4, random_state=seed)
    best, best_loss, waited = None, np.inf, 0
    for _ in range(max_epochs):
        clf.partial_fit(xs[used], train_y[used], classes=classes)
        loss = log_loss(train_y[held], clf.predict_proba(xs[held]), labels=classes)
        if loss < best_loss - 1e-4:
            best, best_loss, waited = copy.deepcopy(clf), loss, 0
        else:
            waited += 1
            if waited >= patience:
                break
    probs = np.clip(best.predict_proba(prep.transform(eval_x)), 1e-6, None)
    return probs / probs.sum(1, keepdims=True)


def batch_marginals(p1: torch.Tensor, p2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """P1 = p(y | x1_i) / m and P2 = p(y | x2_j) / m rescaled per y to their average y marginal.

    Args:
        p1, p2: ``(m, C)`` conditional label distributions of the batch's samples.

    Returns:
        ``(m, C)`` each; both sum over samples to the same label marginal, and to 1 in all.
    """
    m = len(p1)
    py = (p1.mean(0) + p2.mean(0)) / 2
    return p1 / m * (py / p1.mean(0)), p2 / m * (py / p2.mean(0))


def label_information(joint: torch.Tensor) -> torch.Tensor:
    """I(A; Y) in nats of a joint ``(a, C)`` over a variable and the label."""
    pa, py = joint.sum(1, keepdim=True), joint.sum(0, keepdim=True)
    terms = joint * (joint.clamp_min(1e-300).log() - (pa * py).clamp_min(1e-300).log())
    return torch.where(joint > 0, terms, torch.zeros_like(joint)).sum()


def information_terms(q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(I(Y; X1, X2), I(Y; X1), I(Y; X2)) in nats of a joint ``q`` of shape (m, m, C)."""
    return label_information(q.reshape(-1, q.shape[-1])), label_information(q.sum(1)), label_information(q.sum(0))


def _entropy(p: np.ndarray) -> np.ndarray:
    return -(p * np.log(np.clip(p, 1e-300, None))).sum(-1)


def batch_pid(x1_fit, x2_fit, y_fit, x1, x2, num_classes: int | None = None, joint: str = "learned",
              batch_size: int = 256, steps: int = 300, embed_dim: int = 16, max_features: int = 64,
              seed: int = 0, progress: bool = False) -> PIDEstimate:
    """The BATCH PID estimate of (X1, X2; Y) (module doc).

    Args:
        x1_fit, x2_fit, y_fit: samples ``(N_fit, ...)`` and ``(N_fit,)`` integer labels the classifiers learn from.
        x1, x2: evaluation samples ``(N, ...)`` (the PID is of these).
        num_classes: number of labels (default: max label + 1).
        joint: ``"learned"`` (the paper's network and Sinkhorn) or ``"exact"`` (exact optimum per batch).
        batch_size: m, samples per batch.
        steps: gradient steps of the learned joint.
        embed_dim: size of f1, f2's per-label embeddings.
        max_features: inputs wider than this are projected onto this many principal components.
        seed: seed of the classifiers, the networks and the batches.
        progress: a progress bar over the classifiers and the joint's steps (or the exact batches).

    Returns:
        :class:`PIDEstimate` with ``estimator="batch"``; its ``pid.gap`` is the largest certified
        gap of the batches for ``joint="exact"``, NaN for ``"learned"``.
    """
    if joint not in JOINTS:
        raise DistributionError(f"joint {joint!r} is unknown; choose from {', '.join(JOINTS)}")
    a_fit, b_fit, a, b = (as_features(v, n) for v, n in ((x1_fit, "x1_fit"), (x2_fit, "x2_fit"), (x1, "x1"), (x2, "x2")))
    y_fit = as_labels(y_fit, "y_fit")
    if not (len(a_fit) == len(b_fit) == len(y_fit)) or len(a) != len(b):
        raise DistributionError("x1_fit, x2_fit and y_fit, and x1 and x2, need the same number of samples each")
    if y_fit.min() < 0 or (num_classes is not None and y_fit.max() >= num_classes):
        raise DistributionError(f"y_fit holds labels {y_fit.min()}..{y_fit.max()}; they must lie in 0..num_classes-1 "
                                f"(num_classes={num_classes})")
    if steps < 0 or embed_dim < 1 or max_features < 1:
        raise DistributionError(f"steps must be >= 0 and embed_dim, max_features >= 1; got {steps}, {embed_dim}, {max_features}")
    if batch_size < 2 or len(a) < batch_size:
        raise DistributionError(f"batch_size must be at least 2 and at most the {len(a)} evaluation samples, got {batch_size}")
    num_classes = num_classes or int(y_fit.max()) + 1
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(a))
    batches = [order[i:i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]
    work = 3 + (steps if joint == "learned" else len(batches))
    with progress_bar("PID (batch): classifiers", work, progress) as advance:
        with step("classifiers"):
            p1 = _classifier_probabilities(a_fit, y_fit, a, num_classes, max_features, seed)
            advance()
            p2 = _classifier_probabilities(b_fit, y_fit, b, num_classes, max_features, seed)
            advance()
            p12 = _classifier_probabilities(np.hstack([a_fit, b_fit]), y_fit, np.hstack([a, b]), num_classes,
                                            max_features, seed)
            advance(description=f"PID (batch): {joint} joint")
        if joint == "learned":
            with step("learned joint"):
                minimise = _learned_joint(a, b, p1, p2, batch_size, steps, embed_dim, max_features, seed, advance)
        else:
            minimise = _exact_joint
        terms, gaps = [], []
        with step("batches"):
            for idx in batches:
                t1, t2 = batch_marginals(torch.tensor(p1[idx]), torch.tensor(p2[idx]))
                i_q, gap = minimise(idx, t1, t2)
                i1, i2 = float(label_information(t1)), float(label_information(t2))
                py = t1.sum(0).numpy()
                i12 = float(_entropy(py) - _entropy(p12[idx]).mean())
                terms.append((i1 + i2 - i_q, i_q - i2, i_q - i1, i12 - i_q, i12))
                gaps.append(gap)
                if joint == "exact":
                    advance()
    r, u1, u2, s, i12 = (float(np.mean(col)) / math.log(2) for col in zip(*terms))
    result = PIDResult(redundancy=r, unique1=u1, unique2=u2, synergy=s, mutual_information=i12,
                       gap=max(gaps) / math.log(2), q=None, iterations=len(batches))
    settings = {"joint": joint, "batch_size": batch_size, "batches": len(batches), "steps": steps if joint == "learned" else 0,
                "embed_dim": embed_dim, "max_features": max_features, "seed": seed, "fit_samples": len(a_fit)}
    return PIDEstimate(result, "batch", len(batches) * batch_size, settings)


def _exact_joint(idx, t1: torch.Tensor, t2: torch.Tensor) -> tuple[float, float]:
    """I_q*(Y; X1, X2) (nats) of the batch's exact optimum, and its certified gap (nats)."""
    # Any joint with these marginals serves as p for solve_broja: the product coupling per y.
    coupling = t1[:, None, :] * t2[None, :, :] / t1.sum(0)
    sol = solve_broja(coupling.numpy(), tol_bits=1e-6)
    i_q = float(information_terms(torch.tensor(sol.q))[0])
    return i_q, sol.gap_bits * math.log(2)


def _learned_joint(a, b, p1, p2, batch_size, steps, embed_dim, max_features, seed, advance=lambda: None):
    """Train f1, f2 to minimise I_q over random batches (``advance()`` after each step); return the per-batch minimiser."""
    fa, fb = (torch.tensor(_input_reduction(x.shape[1], max_features, seed).fit_transform(x), dtype=torch.float32)
              for x in (a, b))
    num_classes = p1.shape[1]
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)

    def network(width: int) -> nn.Module:
        return nn.Sequential(nn.Linear(width, 64), nn.ReLU(), nn.Linear(64, num_classes * embed_dim))

    f1, f2 = network(fa.shape[1]), network(fb.shape[1])
    optimiser = torch.optim.Adam([*f1.parameters(), *f2.parameters()], lr=1e-3)
    tp1, tp2 = torch.tensor(p1), torch.tensor(p2)

    def log_joint(idx: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor) -> torch.Tensor:
        e1 = f1(fa[idx]).view(len(idx), num_classes, embed_dim)
        e2 = f2(fb[idx]).view(len(idx), num_classes, embed_dim)
        scores = torch.einsum("iyd,jyd->ijy", e1, e2) / math.sqrt(embed_dim)
        # Bounded potentials keep the scaling finite; Sinkhorn's row and column factors do the rest.
        return sinkhorn_scaling(SCORE_BOUND * torch.tanh(scores.double() / SCORE_BOUND), t1.double(), t2.double())

    for _ in range(steps):
        idx = torch.randperm(len(fa), generator=generator)[:batch_size]
        t1, t2 = batch_marginals(tp1[idx], tp2[idx])
        loss = information_terms(log_joint(idx, t1, t2).exp())[0]
        advance()
        if not torch.isfinite(loss):
            continue
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_([*f1.parameters(), *f2.parameters()], 1.0)
        optimiser.step()

    @torch.no_grad()
    def minimise(idx, t1, t2) -> tuple[float, float]:
        # Sinkhorn stops short of the constraints where the marginals are nearly deterministic:
        # rounding onto them exactly keeps I_q an upper bound on the batch's minimum.
        q = log_joint(torch.as_tensor(idx), t1, t2).exp().numpy()
        q = round_to_marginals(q, t1.numpy(), t2.numpy())
        return float(information_terms(torch.tensor(q))[0]), math.nan

    return minimise
