"""Numba neighbour search: all pairs within small structures, cell lists for large ones.

Both produce, per centre, the neighbours within ``cutoff`` as CSR arrays in
two passes (count, then fill) so that no list grows dynamically; count and
fill run the same comparisons, so the fill writes exactly what the count
counted.  The dispatcher (:mod:`skscatter._kernels.neighbors`) checks every
shape, dtype and index range and allocates the outputs; the kernels do not
check bounds.  The kernels are threaded over centres (numba's thread count
of the calling thread); each centre's pairs are found by one thread in a
fixed order, so results do not depend on the thread count.
"""

from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def count_within(pos, struct_of, starts, stops, cutoff2, counts):
    # counts[i] = atoms j of i's structure range with |r_j - r_i|^2 < cutoff2 (j = i included).
    for i in prange(pos.shape[0]):
        b = struct_of[i]
        c = 0
        for j in range(starts[b], stops[b]):
            d0 = pos[j, 0] - pos[i, 0]
            d1 = pos[j, 1] - pos[i, 1]
            d2 = pos[j, 2] - pos[i, 2]
            if d0 * d0 + d1 * d1 + d2 * d2 < cutoff2:
                c += 1
        counts[i] = c


@njit(parallel=True, cache=True, nogil=True)
def fill_within(pos, struct_of, starts, stops, cutoff2, offsets, nbr, vec):
    # nbr (neighbour index) and vec (r_j - r_i) for the pairs count_within counted.
    for i in prange(pos.shape[0]):
        b = struct_of[i]
        p = offsets[i]
        for j in range(starts[b], stops[b]):
            d0 = pos[j, 0] - pos[i, 0]
            d1 = pos[j, 1] - pos[i, 1]
            d2 = pos[j, 2] - pos[i, 2]
            if d0 * d0 + d1 * d1 + d2 * d2 < cutoff2:
                nbr[p] = j
                vec[p, 0] = d0
                vec[p, 1] = d1
                vec[p, 2] = d2
                p += 1


@njit(parallel=True, cache=True, nogil=True)
def cell_list_pairs(centres, sources, cell_of, cell_start, dims, origin, size, cutoff2, counts, offsets, nbr, vec, fill):
    # Neighbours of each centre among ``sources`` binned in cells of edge
    # ``size`` >= cutoff: they lie in the 27 cells around the centre's.
    # ``cell_of`` are the sources sorted by cell, ``cell_start`` (n_cells + 1,)
    # their CSR starts; cells are numbered (a * dims[1] + b) * dims[2] + c.
    # First call with fill=False for ``counts``, then with fill=True.
    for i in prange(centres.shape[0]):
        ca = int((centres[i, 0] - origin[0]) / size)
        cb = int((centres[i, 1] - origin[1]) / size)
        cc = int((centres[i, 2] - origin[2]) / size)
        c = 0
        p = offsets[i] if fill else 0
        for a in range(max(ca - 1, 0), min(ca + 2, dims[0])):
            for b in range(max(cb - 1, 0), min(cb + 2, dims[1])):
                for g in range(max(cc - 1, 0), min(cc + 2, dims[2])):
                    cell = (a * dims[1] + b) * dims[2] + g
                    for t in range(cell_start[cell], cell_start[cell + 1]):
                        j = cell_of[t]
                        d0 = sources[j, 0] - centres[i, 0]
                        d1 = sources[j, 1] - centres[i, 1]
                        d2 = sources[j, 2] - centres[i, 2]
                        if d0 * d0 + d1 * d1 + d2 * d2 < cutoff2:
                            if fill:
                                nbr[p] = j
                                vec[p, 0] = d0
                                vec[p, 1] = d1
                                vec[p, 2] = d2
                                p += 1
                            c += 1
        if not fill:
            counts[i] = c
