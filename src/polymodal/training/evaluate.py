"""One evaluation for every caller: training's test score, the bench, interactions and robustness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from polymodal.data.dataset import MultimodalSplit
from polymodal.data.loader import batch_loader
from polymodal.models.missing import Missing
from polymodal.training.metrics import classification_metrics


class InputTransform(Protocol):
    """Changes a batch's inputs, e.g. a perturbation (:class:`polymodal.robustness.Corruptor`)."""

    def __call__(self, split: MultimodalSplit, batch: dict[str, Any], generator: torch.Generator) -> dict[str, torch.Tensor]:
        """``{m: (B, *shape_m)}`` for the batch ``{"inputs", "label", "index"}`` of ``split``."""


@dataclass
class Evaluation:
    """The predictions of a model on one split and their scores.

    Attributes:
        accuracy: share of correct predictions.
        macro_f1: unweighted mean of the per-class F1 scores.
        n_samples: samples evaluated.
        index, labels, preds: ``(N,)`` sample positions in the split, true and predicted classes.
        logits: ``(N, num_classes)``.
    """

    accuracy: float
    macro_f1: float
    n_samples: int
    index: torch.Tensor
    labels: torch.Tensor
    preds: torch.Tensor
    logits: torch.Tensor


@torch.inference_mode()
def evaluate(model: torch.nn.Module, split: MultimodalSplit, *, perturb: InputTransform | None = None,
             missing: Missing | None = None, batch_size: int = 256, seed: int = 0,
             device: torch.device | str | None = None) -> Evaluation:
    """Predict every sample of ``split`` with ``model`` in eval mode and score the predictions.

    Args:
        model: a :class:`~polymodal.models.multimodal.MultimodalModel`.
        split: the samples, in order.
        perturb: changes each batch's inputs first (a perturbation at some level).
        missing: modalities removed from every example and the strategy that fills them.
        batch_size: samples per forward pass (the scores do not depend on it).
        seed: seed of the perturbations' random generator, so an evaluation is reproducible.
        device: where to run (default: where the model's weights are).

    Returns:
        An :class:`Evaluation`.
    """
    was_training = model.training
    model.eval()
    device = torch.device(device) if device is not None else next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    reads = list(getattr(model, "modalities", split.inputs))
    parts = []
    for batch in batch_loader(split, batch_size):
        inputs = perturb(split, batch, generator) if perturb is not None else batch["inputs"]
        inputs = {m: x.to(device) for m, x in inputs.items() if m in reads}
        if missing is not None:
            inputs, presence = missing.apply(inputs)
            logits = model(inputs, presence)
        else:
            logits = model(inputs)
        parts.append(logits.float().cpu())
    model.train(was_training)
    logits = torch.cat(parts) if parts else torch.empty(0, 0)
    preds, labels = logits.argmax(-1), split.labels
    num_classes = logits.shape[1] if logits.dim() == 2 else 0
    metrics = classification_metrics(preds, labels, max(num_classes, int(labels.max()) + 1 if len(labels) else 1))
    return Evaluation(metrics["accuracy"], metrics["macro_f1"], len(labels), torch.arange(len(labels)), labels, preds, logits)
