"""Is there a non-additive interaction? A nested-model test of additive against multiplicative terms.

On features ``x_A``, ``x_B`` (each standardised and reduced by PCA to ``p`` components, fitted on
the training part), three models of the response ``y`` are fitted:

    additive:        y ~ w_1 x_A + w_2 x_B
    multiplicative:  y ~ w_3 (x_A outer x_B)
    full:            y ~ w_1 x_A + w_2 x_B + w_3 (x_A outer x_B)

The full model nests the additive one, so a likelihood-ratio test (labels: multinomial logistic
regression, ``LR = 2 (log L_full - log L_add) ~ chi^2`` with ``p^2 (C - 1)`` degrees of freedom) or
an F test (continuous ``y``: least squares) says whether the products explain more than chance
would. The three models are also compared by their loss on held-out examples (for labels, fitted
with an L2 penalty, C = 1, so that their probabilities are calibrated), with a one-sided paired
t-test on the per-example losses. The data show a significant non-additive interaction when both
tests reject at level ``alpha``. When the additive model separates the training classes, both
likelihoods are about 1, the ratio is uninformative, and the held-out test decides alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from polymodal.checks import class_labels, finite_array, positive_int
from polymodal.errors import ConfigError, ShapeError

TASKS = ("classification", "regression")


@dataclass
class AdditivityResult:
    """Outcome of :func:`additivity_test`.

    Attributes:
        task: ``"classification"`` (losses: log-loss, nats) or ``"regression"`` (mean squared error).
        heldout_loss: ``{"additive", "multiplicative", "full"}`` losses on the held-out part.
        statistic: the LR (chi^2) or F statistic of full against additive, on the training part.
        df: its degrees of freedom (``(df1, df2)`` for F).
        p_value: probability of a statistic at least this large without interaction.
        heldout_p_value: one-sided paired t-test that the full model's per-example held-out loss
            is lower than the additive model's.
        separated: the additive model separates the training classes, so the likelihood ratio is
            uninformative and the held-out test decides alone.
        alpha: the level.
        non_additive: the verdict (both tests reject, or the held-out test when ``separated``).
        n_components: PCA components per modality.
    """

    task: str
    heldout_loss: dict[str, float]
    statistic: float
    df: tuple[int, ...]
    p_value: float
    heldout_p_value: float
    separated: bool
    alpha: float
    non_additive: bool
    n_components: int

    def verdict(self) -> str:
        """One sentence for reports."""
        tests = f"p = {self.p_value:.2g}{' (separable: not used)' if self.separated else ''}, held-out p = {self.heldout_p_value:.2g}"
        if self.non_additive:
            return f"significant non-additive interaction ({tests}; alpha = {self.alpha})"
        return f"no significant non-additive interaction ({tests}; alpha = {self.alpha})"

    def as_dict(self) -> dict:
        """JSON-ready dict with the verdict."""
        return {**asdict(self), "df": list(self.df), "verdict": self.verdict()}


def _design(a: np.ndarray, b: np.ndarray, kind: str) -> np.ndarray:
    prod = (a[:, :, None] * b[:, None, :]).reshape(len(a), -1)
    return {"additive": np.hstack([a, b]), "multiplicative": prod, "full": np.hstack([a, b, prod])}[kind]


def additivity_test(
    x_a: np.ndarray, x_b: np.ndarray, y: np.ndarray, task: str = "classification", n_components: int = 10,
    alpha: float = 0.01, test_size: float = 0.3, seed: int = 0,
) -> AdditivityResult:
    """Test whether ``y`` needs a multiplicative interaction of ``x_A`` and ``x_B``.

    Args:
        x_a: ``(N, d_A)`` features of modality A.
        x_b: ``(N, d_B)`` features of modality B.
        y: ``(N,)`` integer labels (classification) or real responses (regression).
        task: ``"classification"`` or ``"regression"``.
        n_components: PCA components kept per modality (at most ``d_m``).
        alpha: test level.
        test_size: share of examples held out for the loss comparison.
        seed: seed of the split.

    Returns:
        :class:`AdditivityResult`.
    """
    if task not in TASKS:
        raise ConfigError(f"task {task!r} is unknown; choose {' or '.join(TASKS)}")
    x_a, x_b = finite_array(x_a, "x_a"), finite_array(x_b, "x_b")
    y = class_labels(y, "y") if task == "classification" else finite_array(y, "y")
    if x_a.ndim != 2 or x_b.ndim != 2 or y.ndim != 1 or not len(x_a) == len(x_b) == len(y):
        raise ShapeError(f"need x_a (N, d_A), x_b (N, d_B) and y (N,) with the same N, got {x_a.shape}, {x_b.shape}, {y.shape}")
    n_components = positive_int(n_components, "n_components")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha}")
    if not 0 < test_size < 1:
        raise ConfigError(f"test_size must be a share in (0, 1), got {test_size}")
    if task == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise ConfigError(f"y holds a single class ({classes.tolist()}); the test needs at least two classes")
        if counts.min() < 2:
            raise ConfigError(f"y: class {classes[np.argmin(counts)]} has {counts.min()} example; a stratified "
                              "held-out split needs at least 2 per class: drop that class or add examples")
    elif np.ptp(y) == 0:
        raise ConfigError(f"y is constant ({y[0]:g}); a regression test needs a varying response")
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=test_size, random_state=seed,
                                           stratify=y if task == "classification" else None)
    reduced = []
    for x in (x_a, x_b):
        p = min(n_components, x.shape[1])
        scaler = StandardScaler().fit(x[idx_train])
        pca = PCA(p, random_state=seed).fit(scaler.transform(x[idx_train]))
        z = pca.transform(scaler.transform(x))
        reduced.append(z / z[idx_train].std(0))
    a, b = reduced
    p_a, p_b = a.shape[1], b.shape[1]
    losses, fits, per_example = {}, {}, {}
    for kind in ("additive", "multiplicative", "full"):
        design = _design(a, b, kind)
        if task == "classification":
            labels = np.unique(y[idx_train])
            # near-maximum likelihood for the likelihood ratio; L2 (C = 1) for calibrated held-out losses
            mle = LogisticRegression(C=1e4, max_iter=5000).fit(design[idx_train], y[idx_train])
            fits[kind] = -log_loss(y[idx_train], mle.predict_proba(design[idx_train]), labels=labels, normalize=False)
            reg = LogisticRegression(C=1.0, max_iter=5000).fit(design[idx_train], y[idx_train])
            proba = reg.predict_proba(design[idx_test])
            col = np.searchsorted(labels, y[idx_test])
            per_example[kind] = -np.log(np.clip(proba[np.arange(len(col)), col], 1e-15, None))
        else:
            xd = np.hstack([np.ones((len(design), 1)), design])
            coef, *_ = np.linalg.lstsq(xd[idx_train], y[idx_train], rcond=None)
            per_example[kind] = (y[idx_test] - xd[idx_test] @ coef) ** 2
            fits[kind] = float(np.sum((y[idx_train] - xd[idx_train] @ coef) ** 2))  # RSS
        losses[kind] = float(per_example[kind].mean())
    extra = p_a * p_b
    separated = False
    if task == "classification":
        classes = len(np.unique(y[idx_train]))
        df: tuple[int, ...] = (extra * (classes - 1),)
        statistic = max(0.0, 2 * (fits["full"] - fits["additive"]))
        p_value = float(stats.chi2.sf(statistic, df[0]))
        # the additive model already separates the training classes: both likelihoods are ~1 and
        # their ratio says nothing; the held-out comparison decides
        separated = -fits["additive"] / len(idx_train) < 1e-3
    else:
        n_train, k_full = len(idx_train), 1 + p_a + p_b + extra
        df = (extra, n_train - k_full)
        if df[1] < 1:
            raise ConfigError(f"{n_train} training examples are too few for {k_full} coefficients; lower n_components")
        statistic = ((fits["additive"] - fits["full"]) / df[0]) / (fits["full"] / df[1])
        p_value = float(stats.f.sf(statistic, *df))
    diff = per_example["additive"] - per_example["full"]
    heldout_p = float(stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue) if np.ptp(diff) > 0 else 1.0
    heldout_p = 1.0 if np.isnan(heldout_p) else heldout_p
    non_additive = heldout_p < alpha and (p_value < alpha or separated)
    return AdditivityResult(task, losses, float(statistic), df, p_value, heldout_p, separated, alpha, bool(non_additive), p_a)
