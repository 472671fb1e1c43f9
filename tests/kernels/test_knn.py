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
