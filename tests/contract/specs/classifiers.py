"""The classifiers of ``skscatter.linear_model`` in the contract suite: predictors on rows of floats.

They are fitted with labels (``make_y``) and compared through
``decision_function``.  Neither has ``n_jobs`` or ``backend`` (NumPy and
BLAS only), so those tests are skipped with the reasons below; the block
sizes of ``decision_function`` come from the ``working_memory`` setting
(and, for the factored head, from ``block_size`` frozen at fit), checked by
``test_determinism.py::test_output_does_not_depend_on_working_memory``.
"""

import numpy as np
from hypothesis import strategies as st

from skscatter.linear_model import BlockRidgeClassifier, FactoredLinearClassifier

from ..registry import Hostile, Invariance, Memory, Spec

LABELS = np.array(["ant", "bee", "cat"])


def labels(X):
    """Three classes by row position, so that any two rows or more hold at least two."""
    return LABELS[np.arange(len(X)) % 3]


def rows(rng, n=12, d=5):
    """Rows whose class (``labels``) shifts their mean, with offsets and uneven feature scales."""
    signal = rng.normal(size=(3, d))
    X = signal[np.arange(n) % 3] + rng.normal(size=(n, d))
    return X * rng.uniform(0.3, 3.0, d) + rng.uniform(-2.0, 5.0, d)


# -- invariances of the fit: ((X, y), (X_moved, y_moved), move) --------------------------------


def _draw_rows(draw, d):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rows(rng, n=draw(st.integers(6, 12)), d=d)
    return rng, X, labels(X)


@st.composite
def _training_row_order(draw, d=5):
    # The normal equations are sums over rows: their order changes rounding only.
    rng, X, y = _draw_rows(draw, d)
    perm = rng.permutation(len(X))
    return (X, y), (X[perm], y[perm]), lambda T: T


@st.composite
def _feature_order(draw, d=5):
    # The penalty alpha ||w||^2 treats every feature alike.
    rng, X, y = _draw_rows(draw, d)
    perm = rng.permutation(d)
    return (X, y), (X[:, perm], y), lambda T: T[:, perm]


@st.composite
def _feature_shift(draw, d=5):
    # fit_intercept centres the features: a shift of each moves only the intercept.
    rng, X, y = _draw_rows(draw, d)
    shift = rng.uniform(-10.0, 10.0, d)
    return (X, y), (X + shift, y), lambda T: T + shift


@st.composite
def _positive_channel_affine(draw, d=5, channels=None):
    # standardize (the ridge) and the frozen channel normalisation (the
    # factored head) see each feature or channel only after centring and
    # scaling it: a positive scale and a shift of each is undone there.
    rng, X, y = _draw_rows(draw, d)
    c = d if channels is None else channels
    scale = np.repeat(np.exp(rng.uniform(-2.0, 2.0, c)), d // c)
    shift = np.repeat(rng.uniform(-10.0, 10.0, c), d // c)
    return (X, y), (X * scale + shift, y), lambda T: T * scale + shift


@st.composite
def _label_names(draw, d=5):
    # Labels are sorted into classes_; an order-preserving renaming gives
    # the same codes, so the same arithmetic.
    rng, X, y = _draw_rows(draw, d)
    names = draw(st.sampled_from([np.array([-3, 0, 7]), np.array(["Ant", "Bee", "Cat"]), np.array([10, 20, 30])]))
    renamed = names[np.searchsorted(LABELS, y)]
    return (X, y), (X, renamed), lambda T: T


# -- hostile inputs shared by both ---------------------------------------------------------------


def _with(X, index, value):
    X = np.array(X, dtype=np.float64)
    X[index] = value
    return X


def _equal_to_float64_cast(out, est, bad):
    # Read block by block and cast there: the same arithmetic as the float64 array.
    np.testing.assert_array_equal(out, est.decision_function(np.asarray(bad, dtype=np.float64)))


def table_hostile_inputs(name, n_features):
    """The rows of the table both classifiers answer alike, for valid ``X`` of ``n_features`` columns."""
    return [
        Hostile(
            "nan_in_fit",
            lambda X, r: _with(X, (5, 2), np.nan),
            "fit",
            match=r"X contains NaN or infinity \(first in row 5\); remove or impute",
        ),
        Hostile(
            "inf_in_decision_function",
            lambda X, r: _with(X, (-2, 0), np.inf),
            "transform",
            match=r"NaN or infinity \(first in row 10\).*SimpleImputer",
        ),
        Hostile(
            "no_samples",
            lambda X, r: X[:0],
            "fit",
            make_y=lambda y, r: y[:0],
            match=rf"0 sample\(s\) \(shape=\(0, {n_features}\)\) while a minimum of 1",
        ),
        Hostile("no_samples_decision_function", lambda X, r: X[:0], "transform", match=r"0 sample\(s\).*minimum of 1"),
        Hostile("one_dimensional", lambda X, r: X[0], "fit", match=r"Expected 2D array, got 1D array(.|\n)*Reshape your data"),
        Hostile("one_dimensional_decision_function", lambda X, r: X[0], "transform", match=r"Expected 2D array(.|\n)*Reshape your data"),
        Hostile(
            "wrong_n_features",
            lambda X, r: X[:, :-1],
            "transform",
            match=rf"X has {n_features - 1} features, but {name} is expecting {n_features} features as input.*"
            rf"pass rows of {n_features} features, or refit",
        ),
        Hostile(
            "complex",
            lambda X, r: X.astype(np.complex128),
            "fit",
            match=r"Complex data not supported: X has dtype complex128.*np\.abs\(X\)",
        ),
        Hostile("strings", lambda X, r: np.full(X.shape, "a lot"), "fit", match="could not convert string to float: .*'a lot'"),
        Hostile(
            "y_shorter_than_X",
            lambda X, r: X,
            "fit",
            make_y=lambda y, r: y[:-1],
            match=r"X has 12 rows but y has 11 labels; pass one label per row of X",
        ),
        Hostile(
            "single_class",
            lambda X, r: X,
            "fit",
            make_y=lambda y, r: np.full(len(y), y[0]),
            match=r"y has only one class \('ant'\); a classifier needs samples of at least 2 classes",
        ),
        Hostile(
            "continuous_y",
            lambda X, r: X,
            "fit",
            make_y=lambda y, r: r.normal(size=len(y)),
            match="Unknown label type: continuous.*expects discrete classes",
        ),
        Hostile("nan_in_y", lambda X, r: X, "fit", make_y=lambda y, r: np.r_[np.nan, np.arange(len(y) - 1) % 3], match="y contains NaN"),
        Hostile(
            "y_two_columns",
            lambda X, r: X,
            "fit",
            make_y=lambda y, r: np.c_[y, y],
            match=r"y should be a 1d array, got an array of shape \(12, 2\)",
        ),
        # Accepted, and computed as the float64 array they spell.
        Hostile("float16_rows", lambda X, r: X.astype(np.float16), "fit_transform", error=None, check=_equal_to_float64_cast),
        Hostile("nested_lists", lambda X, r: X.tolist(), "fit_transform", error=None, check=_equal_to_float64_cast),
        Hostile(
            "integer_rows",
            lambda X, r: np.round(X * 10).astype(np.int32),
            "fit_transform",
            error=None,
            check=_equal_to_float64_cast,
        ),
    ]


def _table_memory(d):
    # 40,000 rows of d float64 are 1.5 MiB (d = 5): a copy of X would pass
    # the slack, while the few block-sized temporaries of working_memory
    # (0.05 MiB: a cast block, its window means, a mask) do not.
    return Memory(make=lambda n, rng: rows(rng, n=n, d=d), n_small=8, n_large=40_000, working_memory=0.05, slack=0.4)


_NO_PARALLEL = (
    "no n_jobs: fit and decision_function are BLAS products on blocks of rows (threaded by BLAS); "
    "the blocks of decision_function follow working_memory, checked by test_output_does_not_depend_on_working_memory"
)
_NO_BACKEND = "no backend parameter: NumPy and BLAS only, no numba or cupy path"
_NO_DASK = (
    "no transform for the dask backend or blockwise_transform to distribute: a predictor runs in one process "
    "(under dask it is fitted and scored in GridSearchCV's workers like any scikit-learn classifier)"
)


def _same_as_unscaled(out, est, bad):
    # standardize scales before any product: the model of the unscaled rows.
    unscaled = BlockRidgeClassifier(alpha=0.5, standardize=True).fit(bad / 1e150, labels(bad))
    np.testing.assert_array_equal(est.predict(bad), unscaled.predict(bad / 1e150))


BLOCK_RIDGE = Spec(
    cls=BlockRidgeClassifier,
    # The primal solver (n > d), exact: the invariances hold to rounding.
    params=dict(alpha=0.5, block_size=4),
    make_X=rows,
    make_y=labels,
    input_kind="table",
    output_method="decision_function",
    # block_size only changes rounding, but of the fit: it is frozen like
    # the rest; decision_function's blocks follow working_memory.
    execution_params=(),
    alternatives=dict(
        alpha=5.0,
        fit_intercept=False,
        standardize=True,
        solver="cg",
        block_size=3,
        compute_dtype="float32",
        tol=1e-3,
        max_iter=50,
    ),
    sklearn_params=[
        dict(),
        dict(solver="dual", block_size=5),
        dict(standardize=True, block_size=7, compute_dtype="float32"),
        dict(solver="cg", block_size=6),
    ],
    hostile=table_hostile_inputs("BlockRidgeClassifier", 5)
    + [
        Hostile("alpha_zero", lambda X, r: X, "fit", params=dict(alpha=0.0), match=r"'alpha' parameter .* range \(0.0, inf\)\. Got 0.0"),
        Hostile("unknown_solver", lambda X, r: X, "fit", params=dict(solver="svd"), match="'solver' parameter .* must be a str among"),
        Hostile("block_size_zero", lambda X, r: X, "fit", params=dict(block_size=0), match="'block_size' parameter"),
        Hostile(
            "overflowing_rows",
            lambda X, r: X * 1e300,
            "fit",
            match=r"the ridge solution overflowed float64 \(max \|X\| = .*\); rescale X \(e\.g\. standardize=True",
        ),
        Hostile(
            "overflowing_rows_standardized",
            lambda X, r: X * 1e150,
            "fit_transform",
            params=dict(standardize=True),
            error=None,
            check=_same_as_unscaled,
        ),
    ],
    invariances=[
        Invariance("training_row_order", _training_row_order(), rtol=1e-10),
        Invariance("feature_order", _feature_order(), rtol=1e-10),
        Invariance("feature_shift", _feature_shift(), rtol=1e-9),
        Invariance("feature_affine_standardized", _positive_channel_affine(), rtol=1e-9, params=dict(standardize=True)),
        Invariance("label_names", _label_names(), rtol=0.0),
    ],
    memory=_table_memory(5),
    skips=dict(
        n_jobs=_NO_PARALLEL,
        backend=_NO_BACKEND,
        dask=_NO_DASK,
        verbose="no verbose parameter: fit is a fixed number of passes over X (the conjugate gradient warns when "
        "it stops short) and decision_function one pass, neither reports progress",
    ),
)


def _maps(rng, n=12):
    """Rows of ``3 x 2 x 2`` maps, channel first."""
    return rows(rng, n=n, d=12)


FACTORED = Spec(
    cls=FactoredLinearClassifier,
    # Few epochs on 12 rows: quick, and enough to move every weight.
    params=dict(
        n_components=2, map_shape=(3, 2, 2), kernel_size=1, learning_rate=0.05, max_iter=3, batch_size=4, random_state=0
    ),
    make_X=_maps,
    make_y=labels,
    input_kind="table",
    output_method="decision_function",
    # batch_size and block_size set the SGD's sampling order (model
    # parameters); verbose only prints fit's epochs.
    execution_params=("verbose",),
    alternatives=dict(
        n_components=4,
        map_shape=(12, 1, 1),
        channel_layout="last",
        kernel_size=None,
        alpha=1e-2,
        max_shift=1,
        learning_rate=0.01,
        momentum=0.5,
        max_iter=1,
        batch_size=3,
        block_size=5,
        random_state=1,
    ),
    sklearn_params=[
        dict(n_components=4, learning_rate=0.05, max_iter=30, batch_size=16),
        dict(n_components=2, learning_rate=0.05, max_iter=20, batch_size=8, block_size=11),
        dict(),
    ],
    hostile=table_hostile_inputs("FactoredLinearClassifier", 12)
    + [
        Hostile(
            "map_shape_wrong_size",
            lambda X, r: X,
            "fit",
            params=dict(map_shape=(3, 2, 3)),
            match=r"map_shape=\(3, 2, 3\) holds C \* H \* W = 18 values, but X has 12 features; pass the \(C, H, W\)",
        ),
        Hostile(
            "map_shape_two_values",
            lambda X, r: X,
            "fit",
            params=dict(map_shape=(3, 4)),
            match=r"map_shape=\(3, 4\) is not three positive ints",
        ),
        Hostile(
            "map_shape_list",
            lambda X, r: X,
            "fit",
            params=dict(map_shape=[3, 2, 2]),
            match="'map_shape' parameter .* instance of 'tuple' or None",
        ),
        Hostile(
            "kernel_larger_than_map",
            lambda X, r: X,
            "fit",
            params=dict(kernel_size=3),
            match=r"kernel_size=3 is larger than the map, of shape \(H, W\) = \(2, 2\).*use kernel_size <= 2",
        ),
        Hostile(
            "shift_past_the_map",
            lambda X, r: X,
            "fit",
            params=dict(max_shift=2),
            match=r"max_shift=2 would shift whole maps of shape \(H, W\) = \(2, 2\).*use max_shift <= 1",
        ),
        Hostile("momentum_one", lambda X, r: X, "fit", params=dict(momentum=1.0), match=r"'momentum' parameter .* range \[0.0, 1.0\)"),
        Hostile("verbose_negative", lambda X, r: X, "fit", params=dict(verbose=-1), match="'verbose' parameter"),
        Hostile(
            "diverging_learning_rate",
            lambda X, r: X,
            "fit",
            params=dict(learning_rate=1e30),
            match=r"SGD diverged in epoch \d .* learning_rate=1e\+30; lower learning_rate",
        ),
        Hostile(
            "overflowing_rows",
            lambda X, r: X * 1e200,
            "fit",
            match=r"channel statistics of X overflowed float64 \(max \|X\| = .*\); rescale X",
        ),
    ],
    # Not invariant to the order of the training rows (the SGD's minibatches
    # are cut by position from the order random_state draws) nor to that of
    # the channels (the initial bottleneck is drawn channel by channel).
    invariances=[
        # The frozen normalisation undoes a positive scale and a shift of
        # each channel exactly; what is left is rounding of the standardised
        # rows, which may flip a float32 bit that the SGD then carries: a
        # float32 tolerance, far below what another model gives.
        Invariance("channel_affine", _positive_channel_affine(d=12, channels=3), rtol=1e-5),
        Invariance("label_names", _label_names(d=12), rtol=0.0),
    ],
    memory=_table_memory(12),
    skips=dict(
        n_jobs=_NO_PARALLEL,
        backend=_NO_BACKEND,
        dask=_NO_DASK,
        verbose="verbose prints fit's epochs (on stdout, as scikit-learn's SGD estimators); decision_function, "
        "one pass of products, reports no progress",
    ),
)
