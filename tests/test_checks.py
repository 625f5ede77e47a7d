"""The shared argument checks: every bad input is one named error, never a raw NumPy error."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from polymodal.checks import class_labels, finite_array, positive_int
from polymodal.errors import ConfigError, PolymodalError, ShapeError


def test_class_labels_accepts_integers_and_integer_valued_floats():
    np.testing.assert_array_equal(class_labels([0, 2, 1], "y", 3), [0, 2, 1])
    np.testing.assert_array_equal(class_labels(np.array([1.0, 0.0]), "y"), [1, 0])
    assert class_labels(np.array([3], dtype=np.int8), "y").dtype == np.int64


@pytest.mark.parametrize("bad, num_classes, message", [
    ([0, 3], 3, "label 3 at index 1, but there are only 3 classes"),
    ([0, -1], None, "got -1 at index 1"),
    ([0.5, 1.0], None, "got 0.5 at index 0"),
    ([np.nan], None, "integer class labels"),
    (["a", "b"], None, "dtype <U1"),
    ([True, False], None, "dtype bool"),
])
def test_class_labels_names_the_bad_label(bad, num_classes, message):
    with pytest.raises(ConfigError, match=message):
        class_labels(np.array(bad), "y", num_classes)


def test_shapes_and_sizes():
    with pytest.raises(ShapeError, match="1-d"):
        class_labels(np.zeros((2, 2), dtype=int), "y")
    assert positive_int(np.int64(3), "rank") == 3 and type(positive_int(np.int64(3), "rank")) is int
    for bad in (0, -2, 2.0, True, "3", None):
        with pytest.raises(ConfigError, match="rank must be a positive int"):
            positive_int(bad, "rank")
    with pytest.raises(ConfigError, match=r"x has NaN or infinite values \(first at index \[1, 0\]\)"):
        finite_array([[0.0, 1.0], [np.inf, 2.0]], "x")


@settings(max_examples=200, deadline=None)
@given(st.one_of(hnp.arrays(st.sampled_from([np.int64, np.int8]), st.integers(0, 6), elements=st.integers(-3, 8)),
                 hnp.arrays(np.float64, st.integers(0, 6),
                            elements=st.one_of(st.integers(-3, 8).map(float), st.floats(-3, 8), st.just(np.nan)))),
       st.one_of(st.none(), st.integers(1, 6)))
def test_class_labels_either_returns_the_labels_or_raises_a_named_error(y, num_classes):
    """Oracle: a plain loop deciding whether every value is an integer in range."""
    valid = all(np.isfinite(v) and float(v) == int(v) and 0 <= v and (num_classes is None or v < num_classes) for v in y)
    if valid:
        np.testing.assert_array_equal(class_labels(y, "y", num_classes), [int(v) for v in y])
    else:
        with pytest.raises(ConfigError, match="^y "):
            class_labels(y, "y", num_classes)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**16), st.sampled_from(["nan", "float-labels", "one-class", "components", "ok"]))
def test_additivity_test_bad_inputs_raise_only_named_errors(seed, defect):
    from polymodal.interactions.additivity import additivity_test

    rng = np.random.default_rng(seed)
    x_a, x_b = rng.normal(size=(60, 3)), rng.normal(size=(60, 2))
    y = np.arange(60) % 2
    kwargs = {"n_components": 2}
    if defect == "nan":
        x_b[rng.integers(60), rng.integers(2)] = np.nan
    elif defect == "float-labels":
        y = y + rng.uniform(0.01, 0.99, 60)
    elif defect == "one-class":
        y = np.zeros(60, dtype=int)
    elif defect == "components":
        kwargs["n_components"] = int(rng.integers(-2, 1))
    if defect == "ok":
        assert additivity_test(x_a, x_b, y, **kwargs).task == "classification"
        return
    name = {"nan": "x_b", "float-labels": "y", "one-class": "y", "components": "n_components"}[defect]
    with pytest.raises(PolymodalError, match=f"^{name} "):
        additivity_test(x_a, x_b, y, **kwargs)
