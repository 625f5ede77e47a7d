"""How much a trained fusion model uses each modality: the per-modality imbalance diagnostics.

* **Contribution to accuracy**: the Shapley value of each modality when the value of a coalition
  S of modalities is the accuracy of ``head(fuse(e))`` with the embeddings of the modalities
  outside S zeroed (:mod:`polymodal.training.balance.shapley`). The values add up to the
  accuracy with every modality minus the accuracy with none. A modality the model ignores
  contributes about 0. Computed on the validation split at the end of every epoch.
* **Linear probe**: the test accuracy of a logistic regression trained on one modality's
  embeddings of the training split (encoders of the best checkpoint, frozen). Next to the
  accuracy of that modality's unimodal model trained alone, it shows whether joint training
  left an encoder under-trained (the diagnostic of OGM-GE, Peng et al., CVPR 2022).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from polymodal.data.dataset import MultimodalDataset
from polymodal.training.balance.shapley import coalitions, shapley_values

CONTRIBUTION = "contribution_"


class CoalitionAccuracy:
    """Counts, over batches, the correct predictions of every coalition of modalities.

    Args:
        modalities: the model's modalities (at least two).
    """

    def __init__(self, modalities: list[str]) -> None:
        self.modalities = list(modalities)
        self.reset()

    def reset(self) -> None:
        self.correct = {s: 0 for s in coalitions(self.modalities)}
        self.total = 0

    @torch.no_grad()
    def add(self, model: torch.nn.Module, embeddings: Mapping[str, torch.Tensor], labels: torch.Tensor,
            full: torch.Tensor | None = None) -> None:
        """Count one batch: ``embeddings`` ``{m: (B, ...)}`` of a model in eval mode, ``labels`` ``(B,)``;
        ``full``: ``head(fuse(embeddings))`` when the caller has it already (the coalition of all)."""
        everyone = frozenset(self.modalities)
        for s in self.correct:
            if s == everyone and full is not None:
                logits = full
            else:
                logits = model.head(model.fuse({m: e if m in s else torch.zeros_like(e) for m, e in embeddings.items()}))
            self.correct[s] += int((logits.argmax(-1) == labels).sum())
        self.total += len(labels)

    def contributions(self) -> dict[str, float]:
        """``{m: Shapley value of accuracy}`` over the batches counted (then reset)."""
        accuracy = {s: c / max(self.total, 1) for s, c in self.correct.items()}
        self.reset()
        return shapley_values(accuracy.__getitem__, self.modalities)


def contributions_per_epoch(metrics_log: str | Path) -> dict[str, list[float]]:
    """``{m: [contribution in epoch 0, 1, ...]}`` from a run's ``logs/metrics.csv``; ``{}`` if it has none."""
    path = Path(metrics_log)
    if not path.is_file():
        return {}
    with path.open(newline="") as f:
        rows = sorted((r for r in csv.DictReader(f) if any(k.startswith(CONTRIBUTION) and r[k] for k in r)),
                      key=lambda r: int(r["epoch"]))
    names = [k for k in (rows[0] if rows else {}) if k.startswith(CONTRIBUTION)]
    return {k[len(CONTRIBUTION):]: [float(r[k]) for r in rows] for k in names}


def linear_probe_accuracy(model: torch.nn.Module, dataset: MultimodalDataset, seed: int = 0) -> dict[str, float]:
    """``{m: test accuracy}`` of a logistic regression on modality m's frozen train embeddings.

    The embeddings (flattened) are standardised with the training split's statistics; the
    regression is scikit-learn's (L2, C = 1, lbfgs, at most 1000 iterations).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from polymodal.robustness.impute import model_embeddings

    train = model_embeddings(model, dataset.splits["train"])
    test = model_embeddings(model, dataset.splits["test"])
    y_train = dataset.splits["train"].labels.cpu().numpy()
    y_test = dataset.splits["test"].labels.cpu().numpy()
    out = {}
    for m in train:
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
        probe.fit(train[m].detach().cpu().numpy(), y_train)
        out[m] = float(np.mean(probe.predict(test[m].detach().cpu().numpy()) == y_test))
    return out


def plot_contributions(contributions: Mapping[str, list[float]], path: str | Path, title: str = "") -> None:
    """Each modality's contribution to validation accuracy per epoch, as lines, written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from polymodal.io import atomic_write

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for m, values in contributions.items():
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=m)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("contribution to validation accuracy")
    ax.set_title(title or "Shapley contribution of each modality", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
