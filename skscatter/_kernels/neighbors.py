"""Dispatcher of the neighbour search: checks what the numba kernels receive, allocates what they fill.

Two searches, each a count pass then a fill pass into CSR arrays sized by
the count:

* :func:`pairs_within` compares all atoms of each structure's index range
  (fastest for small molecules);
* :func:`cell_list_pairs` bins the sources in cells at least one cutoff
  wide and compares each centre with the 27 cells around its own (linear
  in the number of atoms; periodic images are passed as sources).

The kernels (:mod:`skscatter._kernels._neighbors_numba`) are threaded
(numba's thread count of the calling thread) and index without bounds
checks: every array is checked here, and a ``ValueError`` names the
inconsistency.
"""

import numpy as np

from . import _neighbors_numba


def _check_points(name, a):
    if not (isinstance(a, np.ndarray) and a.dtype == np.float64 and a.ndim == 2 and a.shape[1] == 3 and a.flags.c_contiguous):
        raise ValueError(
            f"{name} must be a C-contiguous float64 array of shape (n, 3), got "
            f"{getattr(a, 'dtype', type(a).__name__)} {getattr(a, 'shape', '')}."
        )
    if a.size and not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite coordinates.")


def _check_index(name, a, length, low, high):
    """``a`` is an int64 array of ``length`` entries in ``[low, high]``."""
    if not (isinstance(a, np.ndarray) and a.dtype == np.int64 and a.shape == (length,)):
        raise ValueError(
            f"{name} must be an int64 array of shape ({length},), got {getattr(a, 'dtype', type(a).__name__)} "
            f"{getattr(a, 'shape', '')}."
        )
    if length and (a.min() < low or a.max() > high):
        raise ValueError(f"{name} holds values outside [{low}, {high}]: [{a.min()}, {a.max()}].")


def _check_cutoff(cutoff):
    if not (np.isfinite(cutoff) and cutoff > 0):
        raise ValueError(f"cutoff={cutoff!r} must be a positive finite distance.")


def _csr(counts):
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def pairs_within(positions, struct_of, starts, stops, cutoff):
    """Pairs closer than ``cutoff`` among the atoms of each atom's structure range.

    Parameters
    ----------
    positions : ndarray of shape (n_atoms, 3), float64, C-contiguous
        Atoms of a batch, structure after structure.
    struct_of : ndarray of shape (n_atoms,), int64
        Each atom's structure, in ``[0, n_structures)``.
    starts, stops : ndarray of shape (n_structures,), int64
        The atoms each structure's atoms are compared with:
        ``starts[b]:stops[b]`` (an empty range gives its atoms no pairs).
    cutoff : float
        Pairs with distance ``< cutoff`` are kept (each atom pairs with
        itself at the zero vector).

    Returns
    -------
    offsets : ndarray of shape (n_atoms + 1,), int64
        CSR starts into the pairs.
    neighbours : ndarray of shape (n_pairs,), int64
        Index of the neighbour atom.
    vectors : ndarray of shape (n_pairs, 3), float64
        ``positions[neighbour] - positions[centre]``.

    Examples
    --------
    >>> pos = np.array([[0.0, 0, 0], [0.5, 0, 0], [3.0, 0, 0]])
    >>> index = np.zeros(1, dtype=np.int64)
    >>> offsets, nbr, vec = pairs_within(pos, np.zeros(3, dtype=np.int64), index, index + 3, 1.0)
    >>> offsets.tolist(), nbr.tolist()
    ([0, 2, 4, 5], [0, 1, 0, 1, 2])
    """
    _check_points("positions", positions)
    n = positions.shape[0]
    n_structures = len(starts) if isinstance(starts, np.ndarray) else -1
    _check_index("starts", starts, n_structures, 0, n)
    _check_index("stops", stops, n_structures, 0, n)
    if np.any(stops < starts):
        raise ValueError("stops must not precede starts.")
    _check_index("struct_of", struct_of, n, 0, n_structures - 1)
    _check_cutoff(cutoff)
    cutoff2 = float(cutoff) ** 2
    counts = np.empty(n, dtype=np.int64)
    _neighbors_numba.count_within(positions, struct_of, starts, stops, cutoff2, counts)
    offsets = _csr(counts)
    neighbours = np.empty(offsets[-1], dtype=np.int64)
    vectors = np.empty((offsets[-1], 3))
    _neighbors_numba.fill_within(positions, struct_of, starts, stops, cutoff2, offsets, neighbours, vectors)
    return offsets, neighbours, vectors


def _grid(sources, cutoff):
    """Origin, cell edge (>= cutoff) and cells per axis of a grid over ``sources`` with O(n) cells."""
    origin = sources.min(axis=0) - 1e-9 * max(1.0, float(np.abs(sources).max()))
    extent = sources.max(axis=0) - origin
    max_cells = 8 * len(sources) + 1000
    size = float(cutoff)
    dims = np.floor(extent / size).astype(np.int64) + 1
    # Sparse clouds (periodic images, or a tiny cutoff): coarser cells keep
    # the grid linear in the number of sources.
    while np.prod(dims.astype(np.float64)) > max_cells:
        size *= max(1.01, (np.prod(dims.astype(np.float64)) / max_cells) ** (1 / 3))
        dims = np.floor(extent / size).astype(np.int64) + 1
    return origin, size, dims


def cell_list_pairs(centres, sources, cutoff):
    """Pairs closer than ``cutoff`` between each centre and the sources, found through cell lists.

    Parameters
    ----------
    centres : ndarray of shape (n_centres, 3), float64, C-contiguous
        Each must lie in the bounding box of ``sources`` (a centre is
        usually a source too).
    sources : ndarray of shape (n_sources, 3), float64, C-contiguous
    cutoff : float

    Returns
    -------
    offsets : ndarray of shape (n_centres + 1,), int64
    neighbours : ndarray of shape (n_pairs,), int64
        Index into ``sources``.
    vectors : ndarray of shape (n_pairs, 3), float64
        ``sources[neighbour] - centres[centre]``.

    Examples
    --------
    >>> src = np.array([[0.0, 0, 0], [0.5, 0, 0], [3.0, 0, 0]])
    >>> offsets, nbr, vec = cell_list_pairs(src[:2], src, 1.0)
    >>> offsets.tolist(), sorted(nbr[: offsets[1]].tolist())
    ([0, 2, 4], [0, 1])
    """
    _check_points("centres", centres)
    _check_points("sources", sources)
    _check_cutoff(cutoff)
    if len(sources) == 0:
        raise ValueError("cell_list_pairs needs at least one source.")
    origin, size, dims = _grid(sources, cutoff)
    if len(centres) and (np.any(centres < origin) or np.any(centres >= origin + dims * size)):
        raise ValueError("Every centre must lie in the bounding box of the sources.")
    idx = np.floor((sources - origin) / size).astype(np.int64)
    cell = (idx[:, 0] * dims[1] + idx[:, 1]) * dims[2] + idx[:, 2]
    n_cells = int(np.prod(dims))
    if cell.min() < 0 or cell.max() >= n_cells:
        raise ValueError("A source fell outside the cell grid; its coordinates are inconsistent.")
    cell_of = np.argsort(cell, kind="stable").astype(np.int64)
    cell_start = np.searchsorted(cell[cell_of], np.arange(n_cells + 1)).astype(np.int64)
    if size < cutoff or cell_start[0] != 0 or cell_start[-1] != len(sources):
        raise ValueError("Inconsistent cell grid.")
    counts = np.zeros(len(centres), dtype=np.int64)
    no_index = np.zeros(0, dtype=np.int64)
    no_vectors = np.zeros((0, 3))
    args = (centres, sources, cell_of, cell_start, dims, origin, float(size), float(cutoff) ** 2)
    _neighbors_numba.cell_list_pairs(*args, counts, counts, no_index, no_vectors, False)
    offsets = _csr(counts)
    neighbours = np.empty(offsets[-1], dtype=np.int64)
    vectors = np.empty((offsets[-1], 3))
    _neighbors_numba.cell_list_pairs(*args, counts, offsets, neighbours, vectors, True)
    return offsets, neighbours, vectors
