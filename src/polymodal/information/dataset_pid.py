"""PID of a data set's two modalities about its labels, and of a trained model's predictions.

:func:`dataset_pid` runs one of the two sample estimators on a :class:`MultimodalDataset`:

- ``estimator="cluster"`` (:mod:`~polymodal.information.cluster_estimator`): each modality is
  reduced, clustered, and the exact PID of the clusters' joint with Y is computed. The reduction
  is ``reduce="pca"`` (the published recipe: L2-normalise, principal components) or
  ``reduce="learned"``: a small polymodal model (nonlinear fusion of ``embed_dim``-dimensional
  encoders) is trained to predict Y from both modalities on the training split, and each
  modality is clustered in its encoder's space. A learned space keeps the directions that carry
  information about Y, alone or jointly, which principal components of the raw inputs need not
  (on the latent data sets only the learned reduction recovers redundancy; see docs/pid.md).
- ``estimator="batch"`` (:mod:`~polymodal.information.batch_estimator`): no discretisation.

Fitting (reduction model, classifiers) uses the ``train`` split; the PID is of the ``split``
samples (``test`` by default). :func:`model_pid` is the same with Y replaced by a trained model's
predictions (Liang et al. 2023's model PID): which interactions the model has learned to use.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from polymodal.data.padded import Padded, flat_features
from polymodal.data.dataset import MultimodalDataset, MultimodalSplit
from polymodal.errors import ConfigError
from polymodal.information.batch_estimator import batch_pid
from polymodal.information.cluster_estimator import cluster_pid
from polymodal.information.estimate import PIDEstimate
from polymodal.timing import step

ESTIMATORS = ("cluster", "batch")
REDUCTIONS = ("learned", "pca")


def two_modalities(dataset: MultimodalDataset, modalities: list[str] | None) -> MultimodalDataset:
    """The data set restricted to the two modalities named (default: its first two)."""
    names = list(modalities) if modalities else list(dataset.modalities)[:2]
    if len(names) != 2:
        raise ConfigError(f"PID needs exactly two modalities, got {names}; pass --modalities a,b "
                          f"(the data set has {', '.join(dataset.modalities)})")
    return dataset.select(names)


def with_labels(dataset: MultimodalDataset, labels: dict[str, torch.Tensor]) -> MultimodalDataset:
    """The same samples with the labels of the given splits replaced (e.g. by a model's predictions)."""
    splits = {}
    for name, split in dataset.splits.items():
        new = labels.get(name, split.labels)
        if len(new) != len(split):
            raise ConfigError(f"split {name!r}: {len(new)} labels for {len(split)} samples")
        splits[name] = MultimodalSplit(split.inputs, new, split.rows, split.meta)
    return MultimodalDataset(dataset.name, dataset.modalities, dataset.num_classes, splits, dataset.description,
                             dict(dataset.options))


def learned_embeddings(dataset: MultimodalDataset, split: str, embed_dim: int = 2, epochs: int = 30,
                       seed: int = 0, run_dir: str | Path | None = None,
                       progress: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Each modality of ``split`` in the space of a small model trained to predict the labels.

    Trains ``nonlinear`` fusion of ``embed_dim``-dimensional encoders with the polymodal training
    pipeline (checkpoints in ``run_dir``, a temporary folder by default) on the ``train`` split,
    with a progress bar if ``progress``.

    Returns:
        The two modalities' embeddings of the ``split`` samples, ``(N, embed_dim)`` each.
    """
    from polymodal.models.build import ModelConfig
    from polymodal.training.checkpoint import load_model
    from polymodal.training.pipeline import TrainConfig, fit

    config = ModelConfig.for_dataset(dataset, "nonlinear", embed_dim=embed_dim, hidden_dim=32)
    with tempfile.TemporaryDirectory() as tmp:
        result = fit(dataset, config, TrainConfig(epochs=epochs, batch_size=128, patience=6, seed=seed),
                     run_dir or Path(tmp) / "reduction", progress_bar=progress)
        model = load_model(result["checkpoint"])
    part = dataset.splits[split]
    names = list(dataset.modalities)
    with torch.inference_mode():
        chunks = [model.encode({m: part.modality(m)[i:i + 512] for m in names}) for i in range(0, len(part), 512)]
    return tuple(torch.cat([c[m] for c in chunks]) for m in names)


def dataset_pid(dataset: MultimodalDataset, modalities: list[str] | None = None, estimator: str = "cluster",
                reduce: str = "learned", n_clusters: int = 10, n_components: int | None = 2, embed_dim: int = 2,
                joint: str = "learned", split: str = "test", seed: int = 0,
                run_dir: str | Path | None = None, steps: int = 300, progress: bool = False) -> PIDEstimate:
    """R, U1, U2, S of two modalities about the labels, estimated from the ``split`` samples.

    Args:
        dataset: the data set (needs a ``train`` split and ``split``).
        modalities: the two modalities (default: the first two).
        estimator: ``"cluster"`` or ``"batch"``.
        reduce: for ``cluster``: ``"learned"`` or ``"pca"`` (module doc).
        n_clusters: clusters per modality (``cluster``).
        n_components: principal components for ``reduce="pca"`` (the recipe: 2).
        embed_dim: size of the learned spaces for ``reduce="learned"``.
        joint: for ``batch``: ``"learned"`` or ``"exact"``.
        split: the samples whose PID is estimated.
        seed: seed of every random step.
        run_dir: where the reduction model's checkpoints go (default: a temporary folder).
        steps: for ``batch`` with ``joint="learned"``: gradient steps of the learned joint.
        progress: progress bars (reduction training, the batch estimator's steps).

    Returns:
        :class:`PIDEstimate`; its settings name the data set, modalities, split and estimator options.
    """
    if estimator not in ESTIMATORS:
        raise ConfigError(f"estimator {estimator!r} is unknown; choose from {', '.join(ESTIMATORS)}")
    if reduce not in REDUCTIONS:
        raise ConfigError(f"reduce {reduce!r} is unknown; choose from {', '.join(REDUCTIONS)}")
    for name in ("train", split):
        if name not in dataset.splits:
            raise ConfigError(f"data set {dataset.name!r} has no {name!r} split")
    ds = two_modalities(dataset, modalities)
    m1, m2 = list(ds.modalities)
    part, train = ds.splits[split], ds.splits["train"]
    y = part.labels.numpy()
    if estimator == "batch":
        tr1, tr2, x1, x2 = (flat_features(s.modality(m), m) for s in (train, part) for m in (m1, m2))
        estimate = batch_pid(tr1, tr2, train.labels.numpy(), x1, x2, num_classes=ds.num_classes, joint=joint,
                             steps=steps, seed=seed, progress=progress)
    elif reduce == "learned" and not all(_few_values(part.modality(m), n_clusters) for m in (m1, m2)):
        with step("reduction"):
            e1, e2 = learned_embeddings(ds, split, embed_dim=embed_dim, seed=seed, run_dir=run_dir, progress=progress)
        raw = [flat_features(part.modality(m), m) if _few_values(part.modality(m), n_clusters) else e
               for m, e in ((m1, e1), (m2, e2))]
        with step("clusters and exact PID"):
            estimate = cluster_pid(*raw, y, n_clusters=n_clusters, n_components=None, normalize=False, seed=seed)
        estimate.settings.update(reduce="learned", embed_dim=embed_dim)
    else:  # the recipe; a modality with at most n_clusters distinct values is used as it is
        with step("clusters and exact PID"):
            estimate = cluster_pid(flat_features(part.modality(m1), m1), flat_features(part.modality(m2), m2), y,
                                   n_clusters=n_clusters, n_components=n_components, seed=seed)
        estimate.settings.update(reduce="pca" if reduce == "pca" else "none: few distinct values")
    estimate.settings.update(dataset=ds.name, modalities=[m1, m2], split=split)
    return estimate


def _few_values(x: torch.Tensor, n_clusters: int) -> bool:
    """Whether the samples take at most ``n_clusters`` distinct values (then they need no reduction)."""
    if isinstance(x, Padded):
        return False
    return len(torch.unique(x.reshape(len(x), -1), dim=0)) <= n_clusters


def model_predictions(model: torch.nn.Module, dataset: MultimodalDataset) -> dict[str, torch.Tensor]:
    """The model's predicted class of every sample of every split: ``{split: (N,)}``."""
    from polymodal.training.checkpoint import predict_logits

    return {name: predict_logits(model, split).argmax(1) for name, split in dataset.splits.items()}


def model_pid(model: torch.nn.Module, dataset: MultimodalDataset, **options) -> PIDEstimate:
    """PID of the model's predictions: :func:`dataset_pid` with Y replaced by the predicted class.

    Args:
        model: a trained :class:`~polymodal.models.multimodal.MultimodalModel` reading the data set's modalities.
        dataset: the data set; its two modalities (``options["modalities"]``) must be ones the model reads.
        **options: :func:`dataset_pid`'s options.
    """
    estimate = dataset_pid(with_labels(dataset, model_predictions(model, dataset)), **options)
    estimate.settings.update(target="model predictions")
    return estimate
