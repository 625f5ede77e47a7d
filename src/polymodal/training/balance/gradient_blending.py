"""Gradient Blending (Wang, Tran and Feiszli, "What Makes Training Multi-modal Classification
Networks Hard?", CVPR 2020), online: the loss weights are re-estimated every super-epoch.

The model has one head per modality beside the fused head; training minimises
``sum_k w_k L_k`` over the heads ``k``. At the start of every super-epoch of ``n`` epochs the
weights are estimated as the paper's GB-Estimate does: from the current model, each unimodal
network (modality m's encoder and its head) and the multimodal network train on their own, as
copies, for ``n`` epochs; each copy's mean losses on the training examples (``L^T``) and on a
held-out share of them (``L^V``), before (``N``) and after (``N + n``), give

    G_k = L^V_N - L^V_{N+n}                                  (generalisation gain)
    O_k = (L^V_{N+n} - L^T_{N+n}) - (L^V_N - L^T_N)          (change in overfitting)
    w_k = (|G_k| / O_k^2) / sum_j (|G_j| / O_j^2)

The copies are then dropped, and the model trains the super-epoch with these weights. ``|G_k|``
as in MultiBench's and BalanceBenchmark's implementations (the paper's ``G`` is positive when the
held-out loss falls); if every ``G_k`` is 0 the weights are uniform.

One safeguard the references lack: ``O_k^2`` is floored at the variance of its own estimate,
``se(O_k)^2``, the sum of the four means' squared standard errors (and at 1e-8). An ``O_k`` within
its measurement noise of 0 says no more than "no overfitting seen", yet ``1 / O_k^2`` gave that
head nearly all the weight: on mfeat, one view's ``O = 5e-5`` (its standard error was about 0.03)
left the fused head a weight of 1e-7, and low-rank fusion at chance on one seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from polymodal.data.loader import loader_like
from polymodal.errors import ConfigError
from polymodal.training.balance.alone import FusedNetwork, HeldOut, UnimodalNetwork, separate_randomness, train_epoch
from polymodal.training.balance.base import Balancer, TrainingRun, evaluating
from polymodal.training.balance.unimodal_heads import UnimodalHeads
from polymodal.training.complexity import to_device

EPS = 1e-8


@dataclass(frozen=True)
class HeadLosses:
    """One network's mean losses at the start (``N``) and the end (``N + n``) of its estimation,
    and ``noise``: the standard error of :attr:`overfitting` (0 when unknown)."""

    train_start: float
    train_end: float
    val_start: float
    val_end: float
    noise: float = 0.0

    @property
    def gain(self) -> float:
        """``G = L^V_N - L^V_{N+n}``."""
        return self.val_start - self.val_end

    @property
    def overfitting(self) -> float:
        """``O = (L^V_{N+n} - L^T_{N+n}) - (L^V_N - L^T_N)``."""
        return (self.val_end - self.train_end) - (self.val_start - self.train_start)


def blend_weights(losses: Mapping[str, HeadLosses]) -> dict[str, float]:
    """``{head: w_k}``, summing to 1 (see the module's docstring)."""
    if not losses:
        raise ValueError("losses: at least one head is needed")
    raw = {k: abs(h.gain) / max(h.overfitting ** 2, h.noise ** 2, EPS) for k, h in losses.items()}
    total = sum(raw.values())
    if total <= 0.0:
        return {k: 1.0 / len(raw) for k in raw}
    return {k: v / total for k, v in raw.items()}


@dataclass(frozen=True)
class MeanLosses:
    """Mean losses over the examples kept for training (``train``) and the held-out ones (``val``),
    with their standard errors (the sample standard deviation over sqrt(count))."""

    train: float
    val: float
    train_se: float
    val_se: float


def mean_losses(network: nn.Module, batches: Iterable[dict], held_out: HeldOut, device: torch.device) -> MeanLosses:
    """The network's cross-entropy over the kept and the held-out examples, in eval mode.

    Raises:
        ConfigError: either part has fewer than two examples.
    """
    parts: tuple[list[torch.Tensor], list[torch.Tensor]] = ([], [])
    with evaluating(network):
        for batch in batches:
            batch = to_device(batch, device)
            loss = F.cross_entropy(network(batch["inputs"]), batch["label"], reduction="none").double().cpu()
            held = held_out(torch.as_tensor(batch["index"])).cpu()
            parts[0].append(loss[~held])
            parts[1].append(loss[held])
    kept, out = torch.cat(parts[0]), torch.cat(parts[1])
    if len(kept) < 2 or len(out) < 2:
        raise ConfigError(f"--balance gblend: {len(kept)} training examples kept and {len(out)} held out; both need "
                          "at least 2: give more training examples or another --balance-option holdout")
    return MeanLosses(float(kept.mean()), float(out.mean()), float(kept.std() / len(kept) ** 0.5),
                      float(out.std() / len(out) ** 0.5))


def estimate(networks: Mapping[str, nn.Module], epochs: int, run: TrainingRun, held_out: HeldOut,
             seed: int) -> dict[str, HeadLosses]:
    """GB-Estimate: ``{k: HeadLosses}`` of each network trained alone for ``epochs`` epochs.

    Every network trains on the same batches (the training loader's samples, shuffled and
    augmented with generators seeded by ``seed``), with an optimizer of the run's kind at its
    current learning rate and the run's gradient clipping; its losses are measured in eval mode,
    without augmentation, before and after. The networks are changed (pass copies).
    """
    measure = loader_like(run.loader, shuffle=False, augment=False)
    losses = {}
    for k, network in networks.items():
        start = mean_losses(network, measure, held_out, run.device)
        optimizer = run.make_optimizer(network.parameters())
        batches = loader_like(run.loader, shuffle=True, generator=torch.Generator().manual_seed(seed),
                              transform_seed=seed + 1)
        for epoch in range(epochs):
            run.report(f"Gradient Blending: {k} alone, epoch {epoch + 1}/{epochs}")
            train_epoch(network, batches, held_out, optimizer, run.grad_clip, run.device)
        end = mean_losses(network, measure, held_out, run.device)
        noise = (start.train_se ** 2 + start.val_se ** 2 + end.train_se ** 2 + end.val_se ** 2) ** 0.5
        losses[k] = HeadLosses(start.train, end.train, start.val, end.val, noise)
    return losses


class GradientBlendingBalancer(Balancer):
    """Online Gradient Blending in training (see the module's docstring).

    A linear unimodal head per modality beside the fused head; the loss is ``sum_k w_k L_k`` over
    the heads. A fixed ``holdout`` share of the training examples (chosen by their index and
    ``seed``) is never trained on, by the model or by the copies of the estimation: it is the
    held-out set of ``L^V``. The weights are uniform until the first estimation, at the start of
    epoch 0, and re-estimated at the start of every super-epoch.

    Args:
        model, num_classes: size the heads.
        super_epoch: epochs per super-epoch, and epochs each copy trains in an estimation (>= 1;
            10 as in BalanceBenchmark).
        holdout: share of training examples held out, in (0, 0.5].
        seed: which examples are held out, and the estimation's shuffling, augmentation and dropout.
    """

    def __init__(self, model: nn.Module, num_classes: int, super_epoch: int = 10, holdout: float = 0.1,
                 seed: int = 0) -> None:
        super().__init__()
        self.heads = UnimodalHeads.for_model(model, num_classes)
        self.super_epoch, self.holdout, self.seed = super_epoch, holdout, seed
        names = [*self.heads.heads, "fused"]
        self.weights: dict[str, float] = {k: 1.0 / len(names) for k in names}

    @property
    def fused_weight(self) -> float:
        """``w_fused``: the fused head's current weight."""
        return self.weights["fused"]

    def held_out(self, index: torch.Tensor) -> torch.Tensor:
        """``(B,) -> (B,) bool``: whether each example is held out (a fixed hash of its index)."""
        mixed = (index.long() * 2654435761 + self.seed * 40503) % 4294967296
        return (mixed % 10007).float() < self.holdout * 10007

    def networks(self, model: nn.Module) -> dict[str, nn.Module]:
        """Copies of each unimodal network (encoder and head) and of the multimodal one, to estimate on."""
        copies: dict[str, nn.Module] = {m: UnimodalNetwork(m, copy.deepcopy(model.encoders[m]), copy.deepcopy(head))
                                        for m, head in self.heads.heads.items()}
        copies["fused"] = FusedNetwork(copy.deepcopy(model))
        return copies

    def before_epoch(self, model: nn.Module, epoch: int, run: TrainingRun) -> None:
        if epoch % self.super_epoch:
            return
        seed = self.seed * 100003 + epoch
        with separate_randomness(seed, run.device):  # the copies' dropout
            losses = estimate(self.networks(model), self.super_epoch, run, self.held_out, seed)
        self.weights = blend_weights(losses)
        for k, h in losses.items():
            self.record(f"gain_{k}", h.gain)
            self.record(f"overfitting_{k}", h.overfitting)

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        if index is None:
            raise ValueError("index: Gradient Blending needs the examples' indices to hold some out")
        kept = ~self.held_out(torch.as_tensor(index, device=labels.device))
        total = 0.0 * logits.sum()  # a batch of held-out examples only: no loss, and a graph to step on
        if not kept.any():
            return total
        for k, out in {**self.heads(embeddings), "fused": logits}.items():
            total = total + self.weights[k] * F.cross_entropy(out[kept], labels[kept])
        return total

    def get_extra_state(self) -> dict[str, Any]:
        """The current weights, saved in checkpoints with the heads: a run resumed inside a
        super-epoch trains on with the weights the uninterrupted one had."""
        return {"weights": dict(self.weights)}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.weights = dict(state["weights"])

    def finish_epoch(self, epoch: int) -> None:
        for k, w in self.weights.items():
            self.record(f"weight_{k}", w)
