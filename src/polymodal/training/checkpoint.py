"""Load trained models from checkpoints (weights plus configuration, never a pickled model)."""

from __future__ import annotations

import pickle
from pathlib import Path

import torch
from torch.utils.data import Dataset

from polymodal.data.loader import batch_loader
from polymodal.errors import DataFileError
from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig
from polymodal.models.multimodal import MultimodalModel
from polymodal.training.complexity import to_device


def read_checkpoint(path: str | Path, config_key: str, map_location: str | torch.device = "cpu") -> tuple[dict, dict]:
    """The stored configuration and the model weights of a polymodal checkpoint.

    The checkpoint is read with ``torch.load(weights_only=True)``, so no code is unpickled.

    Args:
        path: a ``.ckpt`` file.
        config_key: the hyper-parameter holding the model configuration (``"model_config"``).
        map_location: device for the weights.

    Returns:
        ``(config dict, state dict with the "model." prefix removed)``.

    Raises:
        DataFileError: the file is missing, truncated, or not a checkpoint of this kind of model.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"checkpoint {path} does not exist; pass a .ckpt file written by polymodal")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
        config = ckpt["hyper_parameters"][config_key]
        state = {k[len("model.") :]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    except (KeyError, TypeError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise DataFileError(f"checkpoint {path} is not a polymodal checkpoint with a {config_key!r} or is truncated ({exc})") from None
    return config, state


def load_model(path: str | Path, map_location: str | torch.device = "cpu") -> MultimodalModel:
    """Rebuild a trained model from a checkpoint written by :func:`polymodal.training.fit`.

    The checkpoint holds the model configuration (``hyper_parameters["model_config"]``) and
    the weights (``state_dict``, keys prefixed ``model.``).

    Args:
        path: a ``.ckpt`` file.
        map_location: device for the weights.

    Returns:
        The model in eval mode.
    """
    config, state = read_checkpoint(path, "model_config", map_location)
    model = build_model(ModelConfig.from_dict(config))
    model.load_state_dict(state)
    return model.eval()


@torch.inference_mode()
def predict_logits(model: torch.nn.Module, dataset: Dataset, batch_size: int = 256) -> torch.Tensor:
    """Logits of ``model`` on every sample of ``dataset``, in order: ``(N, num_classes)``."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(to_device(b["inputs"], device)).cpu() for b in batch_loader(dataset, batch_size)])
