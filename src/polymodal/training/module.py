"""The LightningModule that trains any :class:`MultimodalModel` for classification."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from polymodal.catalog import build_model, model_entry
from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.models.build import ModelConfig
from polymodal.models.missing import Presence, random_masks
from polymodal.robustness.impute import imputation_loss
from polymodal.training.balance.base import TrainingRun
from polymodal.training.balance.methods import make_balancer
from polymodal.training.complexity import to_device
from polymodal.training.optimizers import configure_optimization, optimizer_at_epoch
from polymodal.training.epoch_means import EpochMeans
from polymodal.training.imbalance import CONTRIBUTION, CoalitionAccuracy
from polymodal.training.metrics import classification_metrics
from polymodal.training.progress import TrainingProgress


def unique_by_index(index: torch.Tensor, *columns: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Keep one row per sample index, sorted by index.

    Distributed samplers pad the last shard by repeating samples; after gathering the
    predictions of every process, this drops those repeats so each sample counts once.

    Args:
        index: ``(N,)`` sample indices, possibly repeated.
        *columns: ``(N, ...)`` tensors aligned with ``index``.

    Returns:
        ``(unique_index, *columns)`` restricted to the first occurrence of every index.
    """
    order = torch.argsort(index, stable=True)
    sorted_index = index[order]
    keep = torch.ones_like(sorted_index, dtype=torch.bool)
    keep[1:] = sorted_index[1:] != sorted_index[:-1]
    rows = order[keep]
    return (index[rows], *(c[rows] for c in columns))


def validation_metrics(r: dict[str, Any]) -> dict[str, float]:
    """The logged validation metrics ``{val_acc, val_f1, val_loss}`` of a :meth:`ClassificationModule._gather` result."""
    return {"val_acc": r["accuracy"], "val_f1": r["macro_f1"], "val_loss": r["loss"]}


class ClassificationModule(EpochMeans):
    """Cross-entropy training of a model built from a :class:`ModelConfig` dict.

    Validation predictions are collected with their sample indices, gathered from every
    process and de-duplicated, so metrics are computed over each sample exactly once whatever
    the number of processes. The test split is scored by :func:`polymodal.training.evaluate.evaluate`.

    Args:
        model_config: :meth:`ModelConfig.to_dict` output (stored in the checkpoint).
        lr: learning rate.
        weight_decay: weight decay.
        optimizer, momentum, lr_schedule, epochs, balance, balance_options: see :class:`~polymodal.training.config.TrainConfig`.
        seed: seed of a balancing method's own randomness.
        modality_dropout: probability that a modality is dropped from a training example
            (see :func:`~polymodal.models.missing.random_masks`).
        missing_strategy: how dropped modalities are filled in training.
        impute: ``"joint"`` adds the imputer's loss on detached embeddings to every step.
    """

    def __init__(self, model_config: dict[str, Any], lr: float = 1e-3, weight_decay: float = 0.0,
                 modality_dropout: float = 0.0, missing_strategy: str = "zero", impute: str | None = None,
                 optimizer: str = "adam", momentum: float = 0.9, lr_schedule: str = "constant", epochs: int | None = None,
                 balance: str = "none",
                 balance_options: dict[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.config = ModelConfig.from_dict(model_config)
        self.model = build_model(self.config)
        #: each modality's contribution to validation accuracy (fusion models of two or more modalities)
        self._coalitions = (CoalitionAccuracy(self.model.modalities)
                            if model_entry(self.config.fusion).family in ("fusion", "routed") and len(self.model.modalities) > 1
                            else None)
        #: the balancing method (:mod:`polymodal.training.balance`); ``None`` for plain joint training
        self.balancer = make_balancer(balance, dict(balance_options or {}), self.model, self.config.fusion,
                                      self.config.num_classes, seed)
        self._collected: dict[str, list[tuple[torch.Tensor, ...]]] = {"val": []}
        self._validation: tuple[MultimodalSplit, int] | None = None
        self._validation_loader: DataLoader | None = None  # made on first use

    def validate_each_epoch(self, split: MultimodalSplit, batch_size: int) -> None:
        """Validate on ``split`` at the end of every training epoch inside this module, instead of
        through Lightning's validation loop (whose per-batch bookkeeping costs more than a small
        model's validation). Every process validates the whole split, so nothing is gathered;
        the metrics are those of :meth:`on_validation_epoch_end`, logged before early stopping and
        the checkpoints look at them."""
        self._validation, self._validation_loader = (split, batch_size), None

    @property
    def validates_itself(self) -> bool:
        """Whether :meth:`validate_each_epoch` was called (then train without a validation loader)."""
        return self._validation is not None

    def random_generators(self) -> dict[str, torch.Generator]:
        """The generators of the balancing method, if any (see :class:`~polymodal.training.random_state.RandomStateCheckpoint`)."""
        return self.balancer.random_generators() if self.balancer is not None else {}

    def on_train_epoch_start(self) -> None:
        self.model.start_epoch(self.current_epoch)  # e.g. dynamic fusion's penalty warm-up
        if self.balancer is not None:
            epoch = self.current_epoch
            run = TrainingRun(self.trainer.train_dataloader,
                              lambda parameters: optimizer_at_epoch(self.hparams, parameters, epoch),
                              self.trainer.gradient_clip_val, self.device, self._report)
            self.balancer.before_epoch(self.model, epoch, run)

    def _report(self, text: str) -> None:
        """Show ``text`` on the run's progress bar, if it has one."""
        for callback in self.trainer.callbacks:
            if isinstance(callback, TrainingProgress):
                callback.note(self.trainer, text)

    def on_train_epoch_end(self) -> None:
        metrics = self.epoch_means()  # the training losses
        if self.balancer is not None:
            self.balancer.finish_epoch(self.current_epoch)
            metrics.update(self.balancer.epoch_metrics())
        if self._validation is None:
            self.log_epoch(metrics)
            return
        if self._validation_loader is None:
            # a generator of its own: an iterator made without one draws its seed from the global
            # generator, and the training's dropout and shuffling would change
            self._validation_loader = batch_loader(*self._validation, generator=torch.Generator())
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            for batch in self._validation_loader:
                self._collect("val", to_device(batch, self.device))
        self.model.train(was_training)
        metrics.update(validation_metrics(self._gather("val", across_processes=False)))
        metrics.update(self._contributions())
        self.log_epoch(metrics, monitor=("val_acc",))

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """``{m: (B, *shape_m)} -> (B, num_classes)`` logits."""
        return self.model(inputs)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        inputs, n = batch["inputs"], len(batch["label"])
        if self.balancer is not None:
            embeddings = self.model.encode(inputs)
            logits = self.model.head(self.model.fuse(embeddings))
        elif self.hparams.modality_dropout > 0:
            masks = random_masks(self.model.modalities, n, self.hparams.modality_dropout, device=self.device)
            logits = self.model(inputs, Presence(self.hparams.missing_strategy, masks))
        else:
            logits = self.model(inputs)
        loss = F.cross_entropy(logits, batch["label"])
        self.accumulate("train_loss", loss, n)
        if self.balancer is not None:
            loss = self.balancer.training_loss(self.model, inputs, embeddings, logits, batch["label"], loss,
                                               self.current_epoch, batch.get("index"))
        if self.hparams.impute == "joint":
            with torch.no_grad():
                targets = {m: e.flatten(1) for m, e in self.model.encode(inputs).items()}
            imputation = imputation_loss(self.model.imputer, targets)
            self.accumulate("train_imputer_loss", imputation, n)
            loss = loss + imputation
        extra = self.model.auxiliary_loss()
        if extra is not None:  # e.g. dynamic fusion's resource penalty, weighted like the fused loss
            self.accumulate("train_aux_loss", extra, n)
            loss = loss + (extra if self.balancer is None else self.balancer.fused_weight * extra)
        return loss

    def on_after_backward(self) -> None:
        if self.balancer is not None:
            self.balancer.after_backward(self.model, self.current_epoch)

    def _collect(self, stage: str, batch: dict) -> None:
        if self._coalitions is not None:
            logits, embeddings = self.model.forward_with_embeddings(batch["inputs"])
            full = logits if self.model.fuses_all_embeddings else None
            self._coalitions.add(self.model, embeddings, batch["label"], full)
        else:
            logits = self.model(batch["inputs"])
        loss = F.cross_entropy(logits, batch["label"], reduction="none")
        index = torch.as_tensor(batch["index"], device=logits.device)
        self._collected[stage].append((index, logits.argmax(-1), batch["label"], loss.detach()))

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._collect("val", batch)

    def _gather(self, stage: str, across_processes: bool = True) -> dict[str, Any]:
        parts = self._collected[stage]
        self._collected[stage] = []
        cols = [torch.cat(c) for c in zip(*parts)] if parts else [torch.empty(0, device=self.device)] * 4
        if across_processes and self.trainer.world_size > 1:
            cols = [self.all_gather(c).flatten(0, 1) for c in cols]
        n_gathered = len(cols[0])
        index, preds, labels, loss = unique_by_index(*cols)
        result: dict[str, Any] = classification_metrics(preds.cpu(), labels.cpu(), self.config.num_classes)
        result.update(
            loss=float(loss.mean()), n_samples=len(index), n_gathered=n_gathered,
            index=index.cpu(), preds=preds.cpu(), labels=labels.cpu(),
        )
        return result

    def on_validation_epoch_end(self) -> None:
        self._log_validation(self._gather("val"))

    def _log_validation(self, r: dict[str, Any]) -> None:
        for name, value in {**validation_metrics(r), **self._contributions()}.items():
            self.log(name, value, sync_dist=True)

    def _contributions(self) -> dict[str, float]:
        """``{contribution_m: Shapley value of validation accuracy}`` of the batches collected
        (:mod:`polymodal.training.imbalance`); ``{}`` for a model without them."""
        if self._coalitions is None:
            return {}
        return {f"{CONTRIBUTION}{m}": v for m, v in self._coalitions.contributions().items()}

    def configure_optimizers(self) -> Any:
        return configure_optimization(self.hparams, self.parameters())
