"""Dispatcher for the K-nearest-atom encoding: numba kernel, or array expressions."""

import numpy as np

from . import _knn_xp


def pooling_dense(indptr, cells, weights, n_cells):
    """The ``(n_cells, n_pos)`` averaging matrix of a position-to-cell CSR map."""
    n_pos = len(indptr) - 1
    pool = np.zeros((n_cells, n_pos))
    positions = np.repeat(np.arange(n_pos), np.diff(indptr))
    pool[cells, positions] = weights
    return pool


def knn_pool(H, offsets, scales, kth, pooling, backend, n_threads=1):
    """Pooled indicators of the ``kth`` nearest atoms of each patch (and of its negative).

    Parameters
    ----------
    H : ndarray of shape (n_img, n_pos, n_atoms)
    offsets : ndarray of shape (S, n_atoms)
    scales : ndarray of shape (S,)
    kth : int
        ``1 <= kth < n_atoms``.
    pooling : tuple
        ``(indptr, cells, weights, n_cells)`` from
        :func:`skscatter.patches._extraction.pooling_matrix_csr`.
    backend : {"numba", "numpy", "cupy"}
        ``"cupy"`` runs the CUDA kernels of :mod:`._knn_cuda` on a cupy ``H``
        (and returns a cupy array); ``"numpy"`` the array expressions of
        :mod:`._knn_xp`.
    n_threads : int
        1 selects the serial numba kernel.

    Returns
    -------
    out : array of shape (n_img, S, n_cells, n_atoms), dtype of ``H``
    """
    indptr, cells, weights, n_cells = pooling
    n_img, n_pos, n_atoms = H.shape
    if not 1 <= kth < n_atoms or offsets.shape != (len(scales), n_atoms) or len(indptr) != n_pos + 1:
        raise ValueError(
            f"Inconsistent encoding inputs: H {H.shape}, offsets {offsets.shape}, kth={kth}, "
            f"{len(indptr) - 1} pooled positions."
        )
    if cells.size and (cells.min() < 0 or cells.max() >= n_cells):
        raise ValueError(f"Pooling cells must lie in [0, {n_cells}).")
    if backend == "cupy":
        from . import _knn_cuda

        if n_img > _knn_cuda.MAX_IMAGES:
            raise ValueError(f"The GPU kernels take at most {_knn_cuda.MAX_IMAGES} images per call, got {n_img}.")
        return _knn_cuda.knn_pool(H, offsets, [float(s) for s in scales], kth, pooling)
    if backend == "numpy":
        pool = pooling_dense(indptr, cells, weights, n_cells).astype(H.dtype)
        return _knn_xp.knn_pool(H, offsets, [float(s) for s in scales], kth, pool, np)
    from . import _knn_numba

    if n_atoms >= 2**24:  # the kernel counts in the scores' float type; float32 is exact below 2**24
        raise ValueError(f"The numba kernel takes fewer than 2**24 atoms, got {n_atoms}; use backend='numpy'.")
    kernel = _knn_numba.knn_pool_serial if n_threads == 1 else _knn_numba.knn_pool
    out = np.empty((n_img, len(scales), n_cells, n_atoms), dtype=H.dtype)
    kernel(
        np.ascontiguousarray(H), np.ascontiguousarray(offsets, dtype=H.dtype), np.asarray(scales, dtype=H.dtype),
        kth, indptr, cells, np.asarray(weights, dtype=H.dtype), out,
    )
    return out
