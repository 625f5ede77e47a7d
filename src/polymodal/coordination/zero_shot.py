"""Zero-shot classification in a coordinated space (in the manner of CLIP, Radford et al. 2021).

Examples of one modality are classified by their similarity to class prototypes built in the
other modality: ``y_hat(x_B) = argmax_c s(f_B(x_B), p_c)``. The prototypes are the normalised
mean embeddings of labelled examples of modality A (:func:`class_prototypes`), or embeddings of
text prompts averaged over templates (:mod:`polymodal.coordination.text`). No label of
modality B is used.
"""

from __future__ import annotations

import numpy as np
import torch

from polymodal.coordination.retrieval import retrieve
from polymodal.coordination.similarity import Similarity
from polymodal.checks import class_labels, finite_array, positive_int
from polymodal.errors import ConfigError, ShapeError


def l2_normalise(z: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean norm (zero rows stay zero): ``(N, D) -> (N, D)``."""
    return z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-12)


def class_prototypes(embeddings: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Normalised mean of each class's L2-normalised embeddings: ``(N, D), (N,) -> (C, D)``.

    Raises:
        ConfigError: a class has no example, or labels that are not integers in ``[0, num_classes)``.
    """
    num_classes = positive_int(num_classes, "num_classes")
    embeddings = finite_array(embeddings, "embeddings")
    labels = class_labels(labels, "labels", num_classes)
    if embeddings.ndim != 2 or len(embeddings) != len(labels):
        raise ShapeError(f"need (N, D) embeddings and (N,) labels, got {embeddings.shape} and {labels.shape}")
    z = l2_normalise(embeddings)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ConfigError(f"classes {np.flatnonzero(counts == 0).tolist()} have no example to build a prototype from")
    return l2_normalise(np.stack([z[labels == c].mean(0) for c in range(num_classes)]))


def zero_shot_predict(queries: np.ndarray, prototypes: np.ndarray, similarity: Similarity | None = None) -> np.ndarray:
    """The class whose prototype is closest to each query: ``(Q, D), (C, D) -> (Q,)``."""
    idx, _ = retrieve(torch.as_tensor(np.asarray(queries, dtype=np.float64)),
                      torch.as_tensor(np.asarray(prototypes, dtype=np.float64)), 1, similarity)
    return idx[:, 0].numpy()
