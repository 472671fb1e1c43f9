"""Dispatcher for the K-nearest-atom encoding: numba kernel, CUDA kernels, or array expressions.

The one door into :mod:`._knn_numba`, :mod:`._knn_cuda` and :mod:`._knn_xp`.
The compiled kernels trust their arguments (their loops index without
bounds checks), so everything they receive is checked here, before the
call: shapes, dtypes, contiguity, and the index ranges of the pooling map.
Inconsistent arguments raise ``ValueError``; nothing reaches a kernel that
could make it read or write out of bounds.
"""

from numbers import Integral

import numpy as np

from .._backend import is_cupy_array
from . import _knn_cuda, _knn_xp

BACKENDS = ("numba", "numpy", "cupy")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# The CUDA kernels index rows and pooling entries with 32-bit ints.
_INT32_MAX = 2**31 - 1


class PoolingMap:
    """A checked position-to-cell averaging map in CSR form.

    Position ``p`` adds its indicator, times ``weights[k]``, into cell
    ``cells[k]`` for ``k`` in ``indptr[p]:indptr[p + 1]``.  Built once (the
    checks run here, not at every kernel call); the arrays are read-only
    afterwards, so that what was checked is what the kernels read.

    Parameters
    ----------
    indptr : array-like of int, shape (n_pos + 1,)
        Starts at 0, non-decreasing, ends at ``len(cells)``.
    cells : array-like of int, shape (nnz,)
        Each in ``[0, n_cells)``.
    weights : array-like of float, shape (nnz,)
        Finite.
    n_cells : int
        Cells (outputs) of the map, at least 1.

    Examples
    --------
    >>> pooling = PoolingMap([0, 1, 2], [0, 0], [0.5, 0.5], 1)
    >>> pooling.n_pos, pooling.n_cells
    (2, 1)
    >>> PoolingMap([0, 1, 2], [0, 3], [0.5, 0.5], 1)
    Traceback (most recent call last):
    ...
    ValueError: Pooling cells must lie in [0, 1), got [0, 3]; build the map with pooling_matrix_rects.
    """

    __slots__ = ("indptr", "cells", "weights", "n_cells", "_weights_as")

    def __init__(self, indptr, cells, weights, n_cells):
        indptr, cells = (np.array(a, dtype=np.int64, order="C", copy=True) for a in (indptr, cells))
        weights = np.array(weights, dtype=np.float64, order="C", copy=True)
        if not isinstance(n_cells, Integral) or isinstance(n_cells, bool) or n_cells < 1:
            raise ValueError(f"n_cells={n_cells!r} must be a positive int.")
        if indptr.ndim != 1 or cells.ndim != 1 or weights.ndim != 1 or len(indptr) < 1:
            raise ValueError(
                f"A pooling map is three 1D arrays (indptr, cells, weights); got shapes "
                f"{indptr.shape}, {cells.shape}, {weights.shape}."
            )
        if indptr[0] != 0 or indptr[-1] != len(cells) or np.any(np.diff(indptr) < 0):
            raise ValueError(
                f"Pooling indptr must start at 0, never decrease and end at len(cells)={len(cells)}; "
                f"got {indptr[0]} ... {indptr[-1]}."
            )
        if len(weights) != len(cells):
            raise ValueError(f"Pooling weights ({len(weights)}) and cells ({len(cells)}) must have equal lengths.")
        if cells.size and (cells.min() < 0 or cells.max() >= n_cells):
            raise ValueError(
                f"Pooling cells must lie in [0, {n_cells}), got [{cells.min()}, {cells.max()}]; "
                "build the map with pooling_matrix_rects."
            )
        if not np.isfinite(weights).all():
            raise ValueError("Pooling weights must be finite.")
        for a in (indptr, cells, weights):
            a.flags.writeable = False
        self.indptr, self.cells, self.weights, self.n_cells = indptr, cells, weights, int(n_cells)
        self._weights_as = {}

    def __getstate__(self):
        return (self.indptr, self.cells, self.weights, self.n_cells)

    def __setstate__(self, state):
        # Checked again: a pickle is input like any other.
        self.__init__(*state)

    @property
    def n_pos(self):
        """Positions the map reads."""
        return len(self.indptr) - 1

    def weights_as(self, dtype):
        """The weights in ``dtype`` (the kernels add them in the scores' type), cached."""
        dtype = np.dtype(dtype)
        if dtype not in self._weights_as:
            weights = self.weights.astype(dtype)
            weights.flags.writeable = False
            self._weights_as[dtype] = weights
        return self._weights_as[dtype]

    def dense(self, dtype=np.float64):
        """The ``(n_cells, n_pos)`` averaging matrix."""
        return pooling_dense(self.indptr, self.cells, self.weights, self.n_cells).astype(dtype, copy=False)


def pooling_dense(indptr, cells, weights, n_cells):
    """The ``(n_cells, n_pos)`` averaging matrix of a position-to-cell CSR map."""
    n_pos = len(indptr) - 1
    pool = np.zeros((n_cells, n_pos))
    positions = np.repeat(np.arange(n_pos), np.diff(indptr))
    pool[cells, positions] = weights
    return pool


def max_images(backend):
    """The most images one :func:`knn_pool` call takes on ``backend`` (None: no limit).

    The GPU pooling kernel has one grid row per image, and CUDA caps a
    grid's second dimension.
    """
    return _knn_cuda.MAX_IMAGES if backend == "cupy" else None


def _check_scores(H, backend):
    if backend == "cupy":
        if not is_cupy_array(H):
            raise ValueError(f"backend='cupy' computes on a cupy H, got {type(H).__name__}; pass cupy.asarray(H).")
    elif not isinstance(H, np.ndarray):
        raise ValueError(f"backend={backend!r} computes on a NumPy H, got {type(H).__name__}; pass np.asarray(H).")
    if H.ndim != 3 or np.dtype(H.dtype) not in _FLOATS:
        raise ValueError(f"H must be a 3D float32 or float64 array (images, positions, atoms), got {H.ndim}D {H.dtype}.")
    if backend != "numpy" and not H.flags.c_contiguous:
        raise ValueError("H must be C-contiguous for the compiled kernels; pass an ascontiguousarray of it.")


def _check_out(out, shape, H):
    if type(out) is not type(H) or out.shape != shape or out.dtype != H.dtype or not out.flags.c_contiguous:
        raise ValueError(
            f"out must be a C-contiguous {H.dtype} array of shape {shape} like H, got "
            f"{type(out).__name__} {getattr(out, 'dtype', None)} {getattr(out, 'shape', None)}."
        )


def knn_pool(H, offsets, scales, kth, pooling, backend, n_threads=1, out=None):
    """Pooled indicators of the ``kth`` nearest atoms of each patch (and of its negative).

    Parameters
    ----------
    H : ndarray or cupy.ndarray of shape (n_img, n_pos, n_atoms), float32 or float64
        Products of centred patches with the atom matrix; C-contiguous for
        ``"numba"`` and ``"cupy"``.
    offsets : array-like of shape (S, n_atoms)
    scales : array-like of shape (S,)
        Scores are ``offsets[s] + scales[s] * H``, computed in ``H``'s dtype.
    kth : int
        ``1 <= kth < n_atoms``: atoms scoring strictly below the
        ``(kth + 1)``-th smallest score are marked.
    pooling : PoolingMap or tuple
        ``(indptr, cells, weights, n_cells)`` tuples (from
        :func:`skscatter.patches._extraction.pooling_matrix_rects`) are
        checked into a :class:`PoolingMap` on each call; build the map once
        when calling repeatedly.
    backend : {"numba", "numpy", "cupy"}
        ``"cupy"`` runs the CUDA kernels of :mod:`._knn_cuda` on a cupy ``H``
        (and returns a cupy array); ``"numpy"`` the array expressions of
        :mod:`._knn_xp`.
    n_threads : int, default=1
        1 selects the serial numba kernel, more the parallel one (the
        caller sets numba's thread count).
    out : ndarray of shape (n_img, S, n_cells, n_atoms), default=None
        Where the numba kernel writes (C-contiguous, dtype of ``H``).

    Returns
    -------
    out : array of shape (n_img, S, n_cells, n_atoms), dtype of ``H``

    Raises
    ------
    ValueError
        When any argument is inconsistent with the others.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r} is not one of {BACKENDS}.")
    if not isinstance(pooling, PoolingMap):
        pooling = PoolingMap(*pooling)
    _check_scores(H, backend)
    n_img, n_pos, n_atoms = H.shape
    dtype = np.dtype(H.dtype)
    scales = np.asarray(scales, dtype=np.float64)
    offsets = offsets if is_cupy_array(offsets) else np.asarray(offsets)
    S = scales.shape[0] if scales.ndim == 1 else 0
    if (
        not isinstance(kth, Integral)
        or isinstance(kth, bool)
        or not 1 <= kth < n_atoms
        or S < 1
        or offsets.shape != (S, n_atoms)
        or pooling.n_pos != n_pos
    ):
        raise ValueError(
            f"Inconsistent encoding inputs: H {H.shape}, offsets {offsets.shape}, scales {scales.shape}, "
            f"kth={kth!r} (needs 1 <= kth < {n_atoms}); H has {n_pos} positions, the pooling map {pooling.n_pos}."
        )
    if not np.isfinite(scales).all():
        raise ValueError(f"scales must be finite, got {scales.tolist()}.")
    shape = (n_img, S, pooling.n_cells, n_atoms)
    if out is not None:
        if backend != "numba":
            raise ValueError(f"out is taken by the numba kernel only, not by backend={backend!r}.")
        _check_out(out, shape, H)

    if backend == "cupy":
        limit = max_images("cupy")
        if n_img > limit:
            raise ValueError(f"The GPU kernels take at most {limit} images per call, got {n_img}; pass smaller batches.")
        if n_img * n_pos > _INT32_MAX or n_atoms > _INT32_MAX or len(pooling.cells) > _INT32_MAX:
            raise ValueError(f"H {H.shape} or the pooling map is too large for the GPU kernels' 32-bit indices.")
        # Plain writable host copies (small): the CUDA module uploads them per call.
        csr = (np.array(pooling.indptr), np.array(pooling.cells), np.array(pooling.weights_as(dtype)), pooling.n_cells)
        return _knn_cuda.knn_pool(H, offsets, scales.tolist(), int(kth), csr)
    if backend == "numpy":
        return _knn_xp.knn_pool(H, offsets.astype(dtype, copy=False), scales.tolist(), int(kth), pooling.dense(dtype), np)

    if not isinstance(n_threads, Integral) or n_threads < 1:
        raise ValueError(f"n_threads={n_threads!r} must be a positive int.")
    if dtype == np.float32 and n_atoms >= 2**24:
        # The kernel counts in the scores' float type; float32 counts are exact below 2**24.
        raise ValueError(
            f"The numba kernel takes fewer than 2**24 atoms in float32, got {n_atoms}; use float64 or backend='numpy'."
        )
    from . import _knn_numba

    kernel = _knn_numba.knn_pool_serial if n_threads == 1 else _knn_numba.knn_pool
    if out is None:
        out = np.empty(shape, dtype=dtype)
    kernel(
        H,
        np.ascontiguousarray(offsets, dtype=dtype),
        scales.astype(dtype),
        int(kth),
        pooling.indptr,
        pooling.cells,
        pooling.weights_as(dtype),
        out,
    )
    return out
