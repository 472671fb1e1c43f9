"""Hostile inputs every image estimator answers alike (the shared part of the table)."""

import numpy as np
from hypothesis import strategies as st

from ..registry import Hostile


def colour_images(rng, n=6, size=8):
    """Channel-last colour images ``(n, size, size, 3)``: the layout that once copied the whole input."""
    return rng.normal(size=(n, size, size, 3))


@st.composite
def permuted_samples(draw, min_size=2, max_size=5):
    """``(X, X[perm], Y -> Y[perm])``: an image transform is equivariant to the order of the samples."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = colour_images(rng, n=draw(st.integers(min_size, max_size)))
    perm = rng.permutation(len(X))
    return X, X[perm], lambda Y: Y[perm]


def _with(X, index, value):
    X = np.array(X, dtype=np.float64)
    X.flat[index] = value
    return X


def _equal_to_ndarray_input(out, est, bad):
    np.testing.assert_array_equal(out, est.transform(np.asarray(bad)))


def image_hostile_inputs(X_example):
    """The shared rows of the table, for estimators fitted on 4D colour arrays like ``X_example``."""
    n = X_example.shape[0]
    flat = X_example.reshape(n, -1)
    return [
        Hostile("nan_in_fit", lambda X, r: _with(X, 5, np.nan), "fit", match="NaN or infinity.*impute"),
        Hostile("inf_in_transform", lambda X, r: _with(X, -1, np.inf), "transform", match="NaN or infinity.*sample 5"),
        Hostile("no_samples", lambda X, r: X[:0], "fit", match="no images.*at least one"),
        Hostile("no_samples_transform", lambda X, r: X[:0], "transform", match="no images.*at least one"),
        Hostile("one_dimensional", lambda X, r: X.reshape(n, -1)[0], "fit", match="Reshape your data"),
        Hostile("complex", lambda X, r: X.astype(np.complex128), "fit", match="Complex data not supported.*np.abs"),
        Hostile("strings", lambda X, r: X.astype(str), "fit", match="Convert your data to numeric"),
        Hostile(
            "ragged_list",
            lambda X, r: [X[0], X[1][:-1]],
            "fit",
            match="ragged nested sequence.*same shape",
        ),
        Hostile(
            "wrong_n_features",
            lambda X, r: X.reshape(n, -1)[:, :-1],
            "transform",
            match=rf"X has {flat.shape[1] - 1} features, but \w+ is expecting {flat.shape[1]} features.*fitted on.*or refit",
        ),
        Hostile("wrong_image_shape", lambda X, r: X[:, :-1], "transform", match="fitted on shape.*refit or resize"),
        Hostile("n_jobs_zero", lambda X, r: X, "fit", params=dict(n_jobs=0), match="'n_jobs' parameter.*Got 0"),
        Hostile(
            "n_jobs_zero_after_fit", lambda X, r: X, "transform", after_fit=dict(n_jobs=0), match="'n_jobs' parameter"
        ),
        Hostile("batch_size_zero", lambda X, r: X, "fit", params=dict(batch_size=0), match="'batch_size' parameter"),
        Hostile("unknown_backend", lambda X, r: X, "fit", params=dict(backend="torch"), match="'backend' parameter"),
        # Accepted, and computed as the array they spell.
        Hostile("nested_list_of_images", lambda X, r: X.tolist(), "fit_transform", error=None, check=_equal_to_ndarray_input),
        Hostile(
            "uint8_images",
            lambda X, r: np.round(np.abs(X) * 40).astype(np.uint8),
            "fit_transform",
            error=None,
            check=lambda out, est, bad: np.testing.assert_allclose(out, est.transform(bad.astype(np.float64)), rtol=0, atol=0),
        ),
    ]
