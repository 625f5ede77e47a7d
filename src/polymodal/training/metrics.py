"""Classification metrics from predicted and true labels."""

from __future__ import annotations

import torch


def confusion_matrix(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``(C, C)`` counts, rows true class, columns predicted class.

    Args:
        preds: ``(N,)`` predicted labels.
        targets: ``(N,)`` true labels.
        num_classes: ``C``.
    """
    flat = targets.long() * num_classes + preds.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_metrics(preds: torch.Tensor, targets: torch.Tensor, num_classes: int) -> dict[str, float]:
    """Accuracy and macro-F1.

    Macro-F1 is the unweighted mean over classes of ``F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)``,
    over the classes that occur among the targets or the predictions (as scikit-learn does).

    Args:
        preds: ``(N,)`` predicted labels.
        targets: ``(N,)`` true labels.
        num_classes: number of classes ``C``.

    Returns:
        ``{"accuracy": float, "macro_f1": float}``.
    """
    cm = confusion_matrix(preds, targets, num_classes).double()
    tp = cm.diag()
    support, predicted = cm.sum(1), cm.sum(0)
    present = (support + predicted) > 0
    f1 = 2 * tp[present] / (support[present] + predicted[present])
    n = cm.sum()
    return {
        "accuracy": float(tp.sum() / n) if n > 0 else float("nan"),
        "macro_f1": float(f1.mean()) if present.any() else float("nan"),
    }
