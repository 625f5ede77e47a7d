"""Contrastive losses with in-batch negatives: max-margin ranking and CLIP's symmetric InfoNCE.

A batch holds ``B`` pairs ``(a_i, b_i)``; every ``b_j, j != i`` is a negative for ``a_i``.

* Max-margin ranking (Frome et al., DeViSE, NeurIPS 2013; Kiros et al. 2014):
  ``l = max(0, alpha - s(a_i, b_i) + s(a_i, b_j))``, averaged over the negatives ``j`` (or the
  hardest one, as VSE++ of Faghri et al. 2018), from ``a`` to ``b`` and, if symmetric, back.
* Symmetric InfoNCE of CLIP (Radford et al., ICML 2021): logits ``tau^{-1} cos(a_i, b_j)``,
  cross-entropy against the diagonal in both directions, averaged.

As in open_clip, the temperature belongs to the model (:class:`LogitScale`); the losses take
the scale ``1 / tau`` as an input. The functions return every term; the modules wrap them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polymodal.coordination.similarity import CosineSimilarity, Similarity
from polymodal.errors import ConfigError, ShapeError

#: CLIP's initial temperature 0.07, and the clamp of the learned scale 1/tau to [1, 100].
INITIAL_TEMPERATURE = 0.07
MAX_LOGIT_SCALE = 100.0


class _InwardClamp(torch.autograd.Function):
    """``clamp(t, lo, hi)`` whose gradient survives outside the bounds when descent moves ``t`` back in.

    Inside ``[lo, hi]`` the gradient is the identity's. Above ``hi`` it passes only if positive
    (a descent step lowers ``t``), below ``lo`` only if negative; otherwise it is 0, so the
    parameter never drifts further out. A plain ``clamp`` gives 0 everywhere outside, and a
    parameter that once left the bounds could never come back.
    """

    @staticmethod
    def forward(ctx, t: Tensor, lo: float, hi: float) -> Tensor:  # noqa: D102
        ctx.save_for_backward(t)
        ctx.bounds = (lo, hi)
        return t.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # noqa: D102
        (t,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        passes = ((t >= lo) & (t <= hi)) | ((t > hi) & (grad > 0)) | ((t < lo) & (grad < 0))
        return grad * passes, None, None


class LogitScale(nn.Module):
    """A learnable inverse temperature ``1 / tau = exp(t)``, owned by a contrastive model.

    ``t`` is initialised to ``log(1 / 0.07)``; the scale is ``exp(clamp(t, 0, log 100))``, so
    ``tau`` stays in ``[0.01, 1]`` (CLIP clamps the scale at 100 to keep training stable). The
    clamp keeps the gradient wherever a descent step would move ``t`` back inside the bounds
    (:class:`_InwardClamp`): a scale pinned at 100 comes back as soon as the loss asks for a
    higher temperature, with any optimizer and no hook in the training loop. :meth:`clamp_`
    moves ``t`` itself into the bounds, as open_clip does after each step.

    Args:
        initial_temperature: ``tau`` at initialisation, in ``[0.01, 1]``.
        learnable: whether ``t`` is trained.
    """

    def __init__(self, initial_temperature: float = INITIAL_TEMPERATURE, learnable: bool = True) -> None:
        super().__init__()
        if not 1 / MAX_LOGIT_SCALE <= initial_temperature <= 1:
            raise ConfigError(f"initial_temperature must be in [{1 / MAX_LOGIT_SCALE}, 1], got {initial_temperature}")
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / initial_temperature)), requires_grad=learnable)

    def forward(self) -> Tensor:
        """``()`` the scale ``1 / tau``, in ``[1, 100]``."""
        return _InwardClamp.apply(self.log_scale, 0.0, math.log(MAX_LOGIT_SCALE)).exp()

    @torch.no_grad()
    def clamp_(self) -> None:
        """Move the parameter ``t`` into ``[0, log 100]`` in place (the forward pass already clamps)."""
        self.log_scale.clamp_(0.0, math.log(MAX_LOGIT_SCALE))


def _check_pairs(z_a: Tensor, z_b: Tensor) -> None:
    if z_a.dim() != 2 or z_b.dim() != 2 or z_a.shape != z_b.shape:
        raise ShapeError(f"contrastive losses need paired (B, D) embeddings of equal shape, got {tuple(z_a.shape)} and {tuple(z_b.shape)}")
    if len(z_a) < 2:
        raise ShapeError(f"in-batch negatives need a batch of at least 2 pairs, got {len(z_a)}")


def _check_logit_scale(logit_scale: object) -> Tensor | float:
    """A positive, finite number or a one-element floating tensor; anything else is named in a ConfigError.

    The value of a tensor on an accelerator is not read: that would synchronise with the device on
    every training step (and :class:`LogitScale` keeps its own value in ``[1, 100]``).
    """
    if isinstance(logit_scale, Tensor):
        if logit_scale.numel() != 1 or not logit_scale.is_floating_point():
            raise ConfigError(f"logit_scale must be a floating scalar (a () tensor or a float), got a {logit_scale.dtype} "
                              f"tensor of shape {tuple(logit_scale.shape)}")
        if logit_scale.device.type == "cpu":
            _check_logit_scale(float(logit_scale.detach()))
        return logit_scale.reshape(())
    if isinstance(logit_scale, (bool, np.bool_)) or not isinstance(logit_scale, (int, float, np.integer, np.floating)):
        raise ConfigError(f"logit_scale must be a float or a () tensor such as LogitScale()(), got {type(logit_scale).__name__}")
    if not (math.isfinite(logit_scale) and logit_scale > 0):
        raise ConfigError(f"logit_scale must be positive and finite (it is 1 / temperature), got {logit_scale}")
    return float(logit_scale)


def infonce_terms(z_a: Tensor, z_b: Tensor, logit_scale: Tensor | float, similarity: Similarity | None = None) -> dict[str, Tensor]:
    """CLIP's symmetric InfoNCE loss and its parts.

        logits = scale * S(z_a, z_b),   S = cosine by default,
        L_ab = CE(logits, diag),  L_ba = CE(logits^T, diag),  L = (L_ab + L_ba) / 2.

    Args:
        z_a: ``(B, D)`` embeddings of modality A; row ``i`` pairs with ``z_b[i]``.
        z_b: ``(B, D)`` embeddings of modality B.
        logit_scale: ``()`` inverse temperature ``1 / tau`` (from :class:`LogitScale`).
        similarity: a similarity with ``higher_is_closer`` (cosine if ``None``).

    Returns:
        ``{"loss", "loss_a_to_b", "loss_b_to_a"}`` scalars, ``"logits"`` ``(B, B)`` and
        ``"accuracy_a_to_b"``, the share of rows whose own pair scores highest.
    """
    _check_pairs(z_a, z_b)
    logit_scale = _check_logit_scale(logit_scale)
    similarity = similarity or CosineSimilarity()
    if not similarity.higher_is_closer:
        raise ConfigError(f"InfoNCE needs a similarity where higher means closer; {similarity.name!r} is a distance")
    logits = logit_scale * similarity(z_a, z_b)
    target = torch.arange(len(z_a), device=z_a.device)
    loss_ab = F.cross_entropy(logits, target)
    loss_ba = F.cross_entropy(logits.T, target)
    return {
        "loss": (loss_ab + loss_ba) / 2, "loss_a_to_b": loss_ab, "loss_b_to_a": loss_ba, "logits": logits,
        "accuracy_a_to_b": (logits.argmax(1) == target).to(logits.dtype).mean(),
    }


def max_margin_terms(
    z_a: Tensor, z_b: Tensor, margin: float = 0.2, similarity: Similarity | None = None,
    symmetric: bool = True, hardest: bool = False,
) -> dict[str, Tensor]:
    """Max-margin ranking loss with in-batch negatives.

        l_ij = max(0, alpha - s(a_i, b_i) + s(a_i, b_j)),  j != i,
        L_ab = mean_i mean_{j != i} l_ij   (or mean_i max_{j != i} l_ij if ``hardest``),

    and ``L = (L_ab + L_ba) / 2`` if ``symmetric`` (``L_ba`` ranks the ``a_j`` for each ``b_i``),
    else ``L_ab``. For a distance, ``s = -d``.

    Args:
        z_a, z_b: ``(B, D)`` paired embeddings.
        margin: ``alpha >= 0``.
        similarity: the score ``s`` (cosine if ``None``).
        symmetric: rank in both directions.
        hardest: keep only the hardest negative per anchor.

    Returns:
        ``{"loss", "loss_a_to_b", "loss_b_to_a"}`` scalars and ``"violations"``, the share of
        (anchor, negative) pairs that break the margin.
    """
    _check_pairs(z_a, z_b)
    if margin < 0:
        raise ConfigError(f"margin must be non-negative, got {margin}")
    similarity = similarity or CosineSimilarity()
    s = similarity(z_a, z_b)
    if not similarity.higher_is_closer:
        s = -s
    off = ~torch.eye(len(s), dtype=torch.bool, device=s.device)
    pos = s.diagonal()

    def one_way(scores: Tensor) -> tuple[Tensor, Tensor]:
        hinge = (margin - pos[:, None] + scores).clamp_min(0)[off].view(len(s), len(s) - 1)
        return (hinge.max(1).values if hardest else hinge.mean(1)).mean(), (hinge > 0).to(hinge.dtype).mean()

    loss_ab, viol_ab = one_way(s)
    loss_ba, viol_ba = one_way(s.T)
    loss = (loss_ab + loss_ba) / 2 if symmetric else loss_ab
    return {"loss": loss, "loss_a_to_b": loss_ab, "loss_b_to_a": loss_ba,
            "violations": (viol_ab + viol_ba) / 2 if symmetric else viol_ab}


class InfoNCELoss(nn.Module):
    """CLIP's symmetric InfoNCE (:func:`infonce_terms`): ``(B, D), (B, D), () -> ()``."""

    def __init__(self, similarity: Similarity | None = None) -> None:
        super().__init__()
        self.similarity = similarity

    def forward(self, z_a: Tensor, z_b: Tensor, logit_scale: Tensor | float) -> Tensor:
        return infonce_terms(z_a, z_b, logit_scale, self.similarity)["loss"]


class MaxMarginLoss(nn.Module):
    """Max-margin ranking loss (:func:`max_margin_terms`): ``(B, D), (B, D) -> ()``."""

    def __init__(self, margin: float = 0.2, similarity: Similarity | None = None, symmetric: bool = True, hardest: bool = False) -> None:
        super().__init__()
        self.margin, self.similarity, self.symmetric, self.hardest = margin, similarity, symmetric, hardest

    def forward(self, z_a: Tensor, z_b: Tensor) -> Tensor:
        return max_margin_terms(z_a, z_b, self.margin, self.similarity, self.symmetric, self.hardest)["loss"]
