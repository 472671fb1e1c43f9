"""Scattering1DTransformer in the contract suite: signals and multichannel time series."""

import numpy as np
from hypothesis import strategies as st

from skscatter import Scattering1DTransformer

from ..registry import Hostile, Invariance, Memory, Spec
from .images import _equal_to_ndarray_input, _with
from .scattering import _float64_reference


def multichannel_signals(rng, n=6, length=128, channels=2):
    """``(n, channels, length)`` series: the multivariate layout (aeon's, sktime's)."""
    return rng.normal(size=(n, channels, length))


@st.composite
def _permuted(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = multichannel_signals(rng, n=draw(st.integers(2, 5)))
    perm = rng.permutation(len(X))
    return X, X[perm], lambda Y: Y[perm]


@st.composite
def _scaled(draw):
    # Every operation is positively homogeneous: S(c x) = c S(x) for c > 0.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = draw(st.floats(1e-3, 1e3))
    X = multichannel_signals(rng, n=2)
    return X, c * X, lambda Y: c * Y


@st.composite
def _swapped_channels(draw):
    # Channels are scattered separately: swapping them swaps the blocks.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = multichannel_signals(rng, n=2)
    return X, X[:, ::-1], lambda Y: Y.reshape(len(Y), 2, -1)[:, ::-1].reshape(len(Y), -1)


_N_FEATURES = 2 * 128

SPEC = Spec(
    cls=Scattering1DTransformer,
    params=dict(J=3, Q=2),
    make_X=multichannel_signals,
    input_kind="signals",
    alternatives=dict(
        J=2,
        Q=(1, 1),
        T=4,
        max_order=1,
        shape=128,
        oversampling=1,
        n_channels=2,
        output="mean",
        log=True,
        log_eps=1e-2,
    ),
    # sklearn's checks pass as few as 1 or 2 samples per row: T=1 accepts them.
    sklearn_params=[dict(J=1, T=1), dict(J=1, T=1, Q=1, backend="numpy"), dict(J=1, T=1, output="mean", log=True)],
    hostile=[
        Hostile("nan_in_fit", lambda X, r: _with(X, 5, np.nan), "fit", match="NaN or infinity.*impute"),
        Hostile("inf_in_transform", lambda X, r: _with(X, -1, np.inf), "transform", match="NaN or infinity.*sample 5"),
        Hostile("no_samples", lambda X, r: X[:0], "fit", match="no signals.*at least one"),
        Hostile("no_samples_transform", lambda X, r: X[:0], "transform", match="no signals.*at least one"),
        Hostile("one_dimensional", lambda X, r: X[0, 0], "fit", match="Reshape your data"),
        Hostile("four_dimensional", lambda X, r: X[..., None], "fit", match=r"4 dimensions.*\(n_samples, n_channels, length\)"),
        Hostile("complex", lambda X, r: X.astype(np.complex128), "fit", match="Complex data not supported.*signals must be real"),
        Hostile("strings", lambda X, r: X.astype(str), "fit", match="Convert your data to numeric"),
        Hostile("ragged_list", lambda X, r: [X[0, 0], X[1, 0][:-1]], "fit", match="same length.*Resample, crop or pad"),
        Hostile(
            "wrong_n_features",
            lambda X, r: X.reshape(len(X), -1)[:, :-1],
            "transform",
            match=rf"X has {_N_FEATURES - 1} features.*expecting {_N_FEATURES}.*length 128 with 2 channel.*or refit",
        ),
        Hostile("wrong_length", lambda X, r: X[:, :, :-1], "transform", match="length 127.*fitted on length 128.*resample"),
        Hostile("wrong_channels", lambda X, r: X[:, :1], "transform", match="1 channel.*fitted on length 128 with 2"),
        Hostile("T_longer_than_signal", lambda X, r: X, "fit", params=dict(T=200), match="T=200.*exceeds the signal length 128.*T <= 128"),
        Hostile("J_too_large", lambda X, r: X, "fit", params=dict(J=8), match=r"2\*\*J = 256.*exceeds.*use J <= 7"),
        Hostile("J_true", lambda X, r: X, "fit", params=dict(J=True), match="'J' parameter.*int.*Got True"),
        Hostile("Q_zero", lambda X, r: X, "fit", params=dict(Q=0), match="'Q' parameter"),
        Hostile("Q_triple", lambda X, r: X, "fit", params=dict(Q=(8, 2, 1)), match=r"Q=\(8, 2, 1\).*pair \(Q1, Q2\)"),
        Hostile("Q_float_pair", lambda X, r: X, "fit", params=dict(Q=(8, 0.5)), match=r"Q=\(8, 0.5\).*positive int"),
        Hostile("oversampling_negative", lambda X, r: X, "fit", params=dict(oversampling=-1), match="'oversampling'"),
        Hostile("channels_disagree", lambda X, r: X, "fit", params=dict(n_channels=3), match="2 channels.*n_channels=3"),
        Hostile("shape_disagrees", lambda X, r: X, "fit", params=dict(shape=100), match="length 128, but shape=100"),
        Hostile(
            "flat_not_multiple",
            lambda X, r: X.reshape(len(X), -1)[:, :-1],
            "fit",
            params=dict(n_channels=2),
            match="255 features.*not a multiple of n_channels=2",
        ),
        Hostile("n_jobs_zero", lambda X, r: X, "fit", params=dict(n_jobs=0), match="'n_jobs' parameter.*Got 0"),
        Hostile("n_jobs_zero_after_fit", lambda X, r: X, "transform", after_fit=dict(n_jobs=0), match="'n_jobs' parameter"),
        Hostile("batch_size_zero", lambda X, r: X, "fit", params=dict(batch_size=0), match="'batch_size' parameter"),
        Hostile("unknown_backend", lambda X, r: X, "fit", params=dict(backend="torch"), match="'backend' parameter"),
        Hostile(
            "float32_near_overflow",
            lambda X, r: (X * 1e37).astype(np.float32),
            "fit_transform",
            error=None,
            check=_float64_reference,
        ),
        Hostile("float64_beyond_range", lambda X, r: np.full_like(X, 1.5e308), "fit_transform", match="overflowed float64.*rescale X"),
        # Accepted, and computed as the array they spell.
        Hostile("nested_list", lambda X, r: X.tolist(), "fit_transform", error=None, check=_equal_to_ndarray_input),
        Hostile(
            "int_signals",
            lambda X, r: np.round(X * 40).astype(np.int16),
            "fit_transform",
            error=None,
            check=lambda out, est, bad: np.testing.assert_allclose(out, est.transform(bad.astype(np.float64)), rtol=0, atol=0),
        ),
        Hostile(
            "flat_rows_with_n_channels",
            lambda X, r: X.reshape(len(X), -1),
            "fit_transform",
            params=dict(n_channels=2),
            error=None,
            check=lambda out, est, bad: np.testing.assert_array_equal(out, est.transform(bad.reshape(len(bad), 2, -1))),
        ),
    ],
    invariances=[
        Invariance("sample_order", _permuted(), rtol=1e-13),
        Invariance("positive_scaling", _scaled(), rtol=1e-12),
        Invariance("channel_order", _swapped_channels(), rtol=1e-13),
    ],
    backends=("numpy", "numba"),
    rtol=1e-12,
    memory=Memory(make=lambda n, rng: multichannel_signals(rng, n=n, length=256), n_small=8, n_large=256),
)
