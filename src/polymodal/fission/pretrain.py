"""Pretraining by reconstruction: train a model's reconstruction term alone, without labels.

The multimodal autoencoder (and the factorized model) can be pretrained on unlabelled pairs,
then fine-tuned with labels from the pretrained weights (``fit(..., init_weights=checkpoint)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

from polymodal.data.dataset import MultimodalDataset
from polymodal.errors import ConfigError
from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.training.epoch_means import EpochMeans
from polymodal.training.optimizers import configure_optimization, optimization_settings
from polymodal.training.pipeline import TrainConfig, quiet_lightning, train_module


class ReconstructionModule(EpochMeans):
    """Minimises ``model.reconstruction_loss(inputs)``; logs ``val_score`` = minus the validation loss.

    Args:
        model_config: :meth:`ModelConfig.to_dict` of a model with a ``reconstruction_loss`` method
            (the ``autoencoder`` fission model); stored in the checkpoint, so ``load_model`` reads it.
        lr, weight_decay, optimizer, momentum, lr_schedule, epochs: the optimizer and its schedule (:class:`~polymodal.training.config.TrainConfig`).
    """

    def __init__(self, model_config: dict[str, Any], lr: float = 1e-3, weight_decay: float = 0.0,
                 optimizer: str = "adam", momentum: float = 0.9, lr_schedule: str = "constant", epochs: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = build_model(ModelConfig.from_dict(model_config))
        if not hasattr(self.model, "reconstruction_loss"):
            raise ConfigError(f"fusion {model_config['fusion']!r} has no reconstruction to pretrain; use 'autoencoder'")
        self._val: list[tuple[torch.Tensor, int]] = []  # (summed loss, examples) per validation batch

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.model.reconstruction_loss(batch["inputs"])
        self.accumulate("train_reconstruction", loss, len(batch["label"]))
        return loss

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        n = len(batch["label"])
        self._val.append((self.model.reconstruction_loss(batch["inputs"]).detach() * n, n))

    def on_validation_epoch_end(self) -> None:
        parts, self._val = self._val, []
        total = torch.stack([loss for loss, _ in parts]).sum()
        self.log("val_score", -total / sum(n for _, n in parts), sync_dist=True)

    def configure_optimizers(self) -> Any:
        return configure_optimization(self.hparams, self.parameters())


def pretrain_autoencoder(dataset: MultimodalDataset, model_config: ModelConfig, train_config: TrainConfig,
                         run_dir: str | Path, progress_bar: bool = True, resume: bool = True) -> Path:
    """Train the reconstruction of every modality from the fused code, no labels; returns the best checkpoint.

    Checkpoints, resume and early stopping (on the validation reconstruction error) are the
    training pipeline's (:func:`~polymodal.training.pipeline.train_module`).
    """
    quiet_lightning()
    L.seed_everything(train_config.seed, workers=True, verbose=False)
    module = ReconstructionModule(model_config.to_dict(), **optimization_settings(train_config))
    run = train_module(module, dataset, train_config, run_dir, monitor="val_score", progress_bar=progress_bar, resume=resume)
    return Path(run.best_path)
