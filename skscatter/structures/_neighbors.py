"""Neighbour lists for batches of structures (molecules and periodic cells).

:func:`neighbour_list` returns, for every atom of every structure in a
batch, the neighbours within a cutoff as CSR arrays: the neighbour's atom
index (into the batch's concatenated atoms; periodic images map back to the
atom they copy) and the vector from the centre to it.  Finite structures of
up to ``_BRUTE_FORCE_ATOMS`` atoms compare all pairs (fastest for
molecules); larger ones use cell lists, so the cost is linear in the
number of atoms.  Periodic structures are extended by the images of their
cell within the cutoff (perpendicular heights of the cell decide how many),
as dscribe does.
"""

import math

import numpy as np

from .._kernels._neighbors_numba import cell_list_pairs, count_within, fill_within

_BRUTE_FORCE_ATOMS = 64


def _images(structure, cutoff):
    """Positions of the periodic images within reach, and the atom each copies."""
    cell, pbc, pos = structure.cell, structure.pbc, structure.positions
    volume = abs(np.linalg.det(cell))
    reps = []
    for axis in range(3):
        if pbc[axis]:
            # Height of the cell perpendicular to the other two lattice vectors.
            other = np.cross(cell[(axis + 1) % 3], cell[(axis + 2) % 3])
            height = volume / np.linalg.norm(other)
            reps.append(int(math.ceil(cutoff / height)))
        else:
            reps.append(0)
    shifts = np.array(
        [(a, b, c) for a in range(-reps[0], reps[0] + 1) for b in range(-reps[1], reps[1] + 1) for c in range(-reps[2], reps[2] + 1)],
        dtype=np.float64,
    )
    translations = shifts @ cell
    images = (pos[None, :, :] + translations[:, None, :]).reshape(-1, 3)
    owner = np.tile(np.arange(len(pos)), len(shifts))
    return images, owner


def _cell_list(centres, sources, cutoff):
    origin = sources.min(axis=0) - 1e-9
    size = cutoff
    dims = np.maximum(1, np.ceil((sources.max(axis=0) - origin) / size).astype(np.int64) + 1)
    if np.prod(dims, dtype=np.float64) > 8 * len(sources) + 1000:
        # Sparse periodic-image clouds: coarser cells keep memory linear.
        size = cutoff * (np.prod(dims, dtype=np.float64) / (8 * len(sources) + 1000)) ** (1 / 3)
        dims = np.maximum(1, np.ceil((sources.max(axis=0) - origin) / size).astype(np.int64) + 1)
    idx = np.floor((sources - origin) / size).astype(np.int64)
    cell = (idx[:, 0] * dims[1] + idx[:, 1]) * dims[2] + idx[:, 2]
    cell_of = np.argsort(cell, kind="stable")
    cell_start = np.searchsorted(cell[cell_of], np.arange(np.prod(dims) + 1))
    # Centres outside the source box (cannot happen for atoms of the box) are
    # clipped into it by the kernel's range bounds.
    counts = np.zeros(len(centres), dtype=np.int64)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_v = np.zeros((0, 3))
    args = (centres, sources, cell_of, cell_start, dims, origin, float(size), cutoff**2)
    cell_list_pairs(*args, counts, counts, empty_i, empty_v, False)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    nbr = np.empty(offsets[-1], dtype=np.int64)
    vec = np.empty((offsets[-1], 3))
    cell_list_pairs(*args, counts, offsets, nbr, vec, True)
    return offsets, nbr, vec


def neighbour_list(structures, cutoff):
    """Neighbours within ``cutoff`` (centre included, at zero vector) of every atom.

    Parameters
    ----------
    structures : list of Structure
        Validated structures (:func:`skscatter.structures.check_structures`).
    cutoff : float

    Returns
    -------
    offsets : ndarray of shape (n_atoms + 1,)
        CSR starts: the neighbours of atom ``i`` are ``offsets[i]:offsets[i+1]``.
    neighbours : ndarray of shape (n_pairs,)
        Index of the neighbour atom in the concatenated batch.
    vectors : ndarray of shape (n_pairs, 3)
        ``r_neighbour - r_centre`` (the image's position for periodic copies).

    Examples
    --------
    >>> from skscatter.structures import check_structures
    >>> s = check_structures([([1, 1, 8], [[0, 0, 0], [0.8, 0, 0], [9, 0, 0]])])
    >>> offsets, nbr, vec = neighbour_list(s, 1.0)
    >>> np.diff(offsets).tolist()
    [2, 2, 1]
    """
    sizes = np.array([len(s.numbers) for s in structures])
    first = np.concatenate([[0], np.cumsum(sizes)])
    simple = np.array([not s.periodic and n <= _BRUTE_FORCE_ATOMS for s, n in zip(structures, sizes)])
    pos = np.concatenate([s.positions for s in structures]) if len(structures) else np.zeros((0, 3))
    struct_of = np.repeat(np.arange(len(structures)), sizes)

    counts = np.zeros(len(pos), dtype=np.int64)
    starts = first[:-1].copy()
    stops = np.where(simple, first[1:], first[:-1])  # empty range for the others
    count_within(pos, struct_of, starts, stops, cutoff**2, counts)

    special = {}
    for b in np.nonzero(~simple)[0]:
        s = structures[b]
        if s.periodic:
            sources, owner = _images(s, cutoff)
        else:
            sources, owner = s.positions, np.arange(len(s.positions))
        off, nbr, vec = _cell_list(s.positions, sources, cutoff)
        special[b] = (off, owner[nbr] + first[b], vec)
        counts[first[b] : first[b + 1]] = np.diff(off)

    offsets = np.concatenate([[0], np.cumsum(counts)])
    neighbours = np.empty(offsets[-1], dtype=np.int64)
    vectors = np.empty((offsets[-1], 3))
    fill_within(pos, struct_of, starts, stops, cutoff**2, offsets, neighbours, vectors)
    for b, (off, nbr, vec) in special.items():
        lo, hi = offsets[first[b]], offsets[first[b + 1]]
        neighbours[lo:hi] = nbr
        vectors[lo:hi] = vec
    return offsets, neighbours, vectors
