import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import ScatteringTransformer
from skscatter.scattering._filter_bank import filter_bank


@pytest.fixture(scope="module")
def golden(data_dir):
    path = data_dir / "golden" / "kymatio_scattering2d.npz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return dict(np.load(path, allow_pickle=False))


# -- agreement with the reference --------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("max_order", [1, 2])
def test_matches_kymatio_golden_output(golden, backend, max_order):
    x, J, Sx = golden["x"], int(golden["J"]), golden["Sx"]
    n, C = x.shape[:2]
    # The golden batch is (2, 3, 32, 32): colour channels first.
    est = ScatteringTransformer(J=J, max_order=max_order, n_channels=C, channel_layout="first", backend=backend)
    out = est.fit_transform(x.reshape(n, -1))
    assert out.dtype == np.float32
    expected = Sx[:, :, : est.n_paths_]
    np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=1e-5, atol=0)


def test_golden_input_as_4d_array_either_layout(golden):
    x, J, Sx = golden["x"], int(golden["J"]), golden["Sx"]
    first = ScatteringTransformer(J=J, channel_layout="first").fit_transform(x)
    last = ScatteringTransformer(J=J, channel_layout="last").fit_transform(np.moveaxis(x, 1, -1))
    np.testing.assert_allclose(first.reshape(Sx.shape), Sx, rtol=1e-5, atol=0)
    np.testing.assert_array_equal(first, last)


@pytest.mark.parametrize("n_jobs", [1, 2, -1])
def test_backends_and_thread_counts_agree(n_jobs, global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(7, 20 * 12)).astype(np.float32)
    reference = ScatteringTransformer(J=2, shape=(20, 12), backend="numpy", n_jobs=1).fit_transform(X)
    numba_out = ScatteringTransformer(J=2, shape=(20, 12), backend="numba", n_jobs=n_jobs).fit_transform(X)
    np.testing.assert_allclose(numba_out, reference, rtol=2e-5, atol=1e-6)
    serial = ScatteringTransformer(J=2, shape=(20, 12), n_jobs=1).fit_transform(X)
    np.testing.assert_array_equal(numba_out, serial)


def test_batch_size_does_not_change_the_result(global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(9, 64))
    full = ScatteringTransformer(J=2, batch_size=100).fit_transform(X)
    for batch_size in (1, 4, "auto"):
        np.testing.assert_array_equal(ScatteringTransformer(J=2, batch_size=batch_size).fit_transform(X), full)


# -- layout, shapes, dtypes ------------------------------------------------------


def test_colour_layouts_are_explicit_and_equivalent(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    hwc = rng.random((4, 12, 10, 3))
    chw = np.moveaxis(hwc, -1, 1)
    a = ScatteringTransformer(J=1, n_channels=3, shape=(12, 10)).fit_transform(hwc.reshape(4, -1))
    b = ScatteringTransformer(J=1, n_channels=3, shape=(12, 10), channel_layout="first").fit_transform(chw.reshape(4, -1))
    c = ScatteringTransformer(J=1).fit_transform(hwc)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    # Each channel is the grey scattering of that channel.
    grey = ScatteringTransformer(J=1).fit_transform(hwc[..., 1])
    np.testing.assert_array_equal(a.reshape(4, 3, -1)[:, 1], grey)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.uint8, np.float64)])
def test_output_dtype_follows_input(dtype, expected):
    X = (np.arange(2 * 64) % 7).reshape(2, 64).astype(dtype)
    assert ScatteringTransformer(J=1).fit_transform(X).dtype == expected


@pytest.mark.parametrize("shape, J", [((28, 28), 2), ((32, 32), 5), ((45, 45), 3), ((7, 30), 3), ((1, 6), 2), ((1, 2), 1)])
def test_output_shape_and_feature_names(shape, J):
    X = np.random.default_rng(0).random((2, shape[0] * shape[1]))
    est = ScatteringTransformer(J=J, L=4, shape=shape).fit(X)
    Xt = est.transform(X)
    Ho, Wo = max(1, shape[0] // 2**J), max(1, shape[1] // 2**J)
    assert est.output_shape_ == (Ho, Wo)
    assert Xt.shape == (2, est.n_paths_ * Ho * Wo)
    names = est.get_feature_names_out()
    assert len(names) == Xt.shape[1] == len(set(names))
    assert np.isfinite(Xt).all()


def test_feature_names_encode_order_scale_angle_colour_position():
    est = ScatteringTransformer(J=2, L=2, n_channels=2, shape=(8, 8)).fit(np.zeros((1, 128)))
    names = est.get_feature_names_out().reshape(2, est.n_paths_, 2, 2)
    assert names[0, 0, 0, 0] == "c0_s0_y0_x0"
    assert names[1, 1, 0, 1] == "c1_s1_j0_t0_y0_x1"
    assert names[1, 4, 1, 1] == "c1_s1_j1_t1_y1_x1"
    assert names[0, 5, 1, 0] == "c0_s2_j0_t0_j1_t0_y1_x0"
    mean = ScatteringTransformer(J=2, L=2, output="mean", shape=(8, 8)).fit(np.zeros((1, 64)))
    assert mean.get_feature_names_out().tolist()[-1] == "s2_j0_t1_j1_t1"


def test_roto_translation_paths_and_names():
    # J=3, L=8 (the authors'): 28 angular outputs per (j1, j2, theta2).
    X = np.random.default_rng(0).normal(size=(2, 32, 32, 3))
    est = ScatteringTransformer(J=3, L=8, second_order="roto-translation").fit(X)
    assert est.n_paths_ == 1 + 3 * 8 + 28 * 8 * 3 == len(est.paths_)
    assert est.angular_filters_.shape == (28, 8) and len(est.angular_labels_) == 28
    names = est.get_feature_names_out().reshape(3, est.n_paths_, 4, 4)
    assert names[0, 25, 0, 0] == "c0_s2_j0_k0p_a0_j1_t0_y0_x0"
    assert names[2, -1, 3, 3] == "c2_s2_j1_lp_a3_j2_t7_y3_x3"
    # Orders 0 and 1 are the translation layer's.
    translation = ScatteringTransformer(J=3, L=8).fit(X)
    Xt = est.transform(X).reshape(2, 3, est.n_paths_, 16)
    np.testing.assert_allclose(Xt[:, :, :25], translation.transform(X).reshape(2, 3, -1, 16)[:, :, :25], rtol=1e-12)
    # float32 and the array-expression backend compute the same function.
    np.testing.assert_allclose(est.transform(X.astype(np.float32)), Xt.reshape(2, -1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(est.set_params(backend="numpy", n_jobs=2).transform(X), Xt.reshape(2, -1), rtol=1e-12)
    # A property of the fitted model: set_params without refit keeps it.
    assert est.set_params(second_order="translation").transform(X).shape == (2, 3 * est.n_paths_ * 16)


def test_mean_output_is_the_average_of_the_maps(global_random_seed):
    X = np.random.default_rng(global_random_seed).random((3, 256))
    maps = ScatteringTransformer(J=2, L=4).fit_transform(X)
    est = ScatteringTransformer(J=2, L=4, output="mean").fit(X)
    np.testing.assert_allclose(est.transform(X), maps.reshape(3, est.n_paths_, -1).mean(axis=2), rtol=1e-12)


def test_log_output(global_random_seed):
    X = np.random.default_rng(global_random_seed).random((3, 256))
    S = ScatteringTransformer(J=2, L=4).fit_transform(X)
    logS = ScatteringTransformer(J=2, L=4, log=True, log_eps=1e-3).fit_transform(X)
    np.testing.assert_allclose(logS, np.log(np.abs(S) + 1e-3), rtol=1e-12)


def test_set_output_pandas_uses_feature_names():
    pd = pytest.importorskip("pandas")
    X, _ = load_digits(return_X_y=True)
    est = ScatteringTransformer(J=1, shape=(8, 8)).set_output(transform="pandas")
    df = est.fit_transform(X[:3])
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(est.get_feature_names_out())


def test_set_params_then_fit_changes_the_output():
    X, _ = load_digits(return_X_y=True)
    est = ScatteringTransformer(J=1, shape=(8, 8)).fit(X[:2])
    assert est.transform(X[:2]).shape == (2, 9 * 16)
    est.set_params(J=2).fit(X[:2])
    assert est.transform(X[:2]).shape == (2, 81 * 4)


def test_clones_share_the_cached_filter_bank_and_pickles_stay_small():
    X = np.zeros((2, 32 * 32))
    a = ScatteringTransformer(J=3).fit(X)
    b = clone(a).fit(X)
    assert a.filters_.psi[0] is b.filters_.psi[0]
    blob = pickle.dumps(a)
    assert len(blob) < 10_000  # the filters are rebuilt from the cache, not stored
    c = pickle.loads(blob)
    assert c.filters_.psi[0] is a.filters_.psi[0]
    np.testing.assert_array_equal(c.transform(X), a.transform(X))


# -- invariances -----------------------------------------------------------------


def test_translation_by_2_to_the_J_barely_changes_the_global_average(global_random_seed):
    # An object away from the borders, moved by 2**J pixels (circularly, so
    # nothing crosses the border): the averaged output is nearly unchanged.
    rng = np.random.default_rng(global_random_seed)
    J = 2
    yy, xx = np.mgrid[:48, :48]
    window = np.exp(-((yy - 23.5) ** 2 + (xx - 23.5) ** 2) / (2 * 4.0**2))
    image = rng.normal(size=(48, 48)) * window
    shifted = np.roll(image, (2**J, -(2**J)), axis=(0, 1))
    est = ScatteringTransformer(J=J, output="mean").fit(image[None])
    a, b = est.transform(np.stack([image, shifted]))
    assert np.linalg.norm(a - b) / np.linalg.norm(a) < 1e-3


def test_translation_by_2_to_the_J_shifts_the_maps_by_one_sample(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    yy, xx = np.mgrid[:48, :48]
    image = rng.normal(size=(48, 48)) * np.exp(-((yy - 23.5) ** 2 + (xx - 21.5) ** 2) / (2 * 4.0**2))
    est = ScatteringTransformer(J=2, L=4).fit(image[None])
    a, b = est.transform(np.stack([image, np.roll(image, 4, axis=1)])).reshape(2, est.n_paths_, 12, 12)
    # Columns move by one coarse sample; the ones entering or leaving the
    # frame are compared with nothing.
    np.testing.assert_allclose(b[..., 1:], a[..., :-1], rtol=0, atol=1e-4 * np.abs(a).max())


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(J=4), np.zeros((2, 64)), r"J=4 is too large for images of shape \(8, 8\).*use J <= 3"),
        (dict(J=1), np.zeros((2, 1)), r"n_features = 1.*at least 2 pixels"),
        (dict(L=0), np.zeros((2, 64)), r"'L' parameter.*Got 0"),
        (dict(backend="torch"), np.zeros((2, 64)), r"'backend' parameter.*Got 'torch'"),
        (dict(max_order=3), np.zeros((2, 64)), r"'max_order' parameter"),
        (dict(shape=(8, 9)), np.zeros((2, 64)), r"72.*fix shape or n_channels"),
        (dict(shape=(8, -8)), np.zeros((2, 64)), r"shape=\(8, -8\) must be a pair of positive ints"),
        (dict(n_channels=3), np.zeros((2, 64)), r"not a multiple of n_channels=3"),
        (dict(n_channels=2), np.zeros((2, 8, 8, 3)), r"3 channels on its last axis.*n_channels=2"),
        (dict(shape=(4, 4)), np.zeros((2, 8, 8)), r"images of shape \(8, 8\), but shape=\(4, 4\)"),
        (dict(), np.zeros((2, 2, 2, 2, 2)), r"5 dimensions"),
        (dict(), np.array([[0.0, np.nan, 1.0, 2.0]]), r"NaN"),
        (dict(), np.array([[0.0, np.inf, 1.0, 2.0]]), r"infinity"),
        (dict(), np.zeros((0, 64)), r"no images.*at least one sample"),
        (dict(), np.array([["a", "b", "c", "d"]], dtype=object), r"could not convert|string"),
    ],
)
def test_bad_input_raises_a_value_error_naming_the_problem(params, X, match):
    params = {"J": 1, **params}
    with pytest.raises(ValueError, match=match):
        ScatteringTransformer(**params).fit(X)


def test_transform_rejects_a_different_layout():
    est = ScatteringTransformer(J=1).fit(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="expecting 64 features"):
        est.transform(np.zeros((2, 100)))
    with pytest.raises(ValueError, match=r"shape \(4, 16\).*fitted on shape \(8, 8\)"):
        est.transform(np.zeros((2, 4, 16)))


def test_non_square_flat_input_without_shape_warns():
    with pytest.warns(UserWarning, match="1 x 10 image"):
        ScatteringTransformer(J=1).fit(np.zeros((2, 10)))


def test_float32_near_its_limit_is_computed_in_float64_and_overflow_is_reported():
    X = np.full((1, 64), 3e38, dtype=np.float32)
    X[0, ::2] = -3e38
    got = ScatteringTransformer(J=1).fit_transform(X)
    expected = ScatteringTransformer(J=1).fit_transform(X.astype(np.float64))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())
    with pytest.raises(ValueError, match=r"overflowed float64 \(max \|X\| = 1.7e\+308\); rescale X"):
        ScatteringTransformer(J=1).fit_transform(np.full((1, 64), 1.7e308))


def test_backend_cupy_without_cupy_is_an_import_error(monkeypatch):
    monkeypatch.setenv("SKSCATTER_DISABLE_CUPY", "1")
    est = ScatteringTransformer(J=1, backend="cupy").fit(np.zeros((2, 64)))
    with pytest.raises(ImportError, match="cupy"):
        est.transform(np.zeros((2, 64)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    H=st.integers(1, 20),
    W=st.integers(1, 20),
    C=st.integers(1, 3),
    J=st.integers(1, 4),
    L=st.integers(1, 5),
    max_order=st.sampled_from([1, 2]),
    second_order=st.sampled_from(["translation", "roto-translation"]),
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.uint8]),
    scale=st.sampled_from([1e-30, 1.0, 1e6, 1e30]),
    output=st.sampled_from(["maps", "mean"]),
    log=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_random_configurations_never_crash_or_return_nan(
    H, W, C, J, L, max_order, second_order, dtype, scale, output, log, seed
):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, H, W, C)) * scale
    if np.dtype(dtype).kind in "iu":
        X = np.clip(X, np.iinfo(dtype).min, np.iinfo(dtype).max)
    X = X.astype(dtype)
    est = ScatteringTransformer(J=J, L=L, max_order=max_order, second_order=second_order, output=output, log=log)
    if 2**J > max(H, W):
        with pytest.raises(ValueError, match="too large|at least 2 pixels"):
            est.fit(X)
        return
    if second_order == "roto-translation" and max_order == 2 and L < 4:
        with pytest.raises(ValueError, match="L >= 4"):
            est.fit(X)
        return
    try:
        Xt = est.fit_transform(X)
    except ValueError as exc:
        # The only other admissible failure: float32 overflow, reported.
        assert "overflowed" in str(exc) and X.dtype == np.float32
        return
    assert Xt.shape == (2, len(est.get_feature_names_out()))
    assert np.isfinite(Xt).all()


# -- in a pipeline ---------------------------------------------------------------


def test_grid_search_over_J_in_a_pipeline_on_digits():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    pipe = Pipeline(
        [
            ("scattering", ScatteringTransformer(shape=(8, 8))),
            ("scaler", StandardScaler()),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    )
    search = GridSearchCV(pipe, param_grid={"scattering__J": [1, 2]}, cv=3).fit(X, y)
    assert search.best_params_["scattering__J"] in (1, 2)
    assert search.best_score_ > 0.85
    assert search.best_estimator_.named_steps["scattering"].n_features_in_ == 64


def test_filter_bank_attribute_matches_cache():
    est = ScatteringTransformer(J=2).fit(np.zeros((1, 32 * 32)))
    assert est.filters_ is filter_bank(40, 40, 2, 8, np.float64)


def test_process_based_joblib_backend_gives_the_same_result(global_random_seed):
    # n_jobs goes through joblib: under a process backend (as dask or ray
    # would be) batches run elsewhere and must come back intact.
    from joblib import parallel_config

    X = np.random.default_rng(global_random_seed).random((12, 16 * 16)).astype(np.float32)
    expected = ScatteringTransformer(J=2, L=4, batch_size=3, n_jobs=1).fit_transform(X)
    with parallel_config(backend="loky"):
        got = ScatteringTransformer(J=2, L=4, batch_size=3, n_jobs=2).fit_transform(X)
    np.testing.assert_array_equal(got, expected)
