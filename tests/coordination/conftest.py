"""Fixtures of the coordination tests."""

import numpy as np
import pytest


@pytest.fixture
def bag_of_words():
    """A deterministic stand-in text encoder: sums of fixed random word vectors, ``list[str] -> (n, 16)``."""

    def encode(sentences):
        vocab = {}
        rng = np.random.default_rng(0)
        out = []
        for s in sentences:
            v = np.zeros(16)
            for w in s.split():
                if w not in vocab:
                    vocab[w] = rng.standard_normal(16)
                v += vocab[w]
            out.append(v)
        return np.stack(out)

    return encode
