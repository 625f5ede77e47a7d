"""``interactions``: which cross-modal interactions a trained model uses, in one report.

For a trained model and a data set: its accuracy next to the accuracy of its EMAP projection
(:mod:`.emap`), the response categories of its predictions against the unimodal baselines
(:mod:`.response_categories`), and the PID of its predictions
(:func:`polymodal.information.dataset_pid.model_pid`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError, DataFileError
from polymodal.interactions.emap import model_emap
from polymodal.catalog import UNIMODAL
from polymodal.interactions.response_categories import category_fractions, response_categories
from polymodal.layout import RunLayout, method_slug
from polymodal.timing import step
from polymodal.training.evaluate import evaluate

UNIMODAL_PREFIX = method_slug(f"{UNIMODAL}:")


def bench_unimodal_checkpoints(model_checkpoint: str | Path, modalities: list[str]) -> dict[str, Path]:
    """The unimodal baselines beside a ``polymodal bench`` checkpoint, if it is one of a bench's.

    A bench run's baselines are the ``unimodal:<m>`` runs of the same bench and seed (see
    :mod:`polymodal.layout`); modalities without one are left out.
    """
    run = RunLayout.of_checkpoint(model_checkpoint)
    found = run.bench()
    if found is None:
        return {}
    bench, _, seed = found
    name = Path(model_checkpoint).name
    paths = {m: bench.run(f"{UNIMODAL}:{m}", seed).checkpoints / name for m in modalities}
    return {m: p for m, p in paths.items() if p.is_file()}


def _subset(n: int, size: int | None, seed: int) -> np.ndarray:
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def analyze_interactions(
    model: torch.nn.Module, dataset: MultimodalDataset, *, unimodal: Mapping[str, torch.nn.Module] | None = None,
    split: str = "test", emap_samples: int | None = 2000, pid_options: Mapping[str, Any] | None = None,
    seed: int = 0, progress: bool = False,
) -> dict[str, Any]:
    """EMAP, response categories and model PID of ``model`` on ``dataset.splits[split]``.

    Args:
        model: a trained multimodal model reading the data set's modalities.
        dataset: the data set.
        unimodal: ``{m: model of m alone}`` for the two modalities (response categories need both).
        split: the evaluated split.
        emap_samples: examples used for EMAP (a random subset of this size; ``None``: all).
        pid_options: options of :func:`~polymodal.information.dataset_pid.model_pid`; ``None`` skips the PID.
        seed: seed of the EMAP subset and the PID.
        progress: progress bars.

    Returns:
        ``{"accuracy", "emap": {...}, "categories": {...} | None, "pid": {...} | None, ...}``.
    """
    if split not in dataset.splits:
        raise ConfigError(f"data set {dataset.name!r} has no {split!r} split")
    data = dataset.splits[split]
    labels = data.labels.numpy()
    model.eval()
    names = [m for m in getattr(model, "modalities", dataset.modalities) if m in dataset.modalities]
    evaluation = evaluate(model, data)
    logits = evaluation.logits
    result: dict[str, Any] = {"dataset": dataset.name, "split": split, "modalities": names, "samples": len(labels),
                              "accuracy": evaluation.accuracy}
    rows = _subset(len(labels), emap_samples, seed)
    inputs = {m: data.modality(m)[torch.as_tensor(rows)] for m in names}
    projection = model_emap(model, inputs, progress=progress, seed=seed)
    result["emap"] = {"samples": len(rows), **projection.accuracies(labels[rows]), **projection.summary()}
    result["categories"] = None
    if unimodal:
        missing = [m for m in names if m not in unimodal]
        if len(names) != 2 or missing:
            raise ConfigError(f"response categories need a unimodal model of each of two modalities; missing {missing or names}")
        probs = [torch.softmax(evaluate(unimodal[m], data.select([m])).logits, 1).numpy() for m in names]
        cats = response_categories(*probs, torch.softmax(logits, 1).numpy(), labels)
        result["categories"] = {"A": names[0], "B": names[1], **category_fractions(cats)}
        result["unimodal_accuracy"] = {m: float((p.argmax(1) == labels).mean()) for m, p in zip(names, probs)}
    result["pid"] = None
    if pid_options is not None and len(names) == 2:
        from polymodal.information.dataset_pid import model_pid

        with step("PID"):
            estimate = model_pid(model, dataset, **{"modalities": names, "split": split, "seed": seed,
                                                    "progress": progress, **pid_options})
        result["pid"] = estimate.as_dict()
    return result


def load_unimodal(paths: Mapping[str, str | Path]) -> dict[str, torch.nn.Module]:
    """Load ``{m: checkpoint}`` unimodal baselines."""
    from polymodal.training.checkpoint import load_model

    models = {}
    for m, p in paths.items():
        if not Path(p).is_file():
            raise DataFileError(f"unimodal checkpoint for {m!r} not found: {p}")
        models[m] = load_model(p)
    return models
