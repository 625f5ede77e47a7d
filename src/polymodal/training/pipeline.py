"""One training pipeline for every model: Lightning with checkpoints, early stopping and resume."""

from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.fabric.utilities.exceptions import MisconfigurationException
from torch.utils.data import DataLoader

from polymodal.data.dataset import MultimodalDataset
from polymodal.data.loader import batch_loader, loader_generators
from polymodal.environment import environment, host
from polymodal.errors import ConfigError
from polymodal.io import atomic_write, atomic_write_json
from polymodal.layout import RESULT_FILE, RunLayout  # noqa: F401 (RESULT_FILE: for callers)
from polymodal.models.build import ModelConfig
from polymodal.progress import progress_enabled
from polymodal.timing import step
from polymodal.training.config import TrainConfig
from polymodal.training.checkpoint import load_model, predict_logits, read_checkpoint
from polymodal.training.clock import TrainingClock
from polymodal.training.evaluate import evaluate
from polymodal.training.imbalance import contributions_per_epoch, linear_probe_accuracy, plot_contributions
from polymodal.training.last_checkpoint import LastCheckpoint
from polymodal.training.complexity import PeakMemory, count_parameters, inference_time_per_sample
from polymodal.training.metrics_log import ResumingCSVLogger
from polymodal.training.optimizers import optimization_settings
from polymodal.training.module import ClassificationModule
from polymodal.training.progress import TrainingProgress
from polymodal.training.random_state import RandomStateCheckpoint
from polymodal.training.recipes import describe_recipe
from polymodal.training.resume_check import RecordTrainConfig, check_resumable


def quiet_lightning() -> None:
    """Silence Lightning's informational messages and the warnings that do not concern users."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for msg in (".*does not have many workers.*", ".*sync_dist=True.*", ".*number of training batches.*",
                ".*LeafSpec.*", ".*Checkpoint directory.*exists and is not empty.*",
                ".*validation_step.*but have no .val_dataloader.*"):  # ClassificationModule validates itself
        warnings.filterwarnings("ignore", message=msg)


def _trainer(config: TrainConfig, logger: ResumingCSVLogger, callbacks: list[L.Callback], monitor: str,
             run_dir: Path) -> L.Trainer:
    return L.Trainer(
        max_epochs=config.epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        strategy=config.strategy,
        num_nodes=config.num_nodes,
        callbacks=[EarlyStopping(monitor=monitor, mode="max", patience=config.patience), *callbacks],
        logger=logger,
        deterministic="warn",
        enable_progress_bar=False,  # polymodal.progress.TrainingProgress draws the bar, on stderr
        enable_model_summary=False,
        log_every_n_steps=10,
        default_root_dir=run_dir,
        gradient_clip_val=config.grad_clip,
        gradient_clip_algorithm="norm",
    )


def split_loader(dataset: MultimodalDataset, split: str, train_config: TrainConfig, shuffle: bool,
                 transform: Any = None) -> DataLoader:
    """A data loader over one split, shuffled with the run's seed (``transform``: see :func:`batch_loader`)."""
    generator = torch.Generator().manual_seed(train_config.seed)
    return batch_loader(dataset.splits[split], train_config.batch_size, shuffle=shuffle, generator=generator,
                        num_workers=train_config.num_workers, transform=transform, transform_seed=train_config.seed + 1)


class AugmentSchedule(L.Callback):
    """Sets the augmentation's level scale at the start of each epoch: ``epoch / epochs`` (epochs counted from 1)."""

    def __init__(self, corruptor: Any, epochs: int) -> None:
        self.corruptor, self.epochs = corruptor, epochs

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.corruptor.scale = min(1.0, (trainer.current_epoch + 1) / self.epochs)


def training_augmentation(dataset: MultimodalDataset, train_config: TrainConfig) -> tuple[Any, list[L.Callback]]:
    """The :class:`~polymodal.robustness.corrupt.Corruptor` of ``train_config.augment`` and its schedule callback."""
    if not train_config.augment:
        return None, []
    from polymodal.robustness.corrupt import corruptor_of_chains, parse_augment

    corruptor = corruptor_of_chains(dataset, parse_augment(train_config.augment), argument="--augment")
    if train_config.augment_schedule == "constant":
        return corruptor, []
    if train_config.num_workers:
        raise ConfigError("--augment-schedule linear needs --num-workers 0 (the level changes in the main process)")
    return corruptor, [AugmentSchedule(corruptor, train_config.epochs)]


def check_robust_training(model_config: ModelConfig, train_config: TrainConfig) -> None:
    """Raise :class:`ConfigError` when the training's missing-modality options need what the model lacks."""
    if train_config.modality_dropout > 0 and train_config.missing_strategy == "token" and not model_config.missing_token:
        raise ConfigError("--missing-strategy token needs a model with learned missing embeddings (missing_token=True)")
    if model_config.missing_token and train_config.modality_dropout == 0:
        raise ConfigError("a learned missing token is trained only on dropped modalities: give --modality-dropout Q > 0 "
                          "with --missing-strategy token")
    needs_imputer = train_config.impute is not None or (train_config.modality_dropout > 0 and train_config.missing_strategy == "impute")
    if needs_imputer and model_config.imputer is None:
        raise ConfigError("--imputer / --missing-strategy impute need a model with an imputer (ModelConfig imputer=HIDDEN)")
    if model_config.imputer is not None and train_config.impute is None:
        raise ConfigError("the model has an imputer: say how to train it, impute='joint' or 'after' (--imputer)")


@dataclass
class TrainedRun:
    """What :func:`train_module` leaves behind.

    Attributes:
        trainer: the Lightning trainer (for testing with the best checkpoint).
        best_path: path of ``checkpoints/best.ckpt`` ("" if no validation ran).
        best_score: best value of the monitored validation metric.
        resumed_from: the ``last.ckpt`` training continued from, if any.
        train_time_s: training wall time over all segments of the run.
        peak_memory_mib, peak_memory_method: see :class:`PeakMemory`.
    """

    trainer: L.Trainer
    best_path: str
    best_score: float | None
    resumed_from: str | None
    train_time_s: float
    peak_memory_mib: float
    peak_memory_method: str


def train_module(
    module: L.LightningModule,
    dataset: MultimodalDataset,
    train_config: TrainConfig,
    run_dir: str | Path,
    *,
    monitor: str,
    callbacks: Sequence[L.Callback] = (),
    progress_bar: bool = True,
    resume: bool = True,
) -> TrainedRun:
    """Train any LightningModule on a data set's ``train`` split, validating on ``val``.

    Early stopping and the best checkpoint follow the validation metric ``monitor`` (higher is
    better). Writes ``checkpoints/best.ckpt``, ``checkpoints/last.ckpt`` and ``logs/metrics.csv``
    into ``run_dir``; if ``resume`` and ``last.ckpt`` exists, training continues from it and
    ``metrics.csv`` keeps the epochs logged before the interruption; the checkpoints hold every
    random generator's state (:class:`~polymodal.training.random_state.RandomStateCheckpoint`), so a
    resumed run ends as the uninterrupted one. With ``progress_bar`` a bar
    over the run's batches, with the time left, is drawn on stderr when it is a terminal
    (:func:`polymodal.progress.progress_enabled`).
    """
    run_dir = Path(run_dir)
    missing = [s for s in ("train", "val", "test") if s not in dataset.splits]
    augment, schedule = training_augmentation(dataset, train_config)
    callbacks = [*callbacks, *schedule]
    if missing:
        raise ConfigError(f"dataset {dataset.name!r} has no {missing[0]!r} split; training needs train, val and test")
    ckpt_dir = RunLayout(run_dir).checkpoints
    best = ModelCheckpoint(
        dirpath=ckpt_dir, filename="best", monitor=monitor, mode="max", save_top_k=1, enable_version_counter=False,
    )
    clock = TrainingClock()
    last = RunLayout(run_dir).last
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    resumed_from = str(last) if resume and last.is_file() else None
    saved = torch.load(last, map_location="cpu", weights_only=True) if resumed_from else None
    if saved is not None:
        check_resumable(saved, last, module, train_config)  # the same run, or a clear error
    resumed_epoch = saved["epoch"] if saved is not None else None
    logger = ResumingCSVLogger(run_dir, keep_through_epoch=resumed_epoch)
    train_loader = split_loader(dataset, "train", train_config, True, transform=augment)
    own = getattr(module, "random_generators", dict)()
    random_state = RandomStateCheckpoint({**loader_generators(train_loader), **own})
    try:
        bar = [TrainingProgress("training", monitor)] if progress_bar and progress_enabled() else []
        trainer = _trainer(train_config, logger, [best, LastCheckpoint(last, best), clock, RecordTrainConfig(train_config),
                                                  random_state, *bar, *callbacks], monitor, run_dir)
    except (MisconfigurationException, ValueError, TypeError, RuntimeError) as exc:
        raise ConfigError(
            f"--accelerator {train_config.accelerator!r} / --devices {train_config.devices!r} / "
            f"--strategy {train_config.strategy!r} / --num-nodes {train_config.num_nodes}: {exc}"
        ) from None
    with PeakMemory(trainer.strategy.root_device) as memory, step("train"):
        validation = None if getattr(module, "validates_itself", False) else split_loader(dataset, "val", train_config, False)
        trainer.fit(module, train_loader, validation, ckpt_path=resumed_from)
    return TrainedRun(
        trainer, best.best_model_path, float(best.best_model_score) if best.best_model_score is not None else None,
        resumed_from, clock.total(), memory.peak_mib, memory.method,
    )


def fit(
    dataset: MultimodalDataset,
    model_config: ModelConfig,
    train_config: TrainConfig,
    run_dir: str | Path,
    *,
    callbacks: Sequence[L.Callback] = (),
    progress_bar: bool = True,
    resume: bool = True,
    init_weights: str | Path | None = None,
) -> dict[str, Any]:
    """Train, keep the best checkpoint, evaluate it on the test split, measure complexity.

    Writes into ``run_dir``: ``checkpoints/best.ckpt`` (best validation accuracy),
    ``checkpoints/last.ckpt`` (end of the latest epoch, for resuming), ``logs/metrics.csv``,
    ``test_predictions.csv`` and ``result.json`` (written atomically, by process 0 only).
    If ``resume`` and ``checkpoints/last.ckpt`` exists, training continues from it.

    Args:
        dataset: the data set with ``train``, ``val`` and ``test`` splits.
        model_config: what model to build.
        train_config: how to train it.
        run_dir: output folder of this run.
        callbacks: extra Lightning callbacks.
        progress_bar: a progress bar on stderr when it is a terminal (see :func:`train_module`).
        resume: continue from ``last.ckpt`` if present.
        init_weights: a checkpoint of the same architecture (e.g. from
            :func:`polymodal.fission.pretrain.pretrain_autoencoder`) to start from; ignored when resuming.

    Returns:
        The content of ``result.json``: test accuracy and macro-F1, the number of test
        samples evaluated, parameter count, training time (s), peak memory (MiB) and
        inference time per sample (s), epochs run and whether the run was resumed; for
        dynamic fusion also ``routing`` (share of test examples per branch, compute saved); with
        an imputer, ``imputer_r2``. Process 0 of a data-parallel run evaluates (with
        :func:`~polymodal.training.evaluate.evaluate`) and writes; the other processes return ``{}``.
    """
    run_dir = Path(run_dir)
    quiet_lightning()
    L.seed_everything(train_config.seed, workers=True, verbose=False)
    check_robust_training(model_config, train_config)
    layout = RunLayout(run_dir)
    module = ClassificationModule(model_config.to_dict(), **optimization_settings(train_config),
                                  modality_dropout=train_config.modality_dropout,
                                  missing_strategy=train_config.missing_strategy, impute=train_config.impute,
                                  balance=train_config.balance, balance_options=train_config.balance_options,
                                  seed=train_config.seed)
    module.validate_each_epoch(dataset.splits["val"], train_config.batch_size)
    if init_weights is not None:
        _, state = read_checkpoint(init_weights, "model_config")
        try:
            module.model.load_state_dict(state)
        except RuntimeError as exc:
            raise ConfigError(f"init_weights {init_weights}: not the architecture being trained ({str(exc).splitlines()[0]})") from None
    run = train_module(module, dataset, train_config, run_dir, monitor="val_acc", callbacks=callbacks,
                       progress_bar=progress_bar, resume=resume)
    trainer = run.trainer
    if not trainer.is_global_zero:  # process 0 evaluates and writes; the others only trained
        return {}
    device = trainer.strategy.root_device
    model = (load_model(run.best_path) if run.best_path else module.model).to(device)
    if train_config.impute == "after" and model.imputer is not None:
        with step("imputer"):
            result_imputer = fit_imputer_after(model, dataset, train_config, layout)
    with step("test"):
        test = evaluate(model, dataset.splits["test"], device=device)
    result: dict[str, Any] = {
        "dataset": dataset.name,
        "dataset_options": {k: v for k, v in dataset.options.items() if k != "class_names"},
        "modalities": list(dataset.modalities),
        "fusion": model_config.fusion,
        "seed": train_config.seed,
        "test_accuracy": test.accuracy,
        "test_macro_f1": test.macro_f1,
        "test_samples": test.n_samples,
        "best_val_accuracy": run.best_score,
        "epochs": trainer.current_epoch,
        "resumed_from": run.resumed_from,
        "parameters": count_parameters(module.model),
        "train_time_s": run.train_time_s,
        "peak_memory_mib": run.peak_memory_mib,
        "peak_memory_method": run.peak_memory_method,
        "world_size": trainer.world_size,
        "threads": torch.get_num_threads(),  # float sums (last bits) can depend on it: polymodal.threads
        "environment": environment(device),  # so can the versions of the numeric libraries
        "host": host(),  # which machine and boot train_time_s was measured on
        "checkpoint": str(Path(run.best_path)) if run.best_path else None,
        "model_config": model_config.to_dict(),
        "train_config": asdict(train_config),
    }
    result["recipe"] = describe_recipe(result["train_config"], result["model_config"])
    if model.imputer is not None:
        if train_config.impute == "after":
            result["imputer_r2"] = result_imputer
        else:
            from polymodal.robustness.impute import imputer_r2

            result["imputer_r2"] = imputer_r2(model, dataset.splits["val"])
    with step("imbalance"):
        imbalance = imbalance_report(model, dataset, layout, train_config.seed)
    if imbalance:
        result["imbalance"] = imbalance
    with step("inference timing"):
        result["inference_time_per_sample_s"] = inference_time_per_sample(model, dataset.splits["test"], device=device)
    with torch.no_grad():  # what a model reports of its own test pass (dynamic fusion: its routing)
        result.update(model.test_report(lambda: predict_logits(model, dataset.splits["test"])))
    rows = np.stack([test.index.numpy(), test.labels.numpy(), test.preds.numpy()], axis=1)
    atomic_write(layout.predictions,
                 lambda tmp: np.savetxt(tmp, rows, fmt="%d", delimiter=",", header="index,label,prediction", comments=""))
    atomic_write_json(layout.result, result)
    return result


def imbalance_report(model: torch.nn.Module, dataset: MultimodalDataset, layout: RunLayout, seed: int) -> dict[str, Any]:
    """``result.json``'s per-modality imbalance section of a fusion model of two or more modalities
    (:mod:`polymodal.training.imbalance`): each modality's contribution to validation accuracy per
    epoch (also drawn to ``imbalance.png``) and the test accuracy of a linear probe on each encoder.
    ``{}`` for other models."""
    contributions = contributions_per_epoch(layout.metrics_log)
    if not contributions:
        return {}
    plot_contributions(contributions, layout.imbalance_figure, f"{dataset.name}: contribution to validation accuracy")
    return {"contribution_per_epoch": contributions, "linear_probe_accuracy": linear_probe_accuracy(model, dataset, seed)}


def fit_imputer_after(model: torch.nn.Module, dataset: MultimodalDataset, train_config: TrainConfig,
                      layout: RunLayout) -> dict[str, float]:
    """Train the imputer of a trained model on its frozen training embeddings; store it in the best checkpoint.

    Returns:
        The imputer's held-out R^2 on the validation split, ``{"src->tgt": R^2}``.
    """
    from polymodal.robustness.impute import imputer_r2, model_embeddings, train_imputer

    train_imputer(model.imputer, model_embeddings(model, dataset.splits["train"]), seed=train_config.seed)
    if layout.best.is_file():
        ckpt = torch.load(layout.best, map_location="cpu", weights_only=True)
        for k, v in model.imputer.state_dict().items():
            ckpt["state_dict"][f"model.imputer.{k}"] = v.detach().cpu()
        atomic_write(layout.best, lambda tmp: torch.save(ckpt, tmp))
    return imputer_r2(model, dataset.splits["val"])
