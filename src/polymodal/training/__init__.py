"""One training pipeline (Lightning) for every multimodal model."""

from polymodal.training.checkpoint import load_model, predict_logits
from polymodal.training.fit import TrainConfig, TrainedRun, fit, train_module
from polymodal.training.metrics import classification_metrics, confusion_matrix
from polymodal.training.module import ClassificationModule

__all__ = ["ClassificationModule", "TrainConfig", "TrainedRun", "classification_metrics", "confusion_matrix", "fit", "load_model", "predict_logits", "train_module"]
