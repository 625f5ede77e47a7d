"""EMAP against the paper's worked example and a brute-force loop for three modalities."""

import numpy as np
import pytest
import torch

from polymodal.data import load_digits
from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion.registry import fusion_names
from polymodal.interactions.emap import emap, model_emap, naive_emap
from polymodal.models.build import ModelConfig, build_model


def test_three_by_three_example():
    table = torch.tensor([[-1.3, 0.3, -0.2], [0.8, 3.0, 1.1], [1.1, -0.1, 0.7]])
    features = {"t": torch.arange(3.0)[:, None], "v": torch.arange(3.0)[:, None]}
    f = lambda b: table[b["t"][:, 0].long(), b["v"][:, 0].long()][:, None]  # noqa: E731
    result = emap(f, features, batch_size=4)
    np.testing.assert_allclose(result.projected[:, 0], [-0.8, 2.1, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.logits[:, 0], [-1.3, 3.0, 0.7])


def _brute_force(f, features):
    names = list(features)
    n = len(features[names[0]])
    m_count = len(names)
    g = {}
    for m in names:
        g[m] = np.stack([np.mean([f({o: features[o][[i if o == m else j]] for o in names}).numpy()[0] for j in range(n)], 0)
                         for i in range(n)])
    grand = np.mean([g[m].mean(0) for m in names], 0)
    return sum(g.values()) - (m_count - 1) * grand


def test_three_modalities_match_brute_force_and_additive_functions_are_fixed_points():
    g = torch.Generator().manual_seed(0)
    feats = {m: torch.randn(6, 2, generator=g, dtype=torch.float64) for m in ("a", "b", "c")}
    w = torch.randn(2, 3, generator=g, dtype=torch.float64)
    interacting = lambda b: torch.tanh(b["a"] @ w) * (b["b"] @ w) + (b["c"] @ w) ** 2 + b["a"][:, :1] * b["c"][:, 1:]  # noqa: E731
    got = emap(interacting, feats, batch_size=7).projected
    np.testing.assert_allclose(got, _brute_force(interacting, feats), atol=1e-12)
    additive = lambda b: torch.sin(b["a"] @ w) + (b["b"] @ w) ** 3 - b["c"] @ w  # noqa: E731
    res = emap(additive, feats)
    np.testing.assert_allclose(res.projected, res.logits, atol=1e-12)  # EMAP of an additive function is itself


@pytest.mark.parametrize("fusion", fusion_names())
def test_fast_path_equals_naive_for_every_fusion(fusion):
    ds = load_digits()
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(ds, fusion, embed_dim=8, hidden_dim=8)).eval()
    split = ds.splits["test"]
    inputs = {m: split.modality(m)[:40] for m in ds.modalities}
    fast, slow = model_emap(model, inputs, batch_size=300), naive_emap(model, inputs, batch_size=300)
    np.testing.assert_allclose(fast.projected, slow.projected, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(fast.logits, model(inputs).double().numpy(), rtol=1e-5, atol=1e-6)
    acc = fast.accuracies(split.labels[:40].numpy())
    assert acc["gap"] == pytest.approx(acc["model"] - acc["emap"])


def test_errors():
    f = lambda b: b["a"]  # noqa: E731
    with pytest.raises(ConfigError, match="at least two"):
        emap(f, {"a": torch.zeros(3, 1)})
    with pytest.raises(ShapeError, match="same number of examples"):
        emap(f, {"a": torch.zeros(3, 1), "b": torch.zeros(2, 1)})
