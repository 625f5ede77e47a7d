"""Text modalities: a word vocabulary of the training split (token ids), or frozen sentence embeddings.

``tokens``: lower-cased words and punctuation (``\\w+|[^\\w\\s]``), the ``max_vocab`` most frequent
words of the training split (ties alphabetical) numbered from 2; 0 is padding and 1 stands for
a word outside the vocabulary (and for an empty text, so every text has a step).

``sentence``: all-MiniLM-L6-v2 embeddings (the ``text`` extra, loaded offline), cached per
data set under the cache folder by a hash of the texts; the modality becomes a 384-d vector.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Any, Sequence

import numpy as np

from polymodal.data.cache import cache_dir
from polymodal.errors import ConfigError

PAD, UNKNOWN = 0, 1
TEXT_ENCODERS = ("tokens", "sentence")
_WORD = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-cased words and punctuation marks of ``text``."""
    return _WORD.findall(text.lower())


class WordVocabulary:
    """Word -> id, fitted on training texts.

    Args:
        max_size: most words kept (padding and unknown come on top).
    """

    def __init__(self, max_size: int = 10000) -> None:
        if max_size < 1:
            raise ConfigError(f"max_vocab must be a positive int, got {max_size!r}")
        self.max_size = max_size

    def fit(self, texts: Sequence[str]) -> "WordVocabulary":
        counts = Counter(w for t in texts for w in words(t))
        ranked = sorted(counts, key=lambda w: (-counts[w], w))[: self.max_size]
        self.ids_ = {w: i + 2 for i, w in enumerate(ranked)}
        return self

    @property
    def size(self) -> int:
        """Number of ids, padding and unknown included."""
        return len(self.ids_) + 2

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids (N, T) int64 padded with 0, lengths (N,))``, ``T`` the longest text."""
        seqs = [[self.ids_.get(w, UNKNOWN) for w in words(t)] or [UNKNOWN] for t in texts]
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        ids = np.zeros((len(seqs), int(lengths.max(initial=1))), dtype=np.int64)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = s
        return ids, lengths


def sentence_embeddings(texts: Sequence[str]) -> np.ndarray:
    """``(N, 384)`` float32 all-MiniLM-L6-v2 embeddings, cached by a hash of the texts."""
    from polymodal.coordination.text import sentence_encoder

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:20]
    path = cache_dir() / "text" / f"minilm-{key}.npy"
    if path.is_file():
        return np.load(path)
    encode = sentence_encoder()
    out = encode(list(texts)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    tmp.replace(path)
    return out


def encode_texts(name: str, texts: np.ndarray, train_rows: np.ndarray, encoder: str = "tokens",
                 max_vocab: int = 10000) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any], str]:
    """A text modality as stored arrays: ``(values, lengths, spec options, kind)``.

    Args:
        name: the modality (for errors).
        texts: ``(N,)`` strings.
        train_rows: rows of the training split (the vocabulary is fitted on them only).
        encoder: one of :data:`TEXT_ENCODERS`.
        max_vocab: most words of the ``tokens`` vocabulary.
    """
    if encoder not in TEXT_ENCODERS:
        raise ConfigError(f"text_encoder: {encoder!r} is unknown; choose from {', '.join(TEXT_ENCODERS)}")
    texts = [str(t) for t in np.asarray(texts, dtype=object)]
    if encoder == "sentence":
        return sentence_embeddings(texts), None, {}, "vector"
    vocab = WordVocabulary(max_vocab).fit([texts[i] for i in train_rows])
    ids, lengths = vocab.encode(texts)
    return ids, lengths, {"vocab_size": vocab.size}, "text"
