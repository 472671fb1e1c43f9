"""BlockRidgeClassifier: the same model as RidgeClassifier, fitted a block of rows at a time."""

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skscatter
from skscatter.linear_model import BlockRidgeClassifier
from skscatter.linear_model import _block_ridge as block_ridge
from skscatter.linear_model._tiled import cholesky_in_place, cholesky_solve


def make_problem(n, d, n_classes, seed, offset=3.0):
    rng = np.random.default_rng(seed)
    # Features with a common offset and uneven scales, so that centring matters.
    X = rng.normal(size=(n, d)) * rng.uniform(0.2, 3.0, d) + offset
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    return X, np.array(["cat", "dog", "eel", "fox"])[y]


def assert_same_model(clf, ref, X, rtol=1e-8):
    scale = np.abs(ref.coef_).max()
    assert_array_equal(clf.classes_, ref.classes_)
    k = 1 if len(ref.classes_) == 2 else len(ref.classes_)
    assert clf.coef_.shape == ((X.shape[1],) if k == 1 else (k, X.shape[1])) and clf.intercept_.shape == (k,)
    # scikit-learn < 1.9 gave binary coef_ the shape (1, n_features).
    assert_allclose(clf.coef_, np.reshape(ref.coef_, clf.coef_.shape), rtol=rtol, atol=rtol * scale)
    intercept = np.broadcast_to(np.ravel(ref.intercept_), (k,))  # a scalar 0.0 without fit_intercept
    assert_allclose(clf.intercept_, intercept, rtol=rtol, atol=rtol * np.abs(intercept).max())
    scores = ref.decision_function(X)
    assert_allclose(clf.decision_function(X), scores, rtol=rtol, atol=rtol * np.abs(scores).max())
    assert_array_equal(clf.predict(X), ref.predict(X))


@pytest.mark.parametrize("solver", ["primal", "dual", "auto"])
@pytest.mark.parametrize("n, d", [(150, 20), (30, 70)], ids=["n>d", "d>n"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_equals_ridge_classifier(solver, n, d, n_classes, global_random_seed):
    X, y = make_problem(n, d, n_classes, global_random_seed)
    ref = RidgeClassifier(alpha=0.3).fit(X, y)
    clf = BlockRidgeClassifier(alpha=0.3, solver=solver, block_size=16).fit(X, y)
    assert_same_model(clf, ref, X)
    assert clf.solver_ == (solver if solver != "auto" else ("dual" if d > n else "primal"))


@pytest.mark.parametrize("solver", ["primal", "dual", "cg"])
def test_without_intercept_equals_ridge_classifier(solver, global_random_seed):
    X, y = make_problem(60, 25, 3, global_random_seed)
    ref = RidgeClassifier(alpha=2.0, fit_intercept=False).fit(X, y)
    clf = BlockRidgeClassifier(alpha=2.0, fit_intercept=False, solver=solver, block_size=9, tol=1e-12).fit(X, y)
    # Without centring the offset of 3 makes the system ill-conditioned: the
    # conjugate gradient's residual bounds the error less tightly.
    assert_same_model(clf, ref, X, rtol=1e-8 if solver != "cg" else 1e-6)
    assert_array_equal(clf.intercept_, 0.0)


@pytest.mark.parametrize("solver", ["primal", "dual", "cg"])
def test_standardize_equals_standard_scaler_in_front(solver, global_random_seed):
    X, y = make_problem(80, 30, 3, global_random_seed)
    X[:, 4] = 7.0  # a constant column keeps scale 1, as in StandardScaler
    ref = make_pipeline(StandardScaler(), RidgeClassifier(alpha=1.5)).fit(X, y)
    clf = BlockRidgeClassifier(alpha=1.5, standardize=True, solver=solver, block_size=13, tol=1e-12).fit(X, y)
    assert_allclose(clf.mean_, ref[0].mean_, rtol=1e-12)
    assert_allclose(clf.scale_, ref[0].scale_, rtol=1e-12)
    scores = ref.decision_function(X)
    assert_allclose(clf.decision_function(X), scores, rtol=1e-8, atol=1e-8 * np.abs(scores).max())
    assert_array_equal(clf.predict(X), ref.predict(X))


@pytest.mark.parametrize("solver", ["primal", "dual", "cg"])
def test_block_size_changes_only_rounding(solver, global_random_seed):
    X, y = make_problem(53, 41, 3, global_random_seed)
    fits = [
        BlockRidgeClassifier(alpha=0.5, solver=solver, block_size=b, tol=1e-13).fit(X, y) for b in (1, 5, 16, 53, 1000)
    ]
    for clf in fits[1:]:  # 5 and 16 divide neither n nor d
        assert_allclose(clf.coef_, fits[0].coef_, rtol=1e-10, atol=1e-12)
        assert_allclose(clf.intercept_, fits[0].intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["primal", "dual"])
def test_tiles_change_only_rounding(solver, monkeypatch, global_random_seed):
    # Factorisation tiles of 7 (not dividing n or d), and the primal's
    # tile-by-tile accumulation meant for matrices past 2**31 elements.
    X, y = make_problem(45, 38, 3, global_random_seed)
    ref = RidgeClassifier(alpha=0.5).fit(X, y)
    monkeypatch.setattr(block_ridge, "TILE", 7)
    monkeypatch.setattr(block_ridge, "MAX_ELEMENTS", 10)
    assert_same_model(BlockRidgeClassifier(alpha=0.5, solver=solver, block_size=10).fit(X, y), ref, X)


def test_auto_block_size_follows_the_working_memory(global_random_seed):
    X, y = make_problem(300, 4000, 3, global_random_seed)  # X: 9.6 MB
    ref = BlockRidgeClassifier(alpha=3.0, block_size=300).fit(X, y)
    with skscatter.config_context(working_memory=1):  # blocks of 32 rows of 4000 float64 (1 MiB)
        tracemalloc.start()
        try:
            clf = BlockRidgeClassifier(alpha=3.0).fit(X, y)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert_allclose(clf.decision_function(X), ref.decision_function(X), rtol=1e-10, atol=1e-10)
    # The n x n matrix (0.72 MB) and three blocks; a single block of 300 rows would be 9.6 MB.
    assert peak < 300 * 300 * 8 + 4 * 2**20, peak
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["primal", "dual", "cg"])
def test_float16_input_equals_its_float64_cast(solver, global_random_seed):
    X, y = make_problem(90, 60, 3, global_random_seed)
    X16 = X.astype(np.float16)
    a = BlockRidgeClassifier(solver=solver, block_size=32).fit(X16, y)
    b = BlockRidgeClassifier(solver=solver, block_size=32).fit(X16.astype(np.float64), y)
    assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(a.intercept_, b.intercept_, rtol=1e-12, atol=1e-14)
    assert_allclose(a.decision_function(X16), b.decision_function(X16.astype(np.float64)), rtol=1e-12, atol=1e-13)


def test_float32_compute_is_close(global_random_seed):
    X, y = make_problem(200, 30, 3, global_random_seed)
    ref = RidgeClassifier(alpha=1.0).fit(X, y)
    clf = BlockRidgeClassifier(alpha=1.0, compute_dtype="float32", block_size=64).fit(X, y)
    assert clf.coef_.dtype == np.float64
    scores = ref.decision_function(X)
    assert_allclose(clf.decision_function(X), scores, atol=1e-4 * np.abs(scores).max())


def test_memmap_input(tmp_path, global_random_seed):
    X, y = make_problem(70, 12, 2, global_random_seed)
    mm = np.memmap(tmp_path / "x.dat", dtype=np.float16, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    mm = np.memmap(tmp_path / "x.dat", dtype=np.float16, mode="r", shape=X.shape)  # read-only: never written
    clf = BlockRidgeClassifier(block_size=8).fit(mm, y)
    ref = BlockRidgeClassifier(block_size=8).fit(np.array(mm, dtype=np.float64), y)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-12, atol=1e-14)
    assert_array_equal(clf.predict(mm), ref.predict(X.astype(np.float16)))


def test_fit_memory_is_bounded_by_the_d_by_d_matrix():
    # n = 4000, d = 300: X is 9.6 MB of float64; the d x d matrix 0.72 MB and
    # a block of 256 rows 0.61 MB.  A copy of X would break the bound.
    rng = np.random.default_rng(0)
    n, d, block = 4000, 300, 256
    X = rng.normal(size=(n, d)) + 1.0
    y = rng.integers(0, 5, n)
    BlockRidgeClassifier(block_size=block).fit(X[:50], y[:50])  # imports and caches outside the measure
    tracemalloc.start()
    try:
        clf = BlockRidgeClassifier(block_size=block).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    bound = d * d * 8 + 2 * block * d * 8 + 20 * n * 8  # the matrix, two blocks, per-sample labels
    assert peak < bound < X.nbytes, (peak, bound)
    assert clf.solver_ == "primal"


def test_dual_memory_is_bounded_by_the_n_by_n_matrix():
    rng = np.random.default_rng(0)
    n, d, block = 300, 4000, 32
    X = rng.normal(size=(n, d))
    y = rng.integers(0, 3, n)
    BlockRidgeClassifier(block_size=block).fit(X[:, :50], y)
    tracemalloc.start()
    try:
        clf = BlockRidgeClassifier(block_size=block).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # The n x n matrix (0.72 MB) and a tile product; two blocks of 32 rows
    # (1 MB each) and one in the making; weights (d x 3).
    bound = 2 * n * n * 8 + 3 * block * d * 8 + 4 * d * 3 * 8
    assert peak < bound < X.nbytes, (peak, bound)
    assert clf.solver_ == "dual"


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("n, d", [(150, 20), (30, 70)], ids=["n>d", "d>n"])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_cg_equals_ridge_classifier(n, d, n_classes, standardize, global_random_seed):
    X, y = make_problem(n, d, n_classes, global_random_seed)
    ref = make_pipeline(StandardScaler(with_mean=False), RidgeClassifier(alpha=0.3)) if standardize else None
    ref = RidgeClassifier(alpha=0.3).fit(X, y) if not standardize else ref.fit(X, y)[-1]
    Xr = X / X.std(axis=0) if standardize else X  # what the reference's coefficients apply to
    clf = BlockRidgeClassifier(alpha=0.3, standardize=standardize, solver="cg", tol=1e-10, block_size=16).fit(X, y)
    assert clf.solver_ == "cg" and clf.n_iter_.shape == ((1,) if n_classes == 2 else (n_classes,))
    assert np.all(clf.n_iter_ >= 2) and np.all(clf.n_iter_ <= 2 * d)
    coef = clf.coef_ * clf.scale_ if standardize else clf.coef_  # on the standardised features
    scale = np.abs(ref.coef_).max()
    assert_allclose(coef, np.reshape(ref.coef_, coef.shape), rtol=1e-6, atol=1e-6 * scale)
    scores = ref.decision_function(Xr)
    assert_allclose(clf.decision_function(X), scores, rtol=1e-6, atol=1e-6 * np.abs(scores).max())
    assert_array_equal(clf.predict(X), ref.predict(Xr))


def test_cg_tol_bounds_the_residual(global_random_seed):
    # The stopping rule itself: the residual of the normal equations, each
    # class's relative to its right-hand side, recomputed from the weights.
    X, y = make_problem(120, 15, 3, global_random_seed)
    X16 = X.astype(np.float16)
    Xc = X16.astype(np.float64) - X16.astype(np.float64).mean(axis=0)
    Y = np.where(np.unique(y, return_inverse=True)[1][:, None] == np.arange(3), 1.0, -1.0)
    Yc = Y - Y.mean(axis=0)
    rhs = Xc.T @ Yc
    for tol in (1e-2, 1e-5, 1e-9):
        W = BlockRidgeClassifier(alpha=0.7, solver="cg", tol=tol, block_size=32).fit(X16, y).coef_.T
        residual = np.linalg.norm(rhs - (Xc.T @ (Xc @ W) + 0.7 * W), axis=0) / np.linalg.norm(rhs, axis=0)
        assert np.all(residual <= tol * 1.01), (tol, residual)
    assert residual.max() > 1e-14  # the solve above stopped early, not an exact one


def test_cg_warns_when_max_iter_is_reached(global_random_seed):
    X, y = make_problem(60, 20, 3, global_random_seed)
    with pytest.warns(ConvergenceWarning, match="did not reach tol=1e-06 in max_iter=1 iterations for 3 of 3"):
        clf = BlockRidgeClassifier(solver="cg", max_iter=1).fit(X, y)
    assert_array_equal(clf.n_iter_, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        BlockRidgeClassifier(solver="cg").fit(X, y)  # the default max_iter suffices


def test_auto_picks_cg_past_the_matrix_budget(global_random_seed):
    X, y = make_problem(40, 30, 3, global_random_seed)
    assert BlockRidgeClassifier().fit(X, y).solver_ == "primal"
    # The 30 x 30 matrix is 7,200 bytes in float64; 64 working memories of
    # 100 bytes are 6,400 bytes, of 120 bytes 7,680.
    with skscatter.config_context(working_memory=100 / 2**20):
        clf = BlockRidgeClassifier(tol=1e-10).fit(X, y)
        assert clf.solver_ == "cg"
        assert BlockRidgeClassifier(compute_dtype="float32").fit(X, y).solver_ == "primal"  # half the bytes
    with skscatter.config_context(working_memory=120 / 2**20):
        assert BlockRidgeClassifier().fit(X, y).solver_ == "primal"
    wide = np.hstack([X, X[:, :10] ** 2])[:30]  # n = 30 < d = 40: the smaller matrix is the 30 x 30 dual
    assert BlockRidgeClassifier().fit(wide, y[:30]).solver_ == "dual"
    with skscatter.config_context(working_memory=100 / 2**20):
        assert BlockRidgeClassifier().fit(wide, y[:30]).solver_ == "cg"
    assert_allclose(clf.decision_function(X), RidgeClassifier().fit(X, y).decision_function(X), rtol=1e-7, atol=1e-7)


def test_cg_memory_is_bounded_by_blocks():
    # n = 1000, d = 3000: the d x d matrix would be 72 MB, the n x n one
    # 8 MB, X (float32) 12 MB; a block of 64 rows cast to float64 1.5 MB.
    rng = np.random.default_rng(0)
    n, d, block = 1000, 3000, 64
    X = (rng.normal(size=(n, d)) + 1.0).astype(np.float32)
    y = rng.integers(0, 5, n)
    BlockRidgeClassifier(solver="cg", block_size=block).fit(X[:50, :40], y[:50])  # caches outside the measure
    tracemalloc.start()
    try:
        clf = BlockRidgeClassifier(alpha=30.0, solver="cg", block_size=block).fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Two blocks (one cast, one in a product's temporary), ten (d, 5) arrays, per-sample labels.
    bound = 2 * block * d * 8 + 10 * d * 5 * 8 + 20 * n * 8
    assert peak < bound < n * n * 8, (peak, bound)
    assert clf.solver_ == "cg"
    ref = BlockRidgeClassifier(alpha=30.0, solver="dual", compute_dtype="float32").fit(X, y)
    scores = ref.decision_function(X[:100])
    assert_allclose(clf.decision_function(X[:100]), scores, atol=1e-4 * np.abs(scores).max())


def test_exact_solvers_report_one_iteration():
    X, y = make_problem(20, 4, 2, 0)
    # One direct solve, reported as one iteration (sklearn's n_iter_ convention).
    assert_array_equal(BlockRidgeClassifier(solver="primal").fit(X, y).n_iter_, [1])
    assert_array_equal(BlockRidgeClassifier(solver="dual").fit(X, y).n_iter_, [1])


@pytest.mark.parametrize("n, tile", [(1, 4), (10, 3), (17, 5), (16, 4), (9, 100)])
def test_tiled_cholesky_reads_only_the_lower_triangle(n, tile, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    M = rng.normal(size=(n, n + 2))
    A = M @ M.T + 0.1 * np.eye(n)
    B = rng.normal(size=(n, 3))
    work = A.copy()
    work[np.triu_indices(n, 1)] = np.nan  # must never be read
    cholesky_in_place(work, tile)
    L = np.tril(work)
    assert np.all(np.isfinite(L))
    assert_allclose(L, np.linalg.cholesky(A), rtol=1e-10, atol=1e-12)
    Z = cholesky_solve(work, B.copy(), tile)
    assert_allclose(A @ Z, B, rtol=1e-9, atol=1e-9)


def test_pickle_and_clone(global_random_seed):
    X, y = make_problem(40, 10, 3, global_random_seed)
    clf = BlockRidgeClassifier(alpha=0.2, block_size=7).fit(X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.decision_function(X), clf.decision_function(X))
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "coef_")


def test_set_params_after_fit_does_not_move_predictions(global_random_seed):
    X, y = make_problem(40, 10, 3, global_random_seed)
    clf = BlockRidgeClassifier(alpha=0.2, block_size=7).fit(X, y)
    before = clf.decision_function(X)
    clf.set_params(alpha=50.0, solver="dual", standardize=True, block_size=3, fit_intercept=False)
    assert_array_equal(clf.decision_function(X), before)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(alpha=0.0), "'alpha' parameter .* must be a float in the range \\(0.0, inf\\). Got 0.0 instead"),
        (dict(alpha=-1.0), "'alpha' parameter"),
        (dict(solver="svd"), "'solver' parameter .* must be a str among"),
        (dict(block_size=0), "'block_size' parameter .* must be an int in the range \\[1, inf\\)"),
        (dict(block_size=True), "'block_size' parameter"),
        (dict(compute_dtype="float16"), "'compute_dtype' parameter"),
        (dict(tol=-1e-3), "'tol' parameter .* must be a float in the range \\[0.0, inf\\)"),
        (dict(max_iter=0), "'max_iter' parameter .* must be an int in the range \\[1, inf\\) or None"),
    ],
)
def test_invalid_parameters_are_named(params, match):
    X, y = make_problem(20, 4, 2, 0)
    with pytest.raises(ValueError, match=match):
        BlockRidgeClassifier(**params).fit(X, y)


def test_nan_is_refused_in_fit_and_predict():
    X, y = make_problem(30, 4, 2, 0)
    bad = X.copy()
    bad[17, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity \\(first in row 17\\); remove or impute"):
        BlockRidgeClassifier(block_size=4).fit(bad, y)
    clf = BlockRidgeClassifier(block_size=4).fit(X, y)
    bad[17, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity \\(first in row 17\\)"):
        clf.predict(bad)


def test_one_class_is_refused():
    X, _ = make_problem(10, 3, 2, 0)
    with pytest.raises(ValueError, match="y has only one class \\('a'\\); a classifier needs samples of at least 2"):
        BlockRidgeClassifier().fit(X, ["a"] * 10)
    with pytest.raises(ValueError, match="y has only one class \\('b'\\)"):
        BlockRidgeClassifier().fit(X, np.array(["b"] * 10, dtype=object))


@pytest.mark.parametrize("solver", ["primal", "dual", "cg"])
def test_overflow_is_one_error(solver):
    X, y = make_problem(20, 4, 2, 0)
    with pytest.raises(ValueError, match="overflowed float64 \\(max \\|X\\| = .*\\); rescale X"):
        BlockRidgeClassifier(solver=solver).fit(X * 1e300, y)
    # standardize divides by the scale before any product: the same fit works.
    clf = BlockRidgeClassifier(solver=solver, standardize=True).fit(X * 1e150, y)
    ref = BlockRidgeClassifier(solver=solver, standardize=True).fit(X, y)
    assert_array_equal(clf.predict(X * 1e150), ref.predict(X))


def test_feature_count_is_checked():
    X, y = make_problem(20, 4, 2, 0)
    clf = BlockRidgeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but BlockRidgeClassifier is expecting 4"):
        clf.predict(X[:, :3])
