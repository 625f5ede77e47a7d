"""``coordinate``: train (or fit) a coordinated representation of two modalities and evaluate it."""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import lightning as L
import numpy as np
from sklearn.linear_model import LogisticRegression

from polymodal.coordination.config import METHODS, CoordinationConfig, load_coordinated_model
from polymodal.coordination.evaluate import PCAThenCCA, embed_split, fit_cca, raw_views
from polymodal.coordination.module import CoordinationModule
from polymodal.coordination.report import markdown_summary, plot_coordination
from polymodal.coordination.text import DIGIT_NAMES, TextEncoder, TextProjection, prompt_embeddings, sentence_encoder
from polymodal.coordination.retrieval import class_recall_at_k, class_shift_retrieval
from polymodal.coordination.zero_shot import class_prototypes, l2_normalise, zero_shot_predict
from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.io import atomic_write_json, atomic_write_text
from polymodal.layout import RESULT_FILE
from polymodal.timing import step
from polymodal.training.complexity import count_parameters
from polymodal.training.optimizers import optimization_settings
from polymodal.training.pipeline import TrainConfig, quiet_lightning, train_module



def coordinate(
    dataset: MultimodalDataset,
    method: str,
    run_dir: str | Path,
    *,
    modalities: list[str] | None = None,
    k: int = 10,
    train_config: TrainConfig | None = None,
    options: dict[str, Any] | None = None,
    pca_dim: int = 100,
    ridge: float = 1e-3,
    templates: Sequence[str] | None = None,
    text_encoder: TextEncoder | None = None,
    progress_bar: bool = True,
    resume: bool = True,
) -> dict[str, Any]:
    """Learn a coordinated representation of two modalities and evaluate it on the test split.

    ``cca`` fits a linear CCA (after a PCA of each view to ``pca_dim``) on the raw training
    inputs; ``dcca``, ``dccae`` and ``contrastive`` train towers through the training pipeline
    (checkpoints, resume, early stopping on a label-free validation score), with ``out_dim = k``
    for Deep CCA unless ``options`` says otherwise. Labels are used only for evaluation:

    * test correlations: a linear CCA fitted on the training representations, applied to the
      test representations (top ``k``);
    * class-level retrieval, query modality ``b`` against a gallery of modality ``a`` (recall@1, @10);
    * zero-shot classification of ``b`` by prototypes of labelled ``a`` training examples, next to a
      logistic-regression probe trained on ``b``'s representations with ``b``'s labels;
    * embedding arithmetic: class-shifted ``b`` queries retrieving ``a`` items of the target class;
    * with ``templates``: zero-shot classification of ``b`` by text prompts of the class names,
      averaged over the templates and projected into the space through ``a``'s prototypes
      (:class:`~polymodal.coordination.text.TextProjection`).

    Writes ``result.json`` (atomically), ``report.md`` and ``coordination.png`` into ``run_dir``.

    Args:
        dataset: a data set with train, val and test splits.
        method: ``cca``, ``dcca``, ``dccae`` or ``contrastive``.
        run_dir: output folder.
        modalities: the two modalities ``[a, b]`` (default: the data set's first two).
        k: canonical components evaluated.
        train_config: how to train (trained methods).
        options: :class:`CoordinationConfig` fields, e.g. ``{"objective": "max-margin", "gated": True}``.
        pca_dim, ridge: linear CCA settings.
        templates: prompt templates with ``{label}`` for text prototypes (``None``: no text).
        text_encoder: ``list[str] -> (n, D)``; default the ``polymodal[text]`` sentence encoder.
        progress_bar, resume: as :func:`polymodal.training.fit`.

    Returns:
        The content of ``result.json``.
    """
    if method not in METHODS:
        raise ConfigError(f"method {method!r} is unknown; choose one of {', '.join(METHODS)}")
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    names = modalities or list(dataset.modalities)[:2]
    run_dir = Path(run_dir)
    train_config = train_config or TrainConfig()
    result: dict[str, Any] = {"dataset": dataset.name, "method": method, "modalities": names, "k": k, "skipped": []}
    if method == "cca":
        if len(names) != 2 or any(n not in dataset.modalities for n in names):
            raise ConfigError(f"--modalities must name two of {', '.join(dataset.modalities)}, got {names}")
        start = time.perf_counter()
        with step("fit CCA"):
            cca = PCAThenCCA(k, ridge, pca_dim, train_config.seed).fit(raw_views(dataset.splits["train"], names))
        result["train_time_s"] = time.perf_counter() - start
        result["parameters"] = int(sum(w.size for w in cca.cca_.weights_) + sum(p.components_.size for p in cca.pcas_ if p is not None))
        result["settings"] = {"pca_dim": pca_dim, "ridge": ridge}
        reps = {s: dict(zip(names, cca.transform(raw_views(dataset.splits[s], names)))) for s in ("train", "test")}
        result["test_correlations"] = cca.score(raw_views(dataset.splits["test"], names)).tolist()
        gated = False
    else:
        defaults = {"out_dim": k} if method in ("dcca", "dccae") else {}
        config = CoordinationConfig.for_dataset(dataset, method, names, **{**defaults, **(options or {})})
        quiet_lightning()
        L.seed_everything(train_config.seed, workers=True, verbose=False)
        module = CoordinationModule(config.to_dict(), batch_size=train_config.batch_size,
                                    **optimization_settings(train_config))
        run = train_module(module, dataset, train_config, run_dir, monitor="val_score", progress_bar=progress_bar, resume=resume)
        if not run.trainer.is_global_zero:
            return {}
        model, _ = load_coordinated_model(run.best_path) if run.best_path else (module.model.eval(), config)
        result.update(
            train_time_s=run.train_time_s, parameters=count_parameters(model), best_val_score=run.best_score,
            epochs=run.trainer.current_epoch, resumed_from=run.resumed_from, checkpoint=run.best_path or None,
            config=config.to_dict(), train_config=asdict(train_config),
        )
        with step("embed and fit CCA"):
            reps = {s: embed_split(model, dataset.splits[s]) for s in ("train", "test")}
            train_pair, test_pair = ([reps[s][n] for n in names] for s in ("train", "test"))
            cca = fit_cca(train_pair, k)
        result["test_correlations"] = cca.score(test_pair).tolist()
        if method in ("dcca", "dccae"):  # Deep CCA's representation is its outputs' canonical variates
            reps = {s: dict(zip(names, cca.transform(pair))) for s, pair in (("train", train_pair), ("test", test_pair))}
        gated = model.needs_both_modalities
        if method == "contrastive" and config.objective == "infonce":
            result["temperature"] = float(1 / model.logit_scale().detach())
    result["total_test_correlation"] = float(np.sum(result["test_correlations"]))
    if gated:
        result["skipped"].append("retrieval and zero-shot: a gated model represents pairs only, not one modality alone")
    else:
        with step("retrieval and zero-shot"):
            result.update(_cross_modal(dataset, names, reps))
            if templates:
                result["zero_shot_text"] = _text_zero_shot(dataset, names, reps, templates,
                                                           text_encoder or sentence_encoder())
    atomic_write_json(run_dir / RESULT_FILE, result)
    atomic_write_text(run_dir / "report.md", markdown_summary(result))
    with step("plot"):
        plot_coordination(result, run_dir / "coordination.png")
    return result


def _cross_modal(dataset: MultimodalDataset, names: list[str], reps: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """Retrieval, zero-shot classification and class-shift arithmetic; query ``b``, gallery/prototypes ``a``."""
    a, b = names
    y_train, y_test = (dataset.splits[s].labels.numpy() for s in ("train", "test"))
    ks = (1, 10)
    retrieval = class_recall_at_k(reps["test"][b], y_test, reps["test"][a], y_test, ks)
    prototypes = class_prototypes(reps["train"][a], y_train, dataset.num_classes)
    zero_shot = float((zero_shot_predict(reps["test"][b], prototypes) == y_test).mean())
    probe = LogisticRegression(max_iter=2000).fit(l2_normalise(reps["train"][b]), y_train)
    probe_acc = float(probe.score(l2_normalise(reps["test"][b]), y_test))
    shift_k = 10
    precision, source = class_shift_retrieval(reps["test"][b], y_test, reps["test"][a], y_test, prototypes, shift_k)
    off = ~np.eye(dataset.num_classes, dtype=bool)
    return {
        "retrieval": {"query": b, "gallery": a, "ks": list(ks), **retrieval},
        "zero_shot": {"query": b, "prototypes": f"labelled {a} (train)", "accuracy": zero_shot,
                      "supervised_probe_accuracy": probe_acc},
        "class_shift": {
            "k": shift_k, "precision": precision.tolist(), "chance": 1 / dataset.num_classes,
            "mean_target_precision": float(np.nanmean(precision[off])),
            "mean_source_precision": float(np.nanmean(source[off])),
            "unshifted_precision": float(np.nanmean(np.diag(precision))),
        },
    }


def _text_zero_shot(dataset: MultimodalDataset, names: list[str], reps: dict[str, dict[str, np.ndarray]],
                    templates: Sequence[str], encode: TextEncoder) -> dict[str, Any]:
    a, b = names
    class_names = DIGIT_NAMES if dataset.num_classes == len(DIGIT_NAMES) else [str(c) for c in range(dataset.num_classes)]
    prompts = prompt_embeddings(class_names, templates, encode)
    anchors = class_prototypes(reps["train"][a], dataset.splits["train"].labels.numpy(), dataset.num_classes)
    prototypes = TextProjection().fit(prompts, anchors).prototypes(prompts)
    y_test = dataset.splits["test"].labels.numpy()
    return {"query": b, "accuracy": float((zero_shot_predict(reps["test"][b], prototypes) == y_test).mean()),
            "templates": list(templates), "class_names": list(class_names), "aligned_through": f"labelled {a} (train)"}
