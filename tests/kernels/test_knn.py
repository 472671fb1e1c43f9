import numpy as np
import pytest

from skscatter._kernels import _knn_numba
from skscatter._kernels.knn import knn_pool, pooling_dense
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
