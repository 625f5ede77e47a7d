"""OGM-GE's gradient coefficients (Peng, Wei, Deng, Wang and Hu, "Balanced Multimodal Learning via
On-the-fly Gradient Modulation", CVPR 2022).

A model with a decomposable head (concatenation, sum, late fusion) splits its logits into one
part per modality, ``logits = sum_m out_m``. Per batch, modality m scores
``s_m = sum_i softmax(out_m,i)[y_i]``; its discrepancy ratio is ``rho_m = s_m / mean_{n != m} s_n``
(for two modalities, ``s_v / s_a`` and its inverse, as in the paper). The dominant modality
(``rho_m > 1``) has its encoder's gradients scaled by ``k_m = 1 - tanh(alpha * rho_m)``; the others
keep ``k_m = 1``. Generalisation enhancement (GE) then adds Gaussian noise to every modality's
encoder gradients, ``g~ = k_m g + h, h ~ N(0, std(g)^2)``, with the spread of the gradient before
modulation (the paper's noise has the covariance of SGD's own gradient noise). The authors' code and
BalanceBenchmark's add it so, to every modality, within the modulation window.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from polymodal.training.balance.base import Balancer, encoder_weights, evaluating


def modality_scores(outputs: Mapping[str, torch.Tensor], labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """``s_m = sum_i softmax(out_m,i)[y_i]``.

    Args:
        outputs: ``{m: (B, C)}`` each modality's part of the logits.
        labels: ``(B,)`` class indices.

    Returns:
        ``{m: scalar tensor}``.
    """
    return {m: torch.softmax(o.detach(), dim=1).gather(1, labels[:, None]).sum() for m, o in outputs.items()}


def discrepancy_ratios(scores: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    """``rho_m = s_m / mean_{n != m} s_n`` (at least two modalities)."""
    values = {m: float(s) for m, s in scores.items()}
    if len(values) < 2:
        raise ValueError(f"scores: a ratio between modalities needs at least two, got {list(values)}")
    out = {}
    for m, s in values.items():
        others = [v for n, v in values.items() if n != m]
        out[m] = s / max(sum(others) / len(others), 1e-12)
    return out


def ogm_coefficients(scores: Mapping[str, torch.Tensor | float], alpha: float) -> dict[str, float]:
    """``k_m = 1 - tanh(alpha * rho_m)`` where ``rho_m > 1`` (the dominant modality), else 1.

    Args:
        scores: ``{m: s_m}`` from :func:`modality_scores`.
        alpha: modulation strength, > 0.

    Returns:
        ``{m: k_m}`` in ``(0, 1]``.
    """
    if not alpha > 0:
        raise ValueError(f"alpha: {alpha!r} must be positive")
    return {m: 1.0 - float(torch.tanh(torch.tensor(alpha * r))) if r > 1 else 1.0
            for m, r in discrepancy_ratios(scores).items()}


def modulate_(parameters: list[torch.nn.Parameter], coefficient: float, noise: bool,
              generator: torch.Generator | None = None) -> None:
    """``g <- coefficient * g + h`` in place for each gradient ``g`` of ``parameters``, where with
    ``noise`` (GE) ``h ~ N(0, std(g)^2)``, ``std`` taken over the gradient tensor before it is
    scaled, and otherwise ``h = 0``."""
    for p in parameters:
        if p.grad is None:
            continue
        std = float(p.grad.std()) if noise and p.grad.numel() > 1 else 0.0
        p.grad.mul_(coefficient)
        if std > 0:
            p.grad.add_(torch.randn(p.grad.shape, generator=generator, dtype=p.grad.dtype).to(p.grad.device) * std)


class OGMBalancer(Balancer):
    """OGM-GE in training (see the module's docstring), for fusions whose prediction splits by
    modality (:attr:`~polymodal.fusion.base.Fusion.decomposable`: early, late, additive).

    Args:
        modalities: the model's modalities (at least two).
        alpha: modulation strength > 0 (0.3 in BalanceBenchmark; 0.1-0.8 in the paper).
        noise: add the GE noise.
        start_epoch, end_epoch: modulate in epochs ``start_epoch <= e < end_epoch`` (``None``: to the end).
        seed: seed of the GE noise.
    """

    def __init__(self, modalities: list[str], alpha: float = 0.3, noise: bool = True, start_epoch: int = 0,
                 end_epoch: int | None = None, seed: int = 0) -> None:
        super().__init__()
        self.modalities, self.alpha, self.noise = list(modalities), alpha, noise
        self.start_epoch, self.end_epoch = start_epoch, end_epoch
        self._generator = torch.Generator().manual_seed(seed)
        self._coefficients: dict[str, float] = {m: 1.0 for m in self.modalities}

    def training_loss(self, model: nn.Module, inputs: dict[str, torch.Tensor], embeddings: dict[str, torch.Tensor],
                      logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor, epoch: int,
                      index: torch.Tensor | None = None) -> torch.Tensor:
        with evaluating(model.fusion, model.head):
            parts = model.fusion.logit_parts({m: e.detach() for m, e in embeddings.items()}, model.head)
        scores = modality_scores(parts, labels)
        self._coefficients = ogm_coefficients(scores, self.alpha)
        for m in self.modalities:
            self.record(f"coef_{m}", self._coefficients[m])
            self.record(f"score_{m}", float(scores[m]) / len(labels))
        return loss

    def random_generators(self) -> dict[str, torch.Generator]:
        return {"ogm_noise": self._generator}

    def after_backward(self, model: nn.Module, epoch: int) -> None:
        if epoch < self.start_epoch or (self.end_epoch is not None and epoch >= self.end_epoch):
            return
        for m in self.modalities:  # the dominant modality is damped; GE's noise goes to every one
            k = self._coefficients[m]
            if k < 1.0 or self.noise:
                modulate_(encoder_weights(model, m), k, self.noise, self._generator)
