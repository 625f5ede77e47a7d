"""Retrieval in a coordinated space: nearest gallery items, class-level recall, embedding arithmetic."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from polymodal.coordination.similarity import CosineSimilarity, Similarity
from polymodal.errors import ConfigError, ShapeError


def _as_tensor(x: Tensor | np.ndarray) -> Tensor:
    return x if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x))


def retrieve(query: Tensor | np.ndarray, gallery: Tensor | np.ndarray, k: int = 10,
             similarity: Similarity | None = None) -> tuple[Tensor, Tensor]:
    """The ``k`` gallery items closest to each query.

    Args:
        query: ``(D,)`` one embedding or ``(Q, D)`` several.
        gallery: ``(G, D)`` embeddings to search.
        k: items returned per query, ``1 <= k <= G``.
        similarity: how closeness is scored (cosine if ``None``); distances are ranked ascending.

    Returns:
        ``(indices, scores)``, each ``(Q, k)`` (or ``(k,)`` for one query), closest first.
    """
    q, g = _as_tensor(query), _as_tensor(gallery)
    single = q.dim() == 1
    q = q[None] if single else q
    if g.dim() != 2 or q.dim() != 2 or q.shape[1] != g.shape[1]:
        raise ShapeError(f"query (D,) or (Q, D) and gallery (G, D) must share D; got {tuple(_as_tensor(query).shape)} and {tuple(g.shape)}")
    if not 1 <= k <= len(g):
        raise ConfigError(f"k must be in [1, gallery size {len(g)}], got {k}")
    similarity = similarity or CosineSimilarity()
    s = similarity(q.to(g.dtype), g)
    scores, idx = torch.topk(s, k, dim=1, largest=similarity.higher_is_closer)
    return (idx[0], scores[0]) if single else (idx, scores)


def class_recall_at_k(query: Tensor | np.ndarray, query_labels: np.ndarray, gallery: Tensor | np.ndarray,
                      gallery_labels: np.ndarray, ks: tuple[int, ...] = (1, 10), similarity: Similarity | None = None,
                      batch_size: int = 1024) -> dict:
    """Class-level recall@k: the share of queries with an item of their own class among their top ``k``.

    Args:
        query: ``(Q, D)`` query embeddings; ``query_labels`` ``(Q,)``.
        gallery: ``(G, D)`` gallery embeddings; ``gallery_labels`` ``(G,)``.
        ks: the cut-offs.

    Returns:
        ``{"recall@k": float, "recall@k_by_class": {class: float}}`` for every ``k`` in ``ks``.
    """
    query_labels, gallery_labels = np.asarray(query_labels), np.asarray(gallery_labels)
    q = _as_tensor(query)
    if len(q) != len(query_labels) or len(_as_tensor(gallery)) != len(gallery_labels):
        raise ShapeError("query and gallery need one label per embedding")
    kmax = max(ks)
    top = torch.cat([retrieve(q[lo : lo + batch_size], gallery, kmax, similarity)[0] for lo in range(0, len(q), batch_size)])
    hit_labels = gallery_labels[top.numpy()]  # (Q, kmax)
    out: dict = {}
    for k in ks:
        hit = (hit_labels[:, :k] == query_labels[:, None]).any(1)
        out[f"recall@{k}"] = float(hit.mean())
        out[f"recall@{k}_by_class"] = {int(c): float(hit[query_labels == c].mean()) for c in np.unique(query_labels)}
    return out


def class_shift_retrieval(query: np.ndarray, query_labels: np.ndarray, gallery: np.ndarray, gallery_labels: np.ndarray,
                          class_means: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Embedding arithmetic: move each query from its class direction to another and retrieve.

    For a query ``z`` of class ``s`` and every target class ``t``, the shifted query is
    ``z / ||z|| - mu_s + mu_t`` (``mu`` the normalised class means, ``(C, D)``); the result is the
    share of its ``k`` nearest gallery items (cosine) that belong to ``t``, averaged over the
    queries of class ``s``.

    Returns:
        ``(target, source)``, two ``(C, C)`` matrices: ``target[s, t]`` the share of retrieved items
        of class ``t``, ``source[s, t]`` the share still of class ``s``. The diagonal (``t = s``) is
        the unshifted retrieval. Rows of classes without queries are NaN.
    """
    q = query / np.linalg.norm(query, axis=1, keepdims=True)
    num_classes = len(class_means)
    target = np.full((num_classes, num_classes), np.nan)
    source = np.full((num_classes, num_classes), np.nan)
    for s in range(num_classes):
        qs = q[query_labels == s]
        for t in range(num_classes if len(qs) else 0):
            idx, _ = retrieve(torch.as_tensor(qs - class_means[s] + class_means[t]), gallery, k)
            hits = gallery_labels[idx.numpy()]
            target[s, t], source[s, t] = float((hits == t).mean()), float((hits == s).mean())
    return target, source
