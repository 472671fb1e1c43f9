"""Patch extraction and spatial pooling layouts for patch encoders (NumPy; extraction also cupy)."""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._backend import get_array_module


def n_positions(size, patch_size, stride):
    """Number of patch positions along an axis of ``size`` pixels (no padding).

    Examples
    --------
    >>> n_positions(32, 6, 1), n_positions(32, 6, 2)
    (27, 14)
    """
    return (size - patch_size) // stride + 1


def extract_patches(images, patch_size, stride=1, dtype=None):
    """All ``Q x Q`` patches of ``(n, H, W, C)`` images, flattened in ``(y, x, channel)`` order.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, C)
        NumPy, or cupy (then the patches are extracted on the GPU).
    patch_size : int
        ``Q``.
    stride : int, default=1
    dtype : dtype, default=None
        Output dtype (default: the images').

    Returns
    -------
    patches : ndarray of shape (n, P_h, P_w, Q * Q * C)
        A new C-contiguous array.

    Examples
    --------
    >>> x = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    >>> p = extract_patches(x, 2)
    >>> p.shape, p[0, 1, 2].tolist()
    ((2, 3, 3, 4), [6, 7, 10, 11])
    """
    if get_array_module(images) is not np:
        return _extract_patches_by_slices(images, patch_size, stride, dtype)
    windows = sliding_window_view(images, (patch_size, patch_size), axis=(1, 2))[:, ::stride, ::stride]
    # windows: (n, P_h, P_w, C, Q, Q) -> (n, P_h, P_w, Q, Q, C)
    windows = windows.transpose(0, 1, 2, 4, 5, 3)
    n, p_h, p_w = windows.shape[:3]
    # Always a copy: a view of the images can be read-only (and callers
    # centre the patches in place).
    return np.array(windows, dtype=dtype, order="C", copy=True).reshape(n, p_h, p_w, -1)


def _extract_patches_by_slices(images, patch_size, stride, dtype=None):
    """:func:`extract_patches` from basic slicing and ``stack`` alone, which every array library has."""
    n, H, W, _ = images.shape
    p_h, p_w = n_positions(H, patch_size, stride), n_positions(W, patch_size, stride)
    # One strided slice per offset (dy, dx) inside the patch, stacked in
    # (dy, dx) order before the channel axis: (n, p_h, p_w, Q * Q, C).
    slices = [
        images[:, dy : dy + (p_h - 1) * stride + 1 : stride, dx : dx + (p_w - 1) * stride + 1 : stride]
        for dy in range(patch_size)
        for dx in range(patch_size)
    ]
    xp = get_array_module(images)
    return xp.stack(slices, axis=3).astype(dtype or images.dtype, copy=False).reshape(n, p_h, p_w, -1)


def window_cells(n_pos, size, stride):
    """``(start, stop)`` of each pooling window along one axis, ceil mode, no padding.

    Windows of ``size`` positions every ``stride`` positions; the last one
    may be cut by the border (as ``torch.nn.functional.avg_pool2d`` with
    ``ceil_mode=True``) but always starts inside.

    Examples
    --------
    >>> window_cells(27, 5, 3)[-2:]
    [(21, 26), (24, 27)]
    >>> len(window_cells(27, 5, 3))
    9
    """
    n_out = max(1, math.ceil((n_pos - size) / stride) + 1)
    if (n_out - 1) * stride >= n_pos:
        n_out -= 1
    return [(i * stride, min(i * stride + size, n_pos)) for i in range(n_out)]


def grid_cells(n_pos, n_cells):
    """``(start, stop)`` of ``n_cells`` near-equal cells covering ``n_pos`` positions.

    The adaptive-average-pooling rule: cell ``i`` spans
    ``floor(i n / g) .. ceil((i + 1) n / g)``.

    Examples
    --------
    >>> grid_cells(27, 2)
    [(0, 14), (13, 27)]
    """
    return [(i * n_pos // n_cells, -(-(i + 1) * n_pos // n_cells)) for i in range(n_cells)]


def pyramid_cells(n_rows, n_cols, levels):
    """Rectangles of a spatial pyramid: ``grid_cells`` at ``g x g`` for each ``g`` in ``levels``.

    Returns a list of ``((y0, y1), (x0, x1))`` rectangles, level by level,
    rows then columns within a level (Lazebnik, Schmid and Ponce 2006).

    Examples
    --------
    >>> cells = pyramid_cells(27, 27, [1, 2])
    >>> len(cells), cells[0], cells[1]
    (5, ((0, 27), (0, 27)), ((0, 14), (0, 14)))
    """
    rects = []
    for g in levels:
        rows, cols = grid_cells(n_rows, min(g, n_rows)), grid_cells(n_cols, min(g, n_cols))
        rects += [(r, c) for r in rows for c in cols]
    return rects


def pooling_matrix_rects(rects, n_rows, n_cols):
    """Map each position to the (possibly overlapping) rectangles that average it.

    Parameters
    ----------
    rects : list of ((y0, y1), (x0, x1))
        Pooling cells in output order.
    n_rows, n_cols : int
        Positions along each axis.

    Returns
    -------
    indptr : ndarray of shape (n_rows * n_cols + 1,), int64
    cells : ndarray of int64
        Index into ``rects`` of each (position, cell) pair.
    weights : ndarray of float64
        ``1 / (area of the cell)``, so that summing gives the cell's mean.

    Examples
    --------
    >>> indptr, cells, weights = pooling_matrix_rects([((0, 2), (0, 3)), ((1, 3), (0, 3))], 3, 3)
    >>> cells[indptr[3] : indptr[4]].tolist(), float(weights[indptr[3]])   # position (1, 0)
    ([0, 1], 0.16666666666666666)
    """
    indptr, cells, weights = [0], [], []
    for y in range(n_rows):
        for x in range(n_cols):
            for c, ((ya, yb), (xa, xb)) in enumerate(rects):
                if ya <= y < yb and xa <= x < xb:
                    cells.append(c)
                    weights.append(1.0 / ((yb - ya) * (xb - xa)))
            indptr.append(len(cells))
    return np.asarray(indptr, dtype=np.int64), np.asarray(cells, dtype=np.int64), np.asarray(weights)


def pooling_matrix_csr(row_cells, col_cells, n_rows, n_cols):
    """Map each position to the cells that average it, for the product of row and column cells.

    Parameters
    ----------
    row_cells, col_cells : list of (start, stop)
        Cells along each axis (from :func:`window_cells` or :func:`grid_cells`).
    n_rows, n_cols : int
        Positions along each axis.

    Returns
    -------
    indptr, cells, weights
        As :func:`pooling_matrix_rects`, with cell index ``cy * len(col_cells) + cx``.

    Examples
    --------
    >>> indptr, cells, weights = pooling_matrix_csr([(0, 2), (1, 3)], [(0, 3)], 3, 3)
    >>> cells[indptr[3] : indptr[4]].tolist(), float(weights[indptr[3]])   # position (1, 0)
    ([0, 1], 0.16666666666666666)
    """
    return pooling_matrix_rects([(r, c) for r in row_cells for c in col_cells], n_rows, n_cols)


def pooling_plan(rects, n_rows, n_cols):
    """What the kernel pools into, and how that becomes the cells.

    When cells overlap (a pyramid), each position would be added into
    several cells.  Cutting the grid at every cell edge gives disjoint
    pieces that each position is added into once; each cell is then the
    area-weighted mean of its pieces, one small matrix product per batch.
    The pieces are used when that is less work than pooling into the cells
    directly.

    Parameters
    ----------
    rects : list of ((y0, y1), (x0, x1))
        Pooling cells in output order.
    n_rows, n_cols : int
        Positions along each axis.

    Returns
    -------
    csr : tuple
        ``(indptr, cells, weights, n_targets)`` as
        :func:`pooling_matrix_rects`, into the cells or into the pieces.
    combine : ndarray of shape (len(rects), n_targets) or None
        Pieces to cells (float64), or None when the kernel pools into the
        cells.

    Examples
    --------
    >>> csr, combine = pooling_plan(pyramid_cells(27, 27, [1, 2, 3]), 27, 27)
    >>> csr[3], combine.shape     # 5 x 5 pieces make all 14 cells
    (25, (14, 25))
    >>> pooling_plan(pyramid_cells(26, 26, [2]), 26, 26)[1] is None    # disjoint cells: pooled directly
    True
    """
    direct = pooling_matrix_rects(rects, n_rows, n_cols)
    ys = sorted({0, n_rows} | {v for (r, _) in rects for v in r})
    xs = sorted({0, n_cols} | {v for (_, c) in rects for v in c})
    pieces = [((y0, y1), (x0, x1)) for y0, y1 in zip(ys, ys[1:]) for x0, x1 in zip(xs, xs[1:])]
    if n_rows * n_cols + len(pieces) * len(rects) >= len(direct[1]):
        return (*direct, len(rects)), None
    combine = np.zeros((len(rects), len(pieces)))
    for c, ((ya, yb), (xa, xb)) in enumerate(rects):
        for k, ((y0, y1), (x0, x1)) in enumerate(pieces):
            if ya <= y0 and y1 <= yb and xa <= x0 and x1 <= xb:
                combine[c, k] = (y1 - y0) * (x1 - x0) / ((yb - ya) * (xb - xa))
    return (*pooling_matrix_rects(pieces, n_rows, n_cols), len(pieces)), combine
