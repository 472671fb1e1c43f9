import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import WhitenedPatchKNNEncoder
from skscatter.patches._extraction import extract_patches, grid_cells, window_cells
from skscatter.patches._whitening import PatchMoments, zca_whitening
from tests._reference import patch_knn_encoding_reference


def _images(rng, n=4, H=9, W=11, C=3):
    # A smooth part plus noise, so that patches have structure and no ties.
    base = rng.normal(size=(n, H, W, C)).cumsum(axis=1).cumsum(axis=2)
    return (base + 0.5 * rng.normal(size=base.shape)).astype(np.float64)


GPU = pytest.param("cupy", marks=pytest.mark.gpu)


@pytest.mark.parametrize("backend", ["numba", "numpy", GPU])
@pytest.mark.parametrize(
    "params",
    [
        dict(patch_size=3, n_patches=20, n_neighbors=8, stride=1, pooling="grid", grid_size=2),
        dict(patch_size=4, n_patches=16, n_neighbors=0.4, stride=2, pooling="window", pool_size=2, pool_stride=1),
        dict(patch_size=2, n_patches=12, n_neighbors=5, whitening_reg=None, negative=False, pooling="grid", grid_size=3),
        dict(patch_size=3, n_patches=10, n_neighbors=9, whitening_reg=0.5, pooling="window", pool_size=5, pool_stride=3),
        dict(patch_size=3, n_patches=20, n_neighbors=6, query_scale=5.0, pooling="grid", grid_size=2),
    ],
)
def test_encoding_equals_the_float64_definition(backend, params, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    images = _images(rng)
    est = WhitenedPatchKNNEncoder(random_state=0, backend=backend, **params).fit(images)
    got = est.transform(images)
    n_cols = est.pooled_shape_[1]
    rows = [cell[0] for cell in est.pooling_cells_[::n_cols]]
    cols = [cell[1] for cell in est.pooling_cells_[:n_cols]]
    expected = patch_knn_encoding_reference(
        images, est.dictionary_, est.patch_size, est.stride, est.n_neighbors_,
        est.whitening_reg, est.negative, rows, cols, est.query_scale,
    )
    np.testing.assert_allclose(got.reshape(expected.shape), expected, atol=1e-12)
    # The definition puts exactly K ones per position (no ties on continuous data).
    mean_code = got.reshape(expected.shape).mean(axis=(2,)) * est.n_patches
    if params.get("pooling") == "grid":
        np.testing.assert_allclose(mean_code, est.n_neighbors_, rtol=1e-12)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_backends_threads_and_batches_agree_in_float32(n_jobs, global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=7).astype(np.float32)
    reference = WhitenedPatchKNNEncoder(patch_size=3, n_patches=24, random_state=0, backend="numpy").fit(images)
    expected = reference.transform(images)
    assert expected.dtype == np.float32
    for batch_size in (1, 3, "auto"):
        est = WhitenedPatchKNNEncoder(
            patch_size=3, n_patches=24, random_state=0, n_jobs=n_jobs, batch_size=batch_size
        ).fit(images)
        np.testing.assert_array_equal(est.dictionary_, reference.dictionary_)
        np.testing.assert_allclose(est.transform(images), expected, atol=1e-6)


@pytest.mark.parametrize("patch_size, stride", [(3, 1), (2, 2), (4, 3)])
def test_extraction_by_slices_equals_the_sliding_window(patch_size, stride, global_random_seed):
    # The GPU path extracts patches by slicing and stacking.
    from skscatter.patches._extraction import _extract_patches_by_slices

    images = _images(np.random.default_rng(global_random_seed), n=2, H=9, W=10, C=2)
    np.testing.assert_array_equal(
        _extract_patches_by_slices(images, patch_size, stride, np.float32), extract_patches(images, patch_size, stride, np.float32)
    )


@pytest.mark.gpu
def test_gpu_encoding_of_cifar_sized_float32_images_matches_the_cpu(global_random_seed):
    import cupy

    images = _images(np.random.default_rng(global_random_seed), n=20, H=32, W=32).astype(np.float32)
    common = dict(n_patches=256, pooling="pyramid", grid_size=3, query_scale=5.0, random_state=0)
    cpu = WhitenedPatchKNNEncoder(backend="numba", **common).fit(images)
    expected = cpu.transform(images)
    for batch_size in (3, "auto"):
        gpu = WhitenedPatchKNNEncoder(backend="cupy", batch_size=batch_size, **common).fit(images)
        got = gpu.transform(images)
        assert type(got) is np.ndarray and got.dtype == np.float32
        # cuBLAS and the CPU BLAS round the distance product differently, so
        # an atom tied with the K-th to ~1e-6 can swap: ties aside, equal.
        differ = np.abs(got - expected) > 1e-6
        assert differ.mean() < 1e-3, differ.mean()
        assert np.abs(got - expected).max() <= 2 / 81 + 1e-6  # at most a swap at one position per cell
        on_device = gpu.transform(cupy.asarray(images))
        assert isinstance(on_device, cupy.ndarray)
        np.testing.assert_array_equal(on_device.get(), got)


def test_random_state_makes_fit_deterministic_for_any_n_jobs(global_random_seed):
    images = _images(np.random.default_rng(global_random_seed))
    a = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=7, n_jobs=1).fit(images)
    b = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=7, n_jobs=-1).fit(images)
    c = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=8).fit(images)
    np.testing.assert_array_equal(a.dictionary_, b.dictionary_)
    assert not np.array_equal(a.dictionary_, c.dictionary_)
    # Atoms are training patches, at distinct positions.
    patches = extract_patches(images, 3).reshape(-1, a.dictionary_.shape[1])
    assert all(np.any(np.all(np.isclose(patches, atom), axis=1)) for atom in a.dictionary_)
    assert len(np.unique(a.dictionary_, axis=0)) == 20


def test_kmeans_dictionary(global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=6)
    a = WhitenedPatchKNNEncoder(patch_size=3, n_patches=8, dictionary="kmeans", random_state=0).fit(images)
    b = WhitenedPatchKNNEncoder(patch_size=3, n_patches=8, dictionary="kmeans", random_state=0).fit(images)
    assert a.dictionary_.shape == (8, 27)
    np.testing.assert_array_equal(a.dictionary_, b.dictionary_)
    # Centroids live in the raw patch space: their mean is near the patch mean.
    np.testing.assert_allclose(a.dictionary_.mean(axis=0), a.mean_, atol=3 * np.abs(images).std())


def test_whitening_gives_identity_covariance(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(5000, 4)) @ rng.normal(size=(4, 4)) + 3
    moments = PatchMoments()
    for chunk in np.array_split(X, 9):
        moments.update(chunk)
    W, W_inv = zca_whitening(moments.covariance(), 0.0)
    np.testing.assert_allclose(np.cov(((X - moments.mean()) @ W).T, bias=True), np.eye(4), atol=1e-8)
    np.testing.assert_allclose(W @ W_inv, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(W, W.T)
    with pytest.raises(ValueError, match="whitening_reg=0.0 leaves the patch covariance singular"):
        zca_whitening(np.diag([1.0, 0.0]), 0.0)


def test_authors_pooling_on_cifar_sized_images():
    images = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
    est = WhitenedPatchKNNEncoder(n_patches=16, pooling="window", random_state=0).fit(images)
    assert est.patch_grid_ == (27, 27) and est.pooled_shape_ == (9, 9)
    assert est.transform(images).shape == (2, 2 * 16 * 81)
    assert window_cells(27, 5, 3)[-1] == (24, 27)
    assert grid_cells(27, 3) == [(0, 9), (9, 18), (18, 27)]
    names = est.get_feature_names_out()
    assert names[0] == "pos_a0_y0_x0" and names[-1] == "neg_a15_y8_x8" and len(names) == 2 * 16 * 81


@pytest.mark.parametrize("backend", ["numba", "numpy", GPU])
def test_pyramid_pooling_is_the_grids_side_by_side(backend):
    images = np.random.default_rng(1).random((3, 20, 20, 3)).astype(np.float32)
    common = dict(patch_size=5, n_patches=12, random_state=0, backend=backend)
    pyramid = WhitenedPatchKNNEncoder(pooling="pyramid", grid_size=3, **common).fit(images)
    assert pyramid.pooled_shape_ is None and len(pyramid.pooling_cells_) == 1 + 4 + 9
    out = pyramid.transform(images).reshape(3, 2, 12, 14)
    first = 0
    for g in (1, 2, 3):
        grid = WhitenedPatchKNNEncoder(pooling="grid", grid_size=g, **common).fit(images)
        # Pooled through disjoint pieces, then combined: float32 round-off only.
        np.testing.assert_allclose(out[..., first : first + g * g], grid.transform(images).reshape(3, 2, 12, g * g), rtol=1e-6, atol=1e-7)
        first += g * g
    assert pyramid._model.combine is not None  # the pieces path is the one tested here
    names = pyramid.get_feature_names_out()
    assert len(names) == out[0].size
    assert names[0] == "pos_a0_g1_y0_x0" and names[1] == "pos_a0_g2_y0_x0" and names[-1] == "neg_a11_g3_y2_x2"


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(patch_size=6), np.zeros((3, 5, 5)), r"patch_size=6 is larger than the images, of shape \(5, 5\)"),
        (dict(patch_size=3, n_patches=50), np.zeros((2, 4, 4)), r"n_patches=50 exceeds the 8 patch positions"),
        (dict(patch_size=2, n_patches=10, n_neighbors=10), np.ones((2, 6, 6)), r"K=10 .* \[1, 9\]"),
        (dict(patch_size=2, n_patches=10, n_neighbors=0.01), np.ones((2, 6, 6)), r"K=0"),
        (dict(n_neighbors=0), np.ones((2, 6, 6)), r"'n_neighbors' parameter"),
        (dict(patch_size=2, n_patches=4), np.array([[0.0, np.nan, 1.0, 2.0]]), r"NaN"),
        (dict(patch_size=2, n_patches=4, shape=(3, 3)), np.zeros((2, 10)), r"fix shape or n_channels"),
        (dict(patch_size=2, n_patches=4, whitening_reg=0.0), np.ones((4, 5, 5)), r"covariance singular"),
    ],
)
def test_bad_input_raises_clear_errors(params, X, match):
    with pytest.raises(ValueError, match=match):
        WhitenedPatchKNNEncoder(random_state=0, **params).fit(X)


def test_transform_checks_feature_count():
    est = WhitenedPatchKNNEncoder(patch_size=2, n_patches=4, random_state=0).fit(np.random.rand(3, 36))
    with pytest.raises(ValueError, match="expecting 36 features"):
        est.transform(np.zeros((2, 25)))


def test_pipeline_on_digits():
    X, y = load_digits(return_X_y=True)
    pipe = Pipeline(
        [
            ("patches", WhitenedPatchKNNEncoder(patch_size=3, n_patches=64, shape=(8, 8), random_state=0)),
            ("scaler", StandardScaler()),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ).fit(X[:1000], y[:1000])
    assert pipe.score(X[1000:], y[1000:]) > 0.9


def test_verbose_reports_progress_of_fit_and_transform(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    images = np.random.default_rng(0).random((6, 8, 8))
    WhitenedPatchKNNEncoder(patch_size=2, n_patches=4, batch_size=2, verbose=2, random_state=0).fit_transform(images)
    err = capsys.readouterr().err
    assert "[WhitenedPatchKNNEncoder.fit] 6 / 6 images (100%)" in err
    assert "[WhitenedPatchKNNEncoder] batch 3/3 (images 4-6): 6 / 6 images (100%)" in err


def _scaled(images, top, dtype=np.float32):
    return (images / np.abs(images).max() * top).astype(dtype)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "params", [dict(), dict(whitening_reg=None), dict(pooling="pyramid", grid_size=2, query_scale=5.0)]
)
@pytest.mark.parametrize("top", [1e37, 1e38, 3e38, 3.4e38])
def test_float32_near_overflow_gives_the_float64_codes(top, params, backend, global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=4)
    common = dict(patch_size=3, n_patches=20, n_neighbors=8, random_state=0, backend=backend, **params)
    X = _scaled(images, top)
    fitted_there = WhitenedPatchKNNEncoder(**common).fit(X)
    fitted_at_one = WhitenedPatchKNNEncoder(**common).fit(_scaled(images, 1.0))
    for est in (fitted_there, fitted_at_one):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow on the way
            got = est.transform(X)
        assert got.dtype == np.float32 and np.isfinite(got).all()
        np.testing.assert_allclose(got, est.transform(X.astype(np.float64)), rtol=0, atol=1e-6)


def test_float32_codes_of_an_image_do_not_depend_on_its_batch(global_random_seed):
    # The dtype is chosen per image: a huge image in the batch does not
    # move the others to float64.
    images = _images(np.random.default_rng(global_random_seed), n=5).astype(np.float32)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=0).fit(images)
    alone = est.transform(images)
    huge = _scaled(images[:2], 3.4e38)
    for n_jobs, batch_size in [(1, "auto"), (2, 3)]:
        mixed = est.set_params(n_jobs=n_jobs, batch_size=batch_size).transform(np.concatenate([huge, images]))
        np.testing.assert_array_equal(mixed[2:], alone)
        np.testing.assert_allclose(mixed[:2], est.transform(huge.astype(np.float64)), rtol=0, atol=1e-6)


def test_float32_images_of_ordinary_scale_stay_in_float32(monkeypatch):
    import skscatter.patches._encoder as encoder_module

    dtypes = []
    encode = encoder_module.encode_batch

    def recording(block, consts, *args, **kwargs):
        dtypes.append(consts.dtype)
        return encode(block, consts, *args, **kwargs)

    monkeypatch.setattr(encoder_module, "encode_batch", recording)
    rng = np.random.default_rng(0)
    for scale in (1.0, 255.0, 1e6):
        images = (rng.random((3, 12, 12, 3)) * scale).astype(np.float32)
        WhitenedPatchKNNEncoder(patch_size=3, n_patches=16, random_state=0).fit(images).transform(images)
    assert set(dtypes) == {np.dtype(np.float32)}


def test_float64_overflow_raises_the_shared_error(global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=4)
    with pytest.raises(ValueError, match=r"patch covariance of X overflowed float64 \(max \|X\| = 1e\+307\); rescale X"):
        WhitenedPatchKNNEncoder(patch_size=3, n_patches=10, random_state=0).fit(_scaled(images, 1e307, np.float64))
    for backend in ("numba", "numpy"):
        est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=10, random_state=0, backend=backend).fit(images)
        with pytest.raises(ValueError, match=r"encoding of X overflowed float64.*rescale X"):
            est.transform(_scaled(images, 1e308, np.float64))
        # Large but representable: computed (with checks), not refused.
        out = est.transform(_scaled(images, 1e300, np.float64))
        assert np.isfinite(out).all()


def test_pickles_hold_no_second_copy_of_the_dictionary(global_random_seed):
    import pickle

    images = _images(np.random.default_rng(global_random_seed), n=6)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=60, random_state=0).fit(images)
    state = est.__getstate__()
    assert state["_model"].atom_matrix is None and est._model.atom_matrix is not None
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored._model.atom_matrix, est._model.atom_matrix)
    assert len(pickle.dumps(est)) < est.dictionary_.nbytes + est.whitening_.nbytes + 30_000


def test_uint8_images_are_converted_batch_by_batch():
    import tracemalloc

    from skscatter import config_context

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(256, 16, 16, 3), dtype=np.uint8)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=16, random_state=0).fit(images[:32])
    assert est.mean_.dtype == np.float64  # integers are computed in float64
    np.testing.assert_array_equal(est.transform(images[:4]), est.transform(images[:4].astype(np.float64)))

    def peak(X):
        with config_context(working_memory=1):
            tracemalloc.start()
            try:
                out = est.transform(X)
                return tracemalloc.get_traced_memory()[1] - out.nbytes
            finally:
                tracemalloc.stop()

    # A float64 copy of the 256 images would be 1.5 MiB.
    assert peak(images) - peak(images[:32]) < 0.5 * 2**20


def test_transform_keeps_the_fitted_model_after_set_params(global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=4)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=12, pooling="pyramid", grid_size=2, random_state=0).fit(images)
    expected, names = est.transform(images), est.get_feature_names_out()
    est.set_params(patch_size=2, n_patches=5, negative=False, pooling="grid", grid_size=3, query_scale=3.0, stride=2)
    np.testing.assert_array_equal(est.transform(images), expected)
    np.testing.assert_array_equal(est.get_feature_names_out(), names)


@pytest.mark.gpu
def test_gpu_batches_are_capped_at_the_kernel_limit(monkeypatch, global_random_seed):
    from skscatter._kernels import knn
    from skscatter.utils._parallel import ExecutionPlan

    images = _images(np.random.default_rng(global_random_seed), n=5).astype(np.float32)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=0).fit(images)
    expected = est.transform(images)
    plans = []
    run = ExecutionPlan.run
    monkeypatch.setattr(ExecutionPlan, "run", lambda self, *a, **k: plans.append(self) or run(self, *a, **k))
    monkeypatch.setattr(knn, "max_images", lambda backend: 2 if backend == "cupy" else None)
    got = est.set_params(backend="cupy", batch_size=1000).transform(images)
    assert max(stop - start for start, stop in plans[-1].bounds) == 2
    # cuBLAS and the CPU BLAS round the product differently: ties aside, equal.
    assert (np.abs(got - expected) > 1e-6).mean() < 1e-2


@pytest.mark.gpu
def test_gpu_float32_near_overflow_gives_the_float64_codes(global_random_seed):
    import cupy

    images = _images(np.random.default_rng(global_random_seed), n=4).astype(np.float32)
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=0, backend="cupy").fit(images)
    X = np.concatenate([_scaled(images[:2], 3.4e38), images])  # promoted rows and float32 rows in one batch
    got = est.transform(X)
    assert got.dtype == np.float32 and np.isfinite(got).all()
    np.testing.assert_array_equal(got[2:], est.transform(images))
    np.testing.assert_allclose(got, est.transform(X.astype(np.float64)), rtol=0, atol=1e-6)
    on_device = est.transform(cupy.asarray(X))
    np.testing.assert_array_equal(on_device.get(), got)
    with pytest.raises(ValueError, match="encoding of X overflowed float64"):
        est.transform(_scaled(images, 1e308, np.float64))


# -- the cupy code path on the CPU ----------------------------------------------


class _FakeDeviceArray(np.ndarray):
    """Stands for cupy.ndarray: fetched with .get(), indexed only by device arrays."""

    def get(self):
        return np.asarray(self).view(np.ndarray).copy()

    @staticmethod
    def _check(index):
        if type(index) is np.ndarray and index.dtype.kind in "iub":
            raise TypeError("a device array is indexed with device arrays")

    def __getitem__(self, index):
        self._check(index)
        return super().__getitem__(index)

    def __setitem__(self, index, value):
        self._check(index)
        return super().__setitem__(index, value)


@pytest.fixture
def fake_cupy(fake_cupy, monkeypatch):
    """The shared cupy stand-in (tests/conftest.py), with device arrays indexed only by device arrays,
    and the CUDA kernels' array-expression twin in their place."""
    from skscatter._kernels import _knn_cuda, _knn_xp, knn

    monkeypatch.setattr(fake_cupy, "ndarray", _FakeDeviceArray)
    monkeypatch.setattr(fake_cupy, "asarray", lambda a, dtype=None: np.array(a, dtype=dtype).view(_FakeDeviceArray))
    monkeypatch.setattr(fake_cupy, "empty", lambda *args, **kwargs: np.empty(*args, **kwargs).view(_FakeDeviceArray))

    def stand_in(H, offsets, scales, kth, pooling):
        assert isinstance(H, _FakeDeviceArray) and all(type(a) is np.ndarray for a in pooling[:3])
        pool = knn.pooling_dense(*pooling).astype(H.dtype)
        return _knn_xp.knn_pool(H.view(np.ndarray), np.asarray(offsets), scales, kth, pool, np).view(_FakeDeviceArray)

    monkeypatch.setattr(_knn_cuda, "knn_pool", stand_in)
    return fake_cupy


def test_gpu_batches_fit_the_cuda_grid(fake_cupy, monkeypatch):
    from skscatter.utils._parallel import ExecutionPlan

    class Planned(Exception):
        pass

    plans = []

    def record(self, *args, **kwargs):
        plans.append(self)
        raise Planned

    images = np.random.default_rng(0).random((3, 8, 8))
    est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=8, random_state=0).fit(images)
    monkeypatch.setattr(ExecutionPlan, "run", record)
    X = np.zeros((65545, 64))
    for backend, largest in [("cupy", 65535), ("numba", 65545)]:
        with pytest.raises(Planned):
            est.set_params(backend=backend, batch_size=10**6).transform(X)
        assert plans[-1].backend == backend
        assert max(stop - start for start, stop in plans[-1].bounds) == largest


def test_cupy_path_chooses_dtypes_per_image_on_the_device(fake_cupy, global_random_seed):
    images = _images(np.random.default_rng(global_random_seed), n=5).astype(np.float32)
    X = np.concatenate([_scaled(images[:2], 3.4e38), images])
    for params in [dict(), dict(pooling="pyramid", grid_size=3)]:
        est = WhitenedPatchKNNEncoder(patch_size=3, n_patches=20, random_state=0, batch_size=4, **params).fit(images)
        expected = est.transform(X)  # numba
        got = est.set_params(backend="cupy").transform(X)
        assert type(got) is np.ndarray and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
        on_device = est.set_params(backend="auto").transform(fake_cupy.asarray(X))
        assert isinstance(on_device, _FakeDeviceArray)
        np.testing.assert_array_equal(on_device.get(), got)


def test_transform_under_a_loky_context_equals_the_serial_transform():
    # Several batches under a process-based joblib context ship the batch
    # encoder (and its buffer pool, whose lock cannot be pickled) to loky
    # workers: issue 18 reported a PicklingError here.
    from joblib import parallel_config

    X = np.random.default_rng(0).random((12, 8, 8, 3))
    est = WhitenedPatchKNNEncoder(n_patches=16, patch_size=3, n_neighbors=0.4, pool_size=3, pool_stride=2, random_state=0, n_jobs=1).fit(X)
    expected = est.transform(X)
    est.set_params(n_jobs=2, batch_size=3)
    with parallel_config(backend="loky"):
        got = est.transform(X)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
