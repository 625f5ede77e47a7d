"""Pointwise V-information (Ethayarajh, Choi and Swayamdipta, ICML 2022), the score of HighMMT's transfer.

For a predictive family V, a model f of V trained on X and the null model g of V trained on
empty input,

    PVI(x_i -> y_i) = -log2 g(y_i) + log2 f(y_i | x_i),      I_V(X -> Y) = mean_i PVI(x_i -> y_i)

in bits. A model that ignores its input scores 0; a perfect predictor (f(y_i | x_i) = 1) scores
the cross-entropy of the labels under the null model, which is H(Y) when the null model is the
labels' own distribution.

The null model of any classifier family with a bias is the constant that minimises the
training cross-entropy: the training labels' frequencies. :func:`null_log_probs` gives it in
closed form instead of training a network on empty input, as HighMMT does, to the same end.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from polymodal.checks import class_labels, positive_int
from polymodal.errors import ConfigError, ShapeError


def null_log_probs(train_labels: Tensor, num_classes: int, smoothing: float = 0.5) -> Tensor:
    """Natural-log class probabilities of the null model: ``(num_classes,)``.

    ``log((n_c + smoothing) / (N + smoothing * C))``: the training frequencies, with add-``smoothing``
    (Jeffreys' 0.5 by default) so a class absent from training has a finite log-probability.

    Args:
        train_labels: ``(N,)`` training labels in ``[0, num_classes)``.
        num_classes: number of classes C.
        smoothing: pseudo-count per class, >= 0.

    Raises:
        ConfigError: labels out of range, no labels, or a negative smoothing.
    """
    num_classes = positive_int(num_classes, "num_classes")
    labels = torch.as_tensor(class_labels(train_labels, "train_labels", num_classes))
    if len(labels) == 0 and smoothing == 0:
        raise ConfigError("train_labels is empty: the null model needs training labels (or smoothing > 0)")
    if not smoothing >= 0:
        raise ConfigError(f"smoothing must be >= 0, got {smoothing!r}")
    counts = torch.bincount(labels, minlength=num_classes).double() + smoothing
    return (counts / counts.sum()).log()


def pointwise_v_information(log_probs: Tensor, labels: Tensor, null: Tensor) -> Tensor:
    """``PVI(x_i -> y_i) = (log f(y_i | x_i) - log g(y_i)) / log 2`` per sample, in bits: ``(N,)``.

    Args:
        log_probs: ``(N, C)`` natural-log class probabilities of the model (``log_softmax`` of its logits).
        labels: ``(N,)`` true labels in ``[0, C)``.
        null: ``(C,)`` natural-log class probabilities of the null model (:func:`null_log_probs`).

    Raises:
        ShapeError: sizes that do not match.
        ConfigError: labels out of range, or log-probabilities that are NaN or do not normalise.
    """
    if log_probs.ndim != 2 or null.shape != (log_probs.shape[1],) or len(labels) != len(log_probs):
        raise ShapeError(f"log_probs must be (N, C), labels (N,) and null (C,); got {tuple(log_probs.shape)}, "
                         f"{tuple(labels.shape)} and {tuple(null.shape)}")
    y = torch.as_tensor(class_labels(labels, "labels", log_probs.shape[1]), device=log_probs.device)
    for name, lp in (("log_probs", log_probs), ("null", null)):
        total = lp.double().exp().sum(-1)
        if torch.isnan(lp).any() or not torch.allclose(total, torch.ones_like(total), atol=1e-4):
            raise ConfigError(f"{name} must be log-probabilities whose exponentials sum to 1 over the classes "
                              "(apply log_softmax to logits)")
    picked = log_probs.double().gather(1, y[:, None]).squeeze(1)
    return (picked - null.double().to(log_probs.device)[y]) / math.log(2)


def v_information(log_probs: Tensor, labels: Tensor, null: Tensor) -> float:
    """``I_V(X -> Y)``: the mean of :func:`pointwise_v_information`, in bits."""
    return float(pointwise_v_information(log_probs, labels, null).mean()) if len(labels) else 0.0
