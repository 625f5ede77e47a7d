"""EMAP against the paper's worked example and a brute-force loop over the product of marginals."""

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from polymodal.data import load_digits
from polymodal.errors import ConfigError, ShapeError
from polymodal.fusion.registry import fusion_names
from polymodal.interactions.emap import emap, model_emap, naive_emap
from polymodal.catalog import build_model
from polymodal.models.build import ModelConfig


def test_three_by_three_example():
    table = torch.tensor([[-1.3, 0.3, -0.2], [0.8, 3.0, 1.1], [1.1, -0.1, 0.7]])
    features = {"t": torch.arange(3.0)[:, None], "v": torch.arange(3.0)[:, None]}
    f = lambda b: table[b["t"][:, 0].long(), b["v"][:, 0].long()][:, None]  # noqa: E731
    result = emap(f, features, batch_size=4)
    np.testing.assert_allclose(result.projected[:, 0], [-0.8, 2.1, 0.5], atol=1e-12)
    np.testing.assert_allclose(result.logits[:, 0], [-1.3, 3.0, 0.7])


def _brute_force(f, features):
    """The definition, one evaluation at a time: every other modality drawn independently (product of marginals)."""
    names = list(features)
    n = len(features[names[0]])
    g = {m: np.zeros((n, f({o: features[o][:1] for o in names}).shape[1])) for m in names}
    grand = 0.0
    for tup in itertools.product(range(n), repeat=len(names)):
        out = f({o: features[o][[j]] for o, j in zip(names, tup)}).numpy()[0]
        grand = grand + out / n ** len(names)
        for m, j in zip(names, tup):
            g[m][j] += out / n ** (len(names) - 1)
    return sum(g.values()) - (len(names) - 1) * grand


def test_three_modalities_match_brute_force_and_additive_functions_are_fixed_points():
    g = torch.Generator().manual_seed(0)
    feats = {m: torch.randn(6, 2, generator=g, dtype=torch.float64) for m in ("a", "b", "c")}
    w = torch.randn(2, 3, generator=g, dtype=torch.float64)
    interacting = lambda b: torch.tanh(b["a"] @ w) * (b["b"] @ w) + (b["c"] @ w) ** 2 + b["a"][:, :1] * b["c"][:, 1:]  # noqa: E731
    got = emap(interacting, feats, batch_size=7)
    assert got.exact
    np.testing.assert_allclose(got.projected, _brute_force(interacting, feats), atol=1e-12)
    additive = lambda b: torch.sin(b["a"] @ w) + (b["b"] @ w) ** 3 - b["c"] @ w  # noqa: E731
    res = emap(additive, feats)
    np.testing.assert_allclose(res.projected, res.logits, atol=1e-12)  # EMAP of an additive function is itself


def test_audit_reproducer_an_ignored_modality_changes_nothing():
    """f ignores a; b and c are correlated. The projection with a must equal the one without (0.33 apart before)."""
    torch.manual_seed(1)
    b = torch.randn(200, 1)
    c = b + 0.5 * torch.randn(200, 1)
    a = torch.randn(200, 1)
    f = lambda x: torch.cat([x["b"] * x["c"], 0.3 * (x["b"] + x["c"]) + 0.5], 1)  # noqa: E731
    two, three = emap(f, {"b": b, "c": c}), emap(f, {"a": a, "b": b, "c": c})
    assert three.exact and three.evaluations == 200**3 + 200
    np.testing.assert_allclose(three.projected, two.projected, atol=1e-5)
    assert (three.projected.argmax(1) == two.projected.argmax(1)).all()


@st.composite
def emap_problems(draw):
    """Random small features of M = 2..4 modalities (others correlated) and a random interacting function."""
    m_count, n = draw(st.integers(2, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shared = rng.normal(size=(n, 2))
    names = [f"m{k}" for k in range(m_count)]
    feats = {m: torch.tensor(shared * rng.uniform(0, 1) + rng.normal(size=(n, 2))) for m in names}
    w = torch.tensor(rng.normal(size=(2, 3)))
    order = rng.permutation(m_count)

    def f(x):
        z = [x[names[k]] @ w for k in order]
        return torch.tanh(z[0]) * z[1] + (z[-1] ** 2 if m_count > 2 else 0.0)

    return f, feats


@settings(max_examples=40, deadline=None)
@given(emap_problems(), st.integers(1, 64))
def test_exact_emap_equals_the_definition_for_any_batch_size(problem, batch_size):
    f, feats = problem
    np.testing.assert_allclose(emap(f, feats, batch_size=batch_size).projected, _brute_force(f, feats), atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(emap_problems(), st.integers(0, 2**16))
def test_adding_an_ignored_modality_leaves_the_projection_unchanged(problem, seed):
    f, feats = problem
    g = torch.Generator().manual_seed(seed)
    n = len(next(iter(feats.values())))
    extra = {"ignored": torch.randn(n, 3, generator=g, dtype=torch.float64), **feats}
    np.testing.assert_allclose(emap(f, extra).projected, emap(f, feats).projected, atol=1e-10)


def test_monte_carlo_agrees_with_exact_within_its_standard_error():
    g = torch.Generator().manual_seed(3)
    n = 40
    shared = torch.randn(n, 2, generator=g, dtype=torch.float64)
    feats = {m: shared + 0.5 * torch.randn(n, 2, generator=g, dtype=torch.float64) for m in "abc"}
    w = torch.randn(2, 4, generator=g, dtype=torch.float64)
    f = lambda x: torch.tanh(x["a"] @ w) * (x["b"] @ w) + torch.sin(x["c"] @ w) * (x["a"] @ w)  # noqa: E731
    exact = emap(f, feats)
    sampled = emap(f, feats, max_evaluations=3 * n * 200, seed=1)
    assert exact.exact and not sampled.exact and sampled.evaluations == 3 * n * 200 + n
    z = (sampled.projected - exact.projected) / sampled.standard_error
    assert np.abs(z).max() < 5
    assert 0.7 < z.std() < 1.3  # the standard error is the spread of the error, not a loose bound
    more = emap(f, feats, samples=2000, seed=1)
    assert np.abs(more.projected - exact.projected).mean() < np.abs(sampled.projected - exact.projected).mean()


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


def test_bad_outputs_dtypes_and_budgets_are_named():
    feats = {"a": torch.zeros(3, 2), "b": torch.zeros(3, 2)}
    with pytest.raises(ShapeError, match=r"f must return \(3, C\) logits .* got \(3,\).*unsqueeze"):
        emap(lambda b: b["a"].sum(1), feats)
    fusion = torch.nn.Linear(4, 2)  # float32
    with pytest.raises(ConfigError, match="dtypes .*float64.*x.float"):
        emap(lambda b: fusion(torch.cat([b["a"], b["b"]], 1)), {m: x.double() for m, x in feats.items()})
    with pytest.raises(ConfigError, match="features .* must be torch tensors"):
        emap(lambda b: b["a"], {"a": np.zeros((3, 2)), "b": torch.zeros(3, 2)})
    for kwargs, name in (({"max_evaluations": 0}, "max_evaluations"), ({"batch_size": 0}, "batch_size"),
                         ({"samples": 1}, "samples")):
        with pytest.raises(ConfigError, match=name):
            emap(lambda b: b["a"], feats, **kwargs)


def test_model_emap_casts_float64_inputs_to_the_model():
    ds = load_digits()
    torch.manual_seed(0)
    model = build_model(ModelConfig.for_dataset(ds, "late", embed_dim=8, hidden_dim=8)).eval()
    inputs = {m: ds.splits["test"].modality(m)[:10] for m in ds.modalities}
    got = model_emap(model, {m: x.double() for m, x in inputs.items()})
    np.testing.assert_allclose(got.projected, model_emap(model, inputs).projected)
