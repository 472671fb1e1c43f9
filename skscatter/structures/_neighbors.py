"""Neighbour lists for batches of structures (molecules and periodic cells).

:func:`neighbour_list` returns, for every atom of every structure in a
batch, the neighbours within a cutoff as CSR arrays: the neighbour's atom
index (into the batch's concatenated atoms; periodic images map back to the
atom they copy), the vector from the centre to it and its length.  Finite
structures of up to ``_BRUTE_FORCE_ATOMS`` atoms compare all pairs (fastest
for molecules); larger ones use cell lists, so the cost is linear in the
number of atoms.

Periodic structures are first wrapped into their cell along the periodic
axes (an unwrapped molecular-dynamics frame then has the same neighbours as
the wrapped one), then extended by the images of their atoms that lie
within the cutoff of the cell.  How many there are is known from the
cell's heights before anything is built: :func:`check_periodic_images`
refuses cells that would need an unbounded number of them.

Two atoms closer than :data:`COINCIDENT_DISTANCE` (also an atom and a
periodic image of another atom, or of itself) are refused with
:func:`~skscatter.structures.coincident_atoms_error`: the neighbour list
sees them at no extra cost.
"""

import math

import numpy as np

from .._kernels.neighbors import cell_list_pairs, pairs_within
from ._input import coincident_atoms_error

_BRUTE_FORCE_ATOMS = 64

#: Atoms closer than this (Å) are one atom given twice.
COINCIDENT_DISTANCE = 1e-8
#: Periodic images a structure may need beyond its own atoms.
MAX_IMAGE_ATOMS = 2**22
#: Neighbours per atom a periodic structure may have (about 100 times a dense solid's at r_cut = 10 Å).
MAX_NEIGHBOURS_PER_ATOM = 2**14
# Fractional-coordinate slack of the image window: images exactly at its
# edge are beyond the cutoff anyway, so round-off only ever adds a few.
_WINDOW_SLACK = 1e-9


def cell_heights(cell):
    """Distances between opposite faces of the cell, one per lattice vector (Å).

    Examples
    --------
    >>> cell_heights(np.diag([2.0, 3.0, 4.0])).round(12).tolist()
    [2.0, 3.0, 4.0]
    """
    volume = abs(np.linalg.det(cell))
    return np.array([volume / np.linalg.norm(np.cross(cell[(a + 1) % 3], cell[(a + 2) % 3])) for a in range(3)])


def _periodic_measure(cell, pbc):
    """Volume (3 periodic axes), area (2) or length (1) of the periodic lattice, and the matching ball."""
    vectors = cell[pbc]
    if len(vectors) == 3:
        return abs(np.linalg.det(cell)), lambda c: 4.0 / 3.0 * math.pi * c**3
    if len(vectors) == 2:
        return np.linalg.norm(np.cross(vectors[0], vectors[1])), lambda c: math.pi * c**2
    return np.linalg.norm(vectors[0]), lambda c: 2.0 * c


def periodic_load(structure, cutoff):
    """Periodic images beyond the cell's own atoms, and neighbours per atom, for ``cutoff``.

    Both are estimates for atoms spread through the cell (the images are
    those within the cutoff of the cell; the neighbours count the atoms of
    the periodic lattice within a ball, disc or segment of radius
    ``cutoff``), known before anything is built.

    Returns
    -------
    images : float
    neighbours_per_atom : float
    """
    n = len(structure.numbers)
    heights = cell_heights(structure.cell)[structure.pbc]
    images = n * (np.prod(1.0 + 2.0 * cutoff / heights) - 1.0)
    measure, ball = _periodic_measure(structure.cell, structure.pbc)
    return float(images), float(n * ball(cutoff) / measure)


def _fits(structure, cutoff):
    images, per_atom = periodic_load(structure, cutoff)
    return images <= MAX_IMAGE_ATOMS and per_atom <= MAX_NEIGHBOURS_PER_ATOM


def _largest_cutoff(structure, cutoff):
    """The largest cutoff below ``cutoff`` the structure's periodic load allows (bisection)."""
    lo, hi = 0.0, float(cutoff)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _fits(structure, mid) else (lo, mid)
    return lo


def check_periodic_images(structures, cutoff, *, padding=0.0, parameter="r_cut", first_index=0):
    """Refuse, before any work, periodic cells whose images within ``cutoff`` are unbounded.

    A cell much thinner than the cutoff (a cell given in nm or bohr instead
    of Å, a collapsed lattice vector) needs about ``(2 cutoff / height)``
    images per axis: millions of atoms, and minutes before running out of
    memory.  The images and neighbours are counted from the cell's heights
    and volume (:func:`periodic_load`), so the answer is immediate.

    Parameters
    ----------
    structures : list of Structure
    cutoff : float
        Neighbour cutoff (Å).
    padding : float, default=0.0
        What the estimator adds to its ``parameter`` to get ``cutoff``
        (quoted, and subtracted from the cutoff the cell allows).
    parameter : str, default="r_cut"
        The estimator's parameter, named in the message.
    first_index : int, default=0
        Index in ``X`` of ``structures[0]``.

    Raises
    ------
    ValueError
        Naming the structure, its shortest cell height and the largest
        ``parameter`` the cell allows.
    """
    for k, s in enumerate(structures):
        if not s.periodic or _fits(s, cutoff):
            continue
        images, per_atom = periodic_load(s, cutoff)
        height = cell_heights(s.cell)[s.pbc].min()
        largest = _largest_cutoff(s, cutoff)
        reach = f" ({parameter}={cutoff - padding:.3g} Å plus {padding:.3g} Å of padding)" if padding else ""
        if largest - padding > 0:
            allows = f"this cell allows {parameter} <= {largest - padding:.3g} Å"
        else:
            allows = f"this cell allows no {parameter} at all (its largest usable neighbour cutoff is {largest:.3g} Å)"
        raise ValueError(
            f"X[{first_index + k}] is periodic (pbc={s.pbc.tolist()}) and the shortest height of its cell is "
            f"{height:.3g} Å: a neighbour cutoff of {cutoff:.3g} Å{reach} reaches about {images:.3g} periodic images "
            f"of its {len(s.numbers)} atoms and {per_atom:.3g} neighbours per atom (limits: {MAX_IMAGE_ATOMS} images, "
            f"{MAX_NEIGHBOURS_PER_ATOM} neighbours); {allows}. Check the cell (rows are lattice vectors, in Å), "
            f"lower {parameter}, or set pbc=False."
        )


def wrapped_positions(structure):
    """Positions moved into the cell along the periodic axes (fractional coordinates in [0, 1)).

    Moving an atom by a lattice vector does not change a periodic structure;
    wrapping makes its positions, and so its neighbour search, the same.

    Returns
    -------
    positions : ndarray of shape (n_atoms, 3)
    fractional : ndarray of shape (n_atoms, 3) or None
        None for a finite structure (returned as is).
    """
    if not structure.periodic:
        return structure.positions, None
    fractional = np.linalg.solve(structure.cell.T, structure.positions.T).T
    periodic = structure.pbc
    fractional[:, periodic] -= np.floor(fractional[:, periodic])
    return fractional @ structure.cell, fractional


def _periodic_sources(structure, cutoff):
    """Wrapped positions, the images within ``cutoff`` of the cell, and the atom each image copies."""
    positions, fractional = wrapped_positions(structure)
    heights = cell_heights(structure.cell)
    n = len(positions)
    owner = np.arange(n)
    shifts = np.zeros((n, 3), dtype=np.int64)
    for axis in np.flatnonzero(structure.pbc):
        # An image farther than reach (in fractional units) from the cell
        # along this axis is farther than the cutoff from every atom.
        reach = cutoff / heights[axis]
        steps = np.arange(-math.ceil(reach), math.ceil(reach) + 1)
        f = fractional[owner, axis][:, None] + steps[None, :]
        rows, cols = np.nonzero((f > -reach - _WINDOW_SLACK) & (f < 1.0 + reach + _WINDOW_SLACK))
        owner, shifts = owner[rows], shifts[rows]
        shifts[:, axis] = steps[cols]
    sources = positions[owner] + shifts @ structure.cell
    return np.ascontiguousarray(positions), np.ascontiguousarray(sources), owner


def _raise_coincident(structures, first, offsets, neighbours, distances, first_index):
    """The first pair of atoms closer than COINCIDENT_DISTANCE, as coincident_atoms_error."""
    close = distances < COINCIDENT_DISTANCE
    per_centre = np.add.reduceat(close, offsets[:-1]) if len(close) else np.zeros(len(offsets) - 1)
    per_centre[offsets[:-1] == offsets[1:]] = 0  # reduceat repeats a value for empty rows
    centre = int(np.flatnonzero(per_centre > 1)[0])
    pairs = offsets[centre] + np.flatnonzero(close[offsets[centre] : offsets[centre + 1]])
    # Drop the centre's own entry (itself at the zero vector) once.
    own = [p for p in pairs if neighbours[p] == centre and distances[p] == 0.0][:1]
    other = [p for p in pairs if p not in own][0]
    b = int(np.searchsorted(first, centre, side="right") - 1)
    raise coincident_atoms_error(first_index + b, centre - first[b], int(neighbours[other]) - first[b], float(distances[other]))


def neighbour_list(structures, cutoff, *, first_index=0):
    """Neighbours within ``cutoff`` (centre included, at zero vector) of every atom.

    Parameters
    ----------
    structures : list of Structure
        Validated structures (:func:`skscatter.structures.check_structures`);
        periodic ones must pass :func:`check_periodic_images` for ``cutoff``.
    cutoff : float
    first_index : int, default=0
        Index in ``X`` of ``structures[0]`` (for error messages).

    Returns
    -------
    offsets : ndarray of shape (n_atoms + 1,)
        CSR starts: the neighbours of atom ``i`` are ``offsets[i]:offsets[i+1]``.
    neighbours : ndarray of shape (n_pairs,)
        Index of the neighbour atom in the concatenated batch.
    vectors : ndarray of shape (n_pairs, 3)
        ``r_neighbour - r_centre`` (the image's position for periodic copies).
    distances : ndarray of shape (n_pairs,)
        Lengths of ``vectors``.

    Raises
    ------
    ValueError
        If two atoms (or an atom and a periodic image) coincide.

    Examples
    --------
    >>> from skscatter.structures import check_structures
    >>> s = check_structures([([1, 1, 8], [[0, 0, 0], [0.8, 0, 0], [9, 0, 0]])])
    >>> offsets, nbr, vec, dist = neighbour_list(s, 1.0)
    >>> np.diff(offsets).tolist()
    [2, 2, 1]
    """
    sizes = np.array([len(s.numbers) for s in structures], dtype=np.int64)
    first = np.zeros(len(structures) + 1, dtype=np.int64)
    np.cumsum(sizes, out=first[1:])
    simple = np.array([not s.periodic and n <= _BRUTE_FORCE_ATOMS for s, n in zip(structures, sizes)])

    pos = np.ascontiguousarray(np.concatenate([s.positions for s in structures]), dtype=np.float64)
    struct_of = np.repeat(np.arange(len(structures), dtype=np.int64), sizes)
    starts = first[:-1].copy()
    stops = np.where(simple, first[1:], first[:-1])  # empty ranges for the others
    offsets, neighbours, vectors = pairs_within(pos, struct_of, starts, stops, cutoff)

    if not simple.all():
        counts = np.diff(offsets)
        pieces = []  # (neighbours, vectors) per structure, in atom order
        for b, s in enumerate(structures):
            lo, hi = first[b], first[b + 1]
            if simple[b]:
                pieces.append((neighbours[offsets[lo] : offsets[hi]], vectors[offsets[lo] : offsets[hi]]))
                continue
            if s.periodic:
                centres, sources, owner = _periodic_sources(s, cutoff)
            else:
                centres = sources = np.ascontiguousarray(s.positions)
                owner = np.arange(len(centres))
            off, nbr, vec = cell_list_pairs(centres, sources, cutoff)
            pieces.append((owner[nbr] + lo, vec))
            counts[lo:hi] = np.diff(off)
        offsets = np.zeros(len(pos) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        neighbours = np.concatenate([p[0] for p in pieces])
        vectors = np.concatenate([p[1] for p in pieces])

    distances = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    # Each atom is its own neighbour once, at distance zero; any other pair
    # that close is two atoms at one position.
    if np.count_nonzero(distances < COINCIDENT_DISTANCE) != len(pos):
        _raise_coincident(structures, first, offsets, neighbours, distances, first_index)
    return offsets, neighbours, vectors, distances


def check_distinct_atoms(structures, *, first_index=0):
    """Raise :func:`~skscatter.structures.coincident_atoms_error` for the first two atoms at one position.

    For ``fit``, where no neighbour list is otherwise built: the search
    within :data:`COINCIDENT_DISTANCE` finds only the atoms themselves (and
    the periodic images on the cell's faces), so it costs little.
    """
    neighbour_list(structures, COINCIDENT_DISTANCE, first_index=first_index)
