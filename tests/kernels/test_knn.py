import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skscatter._kernels import _knn_numba
from skscatter._kernels.knn import PoolingMap, knn_pool, max_images, pooling_dense
from skscatter.patches._extraction import grid_cells, pooling_matrix_csr, window_cells


def _pooling(n_rows, n_cols, row_cells, col_cells):
    indptr, cells, weights = pooling_matrix_csr(row_cells, col_cells, n_rows, n_cols)
    return indptr, cells, weights, len(row_cells) * len(col_cells)


def test_knn_pool_matches_brute_force(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    H = rng.normal(size=(2, 12, 30))
    offsets = rng.normal(size=(2, 30))
    scales = np.array([-2.0, 2.0])
    pooling = _pooling(3, 4, window_cells(3, 2, 1), grid_cells(4, 2))
    expected = np.zeros((2, 2, 4, 30))
    pool = pooling_dense(*pooling)
    for i in range(2):
        for s in range(2):
            for p in range(12):
                score = offsets[s] + scales[s] * H[i, p]
                marks = score < np.sort(score)[7]
                expected[i, s] += pool[:, p, None] * marks[None, :]
    for backend, n_threads in [("numba", 1), ("numba", 2), ("numpy", 1)]:
        got = knn_pool(H, offsets, scales, 7, pooling, backend, n_threads)
        np.testing.assert_allclose(got, expected, atol=1e-12)


def test_serial_and_parallel_kernels_are_identical(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    H = rng.normal(size=(5, 20, 64)).astype(np.float32)
    offsets = rng.normal(size=(1, 64)).astype(np.float32)
    indptr, cells, weights = pooling_matrix_csr(grid_cells(4, 2), grid_cells(5, 2), 4, 5)
    a = np.empty((5, 1, 4, 64), np.float32)
    b = np.empty_like(a)
    args = (H, offsets, np.array([-2.0], np.float32), 10, indptr, cells, weights.astype(np.float32))
    _knn_numba.knn_pool(*args, a)
    _knn_numba.knn_pool_serial(*args, b)
    np.testing.assert_array_equal(a, b)


def _rows(kind, rng, n_img, n_pos, n_atoms, dtype):
    """Score rows that stress the threshold search's branches."""
    if kind == "normal":  # neighbouring rows alike: the Newton steps bracket
        base = rng.normal(size=(n_img, 1, n_atoms))
        H = base + 0.05 * rng.normal(size=(n_img, n_pos, n_atoms))
    elif kind == "scales":  # each row's spread differs by orders of magnitude: stale slopes
        H = rng.normal(size=(n_img, n_pos, n_atoms)) * 10.0 ** rng.integers(-6, 7, size=(n_img, n_pos, 1))
    elif kind == "shifts":  # rows far apart: the first probe misses every score
        H = rng.normal(size=(n_img, n_pos, n_atoms)) + 1e4 * rng.normal(size=(n_img, n_pos, 1))
    elif kind == "ties":  # few distinct values: often no exact threshold (quickselect)
        H = rng.integers(-2, 3, size=(n_img, n_pos, n_atoms)).astype(float)
    elif kind == "repeated":  # identical rows: the first probe is already exact
        H = np.repeat(rng.normal(size=(n_img, 1, n_atoms)), n_pos, axis=1)
    else:  # "infinite": some scores +-inf
        H = rng.normal(size=(n_img, n_pos, n_atoms))
        H[rng.random(H.shape) < 0.1] = np.inf
        H[rng.random(H.shape) < 0.05] = -np.inf
    return H.astype(dtype)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["normal", "scales", "shifts", "ties", "repeated", "infinite"]),
    n_atoms=st.integers(2, 300),
    kth_fraction=st.floats(0.0, 1.0),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_threshold_search_marks_exactly_the_definition(kind, n_atoms, kth_fraction, dtype, seed):
    # One cell per position with weight 1, so the output is each row's
    # indicator: atoms scoring strictly below the (kth+1)-th smallest score.
    rng = np.random.default_rng(seed)
    kth = 1 + int(kth_fraction * (n_atoms - 2))
    n_img, n_pos = 2, 9
    H = _rows(kind, rng, n_img, n_pos, n_atoms, dtype)
    offsets = rng.normal(size=(2, n_atoms)).astype(dtype)
    scales = np.array([-2.0, 2.0], dtype=dtype)
    pooling = _pooling(n_pos, 1, [(p, p + 1) for p in range(n_pos)], [(0, 1)])
    with np.errstate(invalid="ignore"):
        score = offsets[None, :, None, :] + scales[None, :, None, None] * H[:, None, :, :]
    assert not np.isnan(score).any()
    expected = score < np.sort(score, axis=-1)[..., kth : kth + 1]
    for n_threads in (1, 2):
        got = knn_pool(H, offsets, scales, kth, pooling, "numba", n_threads)
        np.testing.assert_array_equal(got, expected.astype(dtype))


def test_ties_mark_fewer_atoms_never_more():
    # All scores equal: no atom is strictly below the (K+1)-th smallest.
    H = np.zeros((1, 1, 6))
    pooling = _pooling(1, 1, [(0, 1)], [(0, 1)])
    out = knn_pool(H, np.zeros((1, 6)), np.array([-2.0]), 3, pooling, "numba")
    assert out.sum() == 0


def test_dispatcher_checks_shapes_before_the_kernel():
    pooling = _pooling(1, 2, [(0, 1)], [(0, 2)])
    with pytest.raises(ValueError, match="kth=6"):
        knn_pool(np.zeros((1, 2, 6)), np.zeros((1, 6)), np.array([-2.0]), 6, pooling, "numba")
    with pytest.raises(ValueError, match="Inconsistent"):
        knn_pool(np.zeros((1, 3, 6)), np.zeros((1, 6)), np.array([-2.0]), 2, pooling, "numba")
    bad = (pooling[0], pooling[1] + 5, pooling[2], pooling[3])
    with pytest.raises(ValueError, match="Pooling cells"):
        knn_pool(np.zeros((1, 2, 6)), np.zeros((1, 6)), np.array([-2.0]), 2, bad, "numba")
    n = 2**24  # np.zeros leaves the pages untouched: no 64 MiB really allocated
    with pytest.raises(ValueError, match="fewer than 2\\*\\*24 atoms"):
        knn_pool(np.zeros((1, 1, n), np.float32), np.zeros((1, n), np.float32), np.array([-2.0]), 2,
                 _pooling(1, 1, [(0, 1)], [(0, 1)]), "numba")


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n_atoms, kth, ties, n_cells",
    [
        (30, 7, False, 8),  # overlapping windows, fewer atoms than a thread block
        (2053, 821, False, 8),  # not a multiple of any block size
        (300, 1, True, 8),  # integer scores: ties at the boundary
        (64, 63, False, 144),  # more accumulators than a thread keeps: adds into the output
    ],
)
def test_cuda_kernels_equal_the_numba_kernel_bit_for_bit(dtype, n_atoms, kth, ties, n_cells, global_random_seed):
    import cupy

    rng = np.random.default_rng(global_random_seed)
    H = rng.integers(-3, 4, size=(3, 12, n_atoms)) if ties else rng.normal(size=(3, 12, n_atoms))
    H = H.astype(dtype)
    offsets = (rng.integers(0, 3, size=(2, n_atoms)) if ties else rng.normal(size=(2, n_atoms))).astype(dtype)
    scales = np.array([-10.0, 10.0])
    if n_cells == 8:
        pooling = _pooling(3, 4, window_cells(3, 2, 1), grid_cells(4, 2))
    else:  # 12 positions pooled into 144 cells, each position into 12 of them
        pooling = _pooling(3, 4, window_cells(3, 1, 1) * 4, grid_cells(4, 4) * 3)
        assert pooling[3] == n_cells
    expected = knn_pool(H, offsets, scales, kth, pooling, "numba")
    got = knn_pool(cupy.asarray(H), offsets, scales, kth, pooling, "cupy")
    assert isinstance(got, cupy.ndarray) and got.dtype == dtype
    np.testing.assert_array_equal(got.get(), expected)
    # And the definition, ties included: atoms strictly below the (K+1)-th smallest score.
    brute = knn_pool(H, offsets, scales, kth, pooling, "numpy")  # pooled by a product: round-off
    np.testing.assert_allclose(got.get(), brute, rtol=1e-6, atol=1e-6)


def _valid_call():
    rng = np.random.default_rng(0)
    H = rng.normal(size=(2, 2, 6))
    return dict(H=H, offsets=np.zeros((2, 6)), scales=np.array([-2.0, 2.0]), kth=2,
                pooling=PoolingMap(*_pooling(1, 2, [(0, 1)], [(0, 2)])), backend="numba")


@pytest.mark.parametrize(
    "csr, match",
    [
        (([1, 2, 2], [0, 0], [1.0, 1.0], 1), "indptr must start at 0"),
        (([0, 2, 1], [0, 0], [1.0, 1.0], 1), "never decrease"),
        (([0, 1, 3], [0, 0], [1.0, 1.0], 1), "end at len\\(cells\\)=2"),
        (([0, 1, 2], [0, 0], [1.0], 1), "equal lengths"),
        (([0, 1, 2], [0, -1], [1.0, 1.0], 1), "cells must lie in \\[0, 1\\), got \\[-1, 0\\]"),
        (([0, 1, 2], [0, 1], [1.0, 1.0], 1), "cells must lie in \\[0, 1\\)"),
        (([0, 1, 2], [0, 0], [1.0, np.nan], 1), "weights must be finite"),
        (([0, 1, 2], [0, 0], [1.0, 1.0], 0), "n_cells=0"),
        (([[0, 1, 2]], [0, 0], [1.0, 1.0], 1), "three 1D arrays"),
    ],
)
def test_pooling_map_rejects_inconsistent_csr(csr, match):
    with pytest.raises(ValueError, match=match):
        PoolingMap(*csr)
    # A tuple given to the dispatcher is checked the same way, before any kernel runs.
    call = _valid_call()
    call["pooling"] = csr
    with pytest.raises(ValueError, match=match):
        knn_pool(**call)


def test_pooling_map_is_read_only_and_pickles_checked():
    import pickle

    pooling = PoolingMap(*_pooling(3, 4, window_cells(3, 2, 1), grid_cells(4, 2)))
    with pytest.raises(ValueError, match="read-only"):
        pooling.cells[0] = 99
    restored = pickle.loads(pickle.dumps(pooling))
    np.testing.assert_array_equal(restored.cells, pooling.cells)
    assert restored.n_cells == pooling.n_cells and restored.weights_as(np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(backend="torch"), "backend='torch' is not one of"),
        (dict(H=[[[0.0] * 6] * 2] * 2), "NumPy H, got list"),
        (dict(H=np.zeros((2, 2, 6), dtype=np.int64)), "3D float32 or float64"),
        (dict(H=np.zeros((4, 6))), "3D float32 or float64"),
        (dict(H=np.zeros((2, 2, 12))[:, :, ::2]), "C-contiguous"),
        (dict(kth=True), "kth=True"),
        (dict(kth=2.0), "kth=2.0"),
        (dict(kth=0), "kth=0"),
        (dict(offsets=np.zeros((1, 6))), "offsets \\(1, 6\\)"),
        (dict(scales=np.array([[-2.0, 2.0]])), "Inconsistent"),
        (dict(scales=np.array([-2.0, np.inf])), "scales must be finite"),
        (dict(n_threads=0), "n_threads=0"),
        (dict(out=np.empty((2, 2, 1, 5))), "out must be a C-contiguous float64 array of shape \\(2, 2, 1, 6\\)"),
        (dict(out=np.empty((2, 2, 1, 6), dtype=np.float32)), "out must be"),
        (dict(out=np.empty((2, 2, 1, 12))[..., ::2]), "out must be"),
        (dict(out=np.empty((2, 2, 1, 6)), backend="numpy"), "out is taken by the numba kernel only"),
        (dict(H=np.zeros((2, 3, 6))), "H has 3 positions, the pooling map 2"),
    ],
)
def test_dispatcher_rejects_what_the_kernels_would_misread(change, match):
    call = {**_valid_call(), **change}
    with pytest.raises(ValueError, match=match):
        knn_pool(**call)


def test_numba_kernel_writes_into_out():
    call = _valid_call()
    expected = knn_pool(**call)
    out = np.full(expected.shape, np.nan)
    assert knn_pool(**call, out=out) is out
    np.testing.assert_array_equal(out, expected)


def test_max_images_per_call():
    assert max_images("numba") is None and max_images("numpy") is None
    assert max_images("cupy") == 65535
