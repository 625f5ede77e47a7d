"""The LightningModule that trains a coordinated model: Deep CCA, DCCAE or contrastive."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from polymodal.coordination.config import CoordinationConfig, build_coordinated_model
from polymodal.coordination.contrastive import infonce_terms, max_margin_terms
from polymodal.coordination.deep_cca_loss import deep_cca_terms
from polymodal.coordination.gather import gather_with_local_grad, world
from polymodal.coordination.similarity import make_similarity
from polymodal.training.epoch_means import EpochMeans
from polymodal.training.optimizers import configure_optimization
from polymodal.training.module import unique_by_index


def coordination_terms(config: CoordinationConfig, model: torch.nn.Module, inputs: dict[str, Tensor],
                       gather: bool = True) -> dict[str, Tensor]:
    """The training objective of ``config.method`` on one batch, with its parts.

    * ``dcca``: ``-corr(z_a, z_b)`` (:func:`deep_cca_terms`);
    * ``dccae``: ``-corr(z_a, z_b) + lambda * (MSE(x_a, p(z_a)) + MSE(x_b, q(z_b)))`` (Wang et al. 2015);
    * ``contrastive``: InfoNCE with the model's temperature, or the max-margin ranking loss.

    The correlation and contrastive terms see the batch of every process
    (:func:`gather_with_local_grad`) when ``gather``; ``"pair_loss"`` is that term alone.

    Returns:
        ``{"loss", "pair_loss", ...}``: ``"correlation"`` for Deep CCA, ``"reconstruction"`` for
        DCCAE, ``"logit_scale"`` for InfoNCE.
    """
    a, b = config.names
    z = model(inputs)
    za, zb = (gather_with_local_grad(z[a]), gather_with_local_grad(z[b])) if gather else (z[a], z[b])
    if config.method in ("dcca", "dccae"):
        terms = deep_cca_terms(za, zb, config.k, config.r1, config.r2)
        out = {"pair_loss": terms["loss"], "correlation": terms["correlation"]}
    else:
        sim = make_similarity(config.similarity, **config.similarity_options)
        if config.objective == "infonce":
            scale = model.logit_scale()
            out = {"pair_loss": infonce_terms(za, zb, scale, sim)["loss"], "logit_scale": scale.detach()}
        else:
            out = {"pair_loss": max_margin_terms(za, zb, config.margin, sim)["loss"]}
    out["loss"] = out["pair_loss"]
    if config.method == "dccae":
        rec = model.reconstruct(z)
        out["reconstruction"] = sum(F.mse_loss(rec[m], inputs[m]) for m in (a, b))
        out["loss"] = out["loss"] + config.reconstruction_weight * out["reconstruction"]
    return out


class CoordinationModule(EpochMeans):
    """Trains a :class:`~polymodal.coordination.towers.TwoTowerModel` built from a config dict.

    Under data parallelism, the pairwise term uses the gathered batch of all processes and is
    back-propagated as ``W * term`` (``W`` processes), so that the averaged parameter gradient
    equals the gradient of the full batch (see :func:`gather_with_local_grad`).

    Validation embeds the whole validation split (gathered and de-duplicated across processes)
    and logs ``val_score``, higher is better and label-free: the Deep CCA correlation of the
    split for ``dcca``/``dccae``, minus the mean pairwise loss over consecutive batches for
    ``contrastive``.

    Args:
        coordination_config: :meth:`CoordinationConfig.to_dict` output (stored in the checkpoint).
        lr: learning rate.
        weight_decay: weight decay.
        optimizer, momentum, lr_schedule, epochs: see :class:`~polymodal.training.config.TrainConfig`.
        batch_size: the batch size of the validation chunks for contrastive methods.
    """

    def __init__(self, coordination_config: dict[str, Any], lr: float = 1e-3, weight_decay: float = 0.0, batch_size: int = 64,
                 optimizer: str = "adam", momentum: float = 0.9, lr_schedule: str = "constant", epochs: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.config = CoordinationConfig.from_dict(coordination_config)
        self.model = build_coordinated_model(self.config)
        self._val: list[tuple[Tensor, Tensor, Tensor]] = []

    def forward(self, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """``{m: (B, *shape_m)} -> {m: (B, out_dim)}``."""
        return self.model(inputs)

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        terms = coordination_terms(self.config, self.model, batch["inputs"])
        n = len(batch["label"])
        for key, value in terms.items():
            self.accumulate(f"train_{key}", value, n)
        _, size = world()
        return terms["loss"] + (size - 1) * terms["pair_loss"]  # W * pair term + the local terms

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        z = self.model(batch["inputs"])
        a, b = self.config.names
        self._val.append((torch.as_tensor(batch["index"], device=self.device), z[a].detach(), z[b].detach()))

    def on_validation_epoch_end(self) -> None:
        parts, self._val = self._val, []
        if not parts:
            return
        index, za, zb = (torch.cat(c) for c in zip(*parts))
        if self.trainer.world_size > 1:
            index, za, zb = (self.all_gather(c).flatten(0, 1) for c in (index, za, zb))
        _, za, zb = unique_by_index(index, za, zb)
        self.log("val_score", validation_score(self.config, self.model, za, zb, self.hparams.batch_size), sync_dist=True)

    def configure_optimizers(self) -> Any:
        return configure_optimization(self.hparams, self.parameters())


@torch.no_grad()
def validation_score(config: CoordinationConfig, model: torch.nn.Module, za: Tensor, zb: Tensor, batch_size: int) -> float:
    """Label-free model-selection score of paired embeddings ``(N, o)`` (higher is better).

    Deep CCA: the correlation of the whole split (top ``k`` or all singular values). Contrastive:
    minus the pairwise loss averaged over consecutive chunks of ``batch_size`` pairs.
    """
    if config.method in ("dcca", "dccae"):
        return float(deep_cca_terms(za, zb, config.k, config.r1, config.r2)["correlation"])
    sim = make_similarity(config.similarity, **config.similarity_options)
    losses = []
    for lo in range(0, len(za) - 1, batch_size):
        ca, cb = za[lo : lo + batch_size], zb[lo : lo + batch_size]
        if len(ca) < 2:
            continue
        if config.objective == "infonce":
            losses.append(float(infonce_terms(ca, cb, model.logit_scale(), sim)["loss"]))
        else:
            losses.append(float(max_margin_terms(ca, cb, config.margin, sim)["loss"]))
    return -sum(losses) / len(losses)
