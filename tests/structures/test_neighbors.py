"""Neighbour lists of batches: ase's oracle for periodic cells, wrapping, bounded images, coincident atoms."""

import time

import numpy as np
import pytest

from skscatter.structures import check_structures
from skscatter.structures._neighbors import (
    MAX_IMAGE_ATOMS,
    MAX_NEIGHBOURS_PER_ATOM,
    cell_heights,
    check_distinct_atoms,
    check_periodic_images,
    neighbour_list,
    periodic_load,
    wrapped_positions,
)


def _cell(rng):
    while True:
        cell = np.diag(rng.uniform(3.0, 6.0, 3)) + rng.uniform(-2.0, 2.0, (3, 3))
        if np.linalg.det(cell) > 0 and cell_heights(cell).min() > 2.0:
            return cell


def _vector_sets(offsets, vectors, distances):
    """Per centre: its neighbour vectors (the zero vector dropped), sorted, rounded."""
    out = []
    for i in range(len(offsets) - 1):
        v = vectors[offsets[i] : offsets[i + 1]]
        v = v[distances[offsets[i] : offsets[i + 1]] > 0]
        out.append(np.round(v[np.lexsort(np.round(v, 6).T[::-1])], 6))
    return out


@pytest.mark.parametrize("pbc", [(True, True, True), (True, False, True), (False, True, False)])
def test_periodic_neighbours_equal_ase_for_unwrapped_atoms(global_random_seed, pbc):
    neighborlist = pytest.importorskip("ase.neighborlist")
    rng = np.random.default_rng(global_random_seed)
    cell = _cell(rng)
    pos = rng.uniform(0, 1, (6, 3)) @ cell
    # Atoms scattered over other cells along the periodic axes (an unwrapped frame).
    moved = pos + (rng.integers(-4, 5, (6, 3)) * np.array(pbc)) @ cell
    s = check_structures([([1] * 6, moved, cell, pbc)])
    offsets, nbr, vec, dist = neighbour_list(s, 4.5)
    i, j, D = neighborlist.primitive_neighbor_list("ijD", np.array(pbc), cell, pos, 4.5, self_interaction=False)
    expected = []
    for c in range(6):
        v = D[i == c]
        expected.append(np.round(v[np.lexsort(np.round(v, 6).T[::-1])], 6))
    for got, want in zip(_vector_sets(offsets, vec, dist), expected):
        np.testing.assert_allclose(got, want, atol=1e-9)
    # Each image maps back to the atom it copies.
    centre = np.repeat(np.arange(6), np.diff(offsets))
    frac = np.linalg.solve(cell.T, (moved[nbr] - moved[centre] - vec).T).T
    np.testing.assert_allclose(frac, np.round(frac), atol=1e-9)


def test_wrapped_positions_lie_in_the_cell_along_periodic_axes(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    cell = _cell(rng)
    pos = rng.normal(size=(20, 3)) * 30
    (s,) = check_structures([([1] * 20, pos, cell, [True, False, True])])
    wrapped, frac = wrapped_positions(s)
    assert np.all((frac[:, [0, 2]] >= 0) & (frac[:, [0, 2]] <= 1))
    np.testing.assert_allclose(frac[:, 1], np.linalg.solve(cell.T, pos.T).T[:, 1])
    shift = np.linalg.solve(cell.T, (pos - wrapped).T).T
    np.testing.assert_allclose(shift, np.round(shift), atol=1e-9)
    np.testing.assert_allclose(np.round(shift)[:, 1], 0)


def test_mixed_batch_equals_structures_one_at_a_time(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    big = rng.uniform(0, 12, (150, 3))  # more atoms than the brute-force path takes
    big = big[np.all(np.linalg.norm(big[:, None] - big[None], axis=-1) + 10 * np.eye(len(big)) > 0.3, axis=1)]
    X = check_structures(
        [
            ([1, 6], [[0, 0, 0], [1.1, 0, 0]]),
            ([1] * len(big), big),
            ([8, 1], [[0, 0, 0], [0.5, 0.5, 0.5]], 3.0 * np.eye(3), True),
            ([6], [[0, 0, 0]]),
        ]
    )
    offsets, nbr, vec, dist = neighbour_list(X, 3.2)
    first = np.r_[0, np.cumsum([len(s.numbers) for s in X])]
    for b, s in enumerate(X):
        o, n, v, d = neighbour_list([s], 3.2)
        lo, hi = offsets[first[b]], offsets[first[b + 1]]
        np.testing.assert_array_equal(offsets[first[b] : first[b + 1] + 1] - lo, o)
        np.testing.assert_array_equal(nbr[lo:hi] - first[b], n)
        np.testing.assert_array_equal(vec[lo:hi], v)


# -- bounded periodic images ------------------------------------------------------


def test_degenerate_cell_is_refused_at_once_with_the_r_cut_it_allows():
    X = check_structures([([1, 8], [[0, 0, 0], [0.5, 0.5, 0.5]]), ([6, 1], [[0, 0, 0], [0.004, 0.003, 0.002]], 0.01 * np.eye(3), True)])
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"X\[1\] is periodic.*shortest height of its cell is 0.01 Å.*allows no r_cut at all"):
        check_periodic_images(X, 6.18, padding=1.18)
    assert time.perf_counter() - start < 0.5
    # A dense but finite cell: the largest r_cut it allows is named and is just right.
    (s,) = check_structures([([1], [[0, 0, 0]], 0.3 * np.eye(3), True)])
    with pytest.raises(ValueError, match=r"this cell allows r_cut <= (\S+) Å") as info:
        check_periodic_images([s], 6.18, padding=1.18)
    allowed = float(info.value.args[0].split("allows r_cut <= ")[1].split(" Å")[0]) + 1.18
    check_periodic_images([s], allowed * 0.999, padding=1.18)
    with pytest.raises(ValueError):
        check_periodic_images([s], allowed * 1.01, padding=1.18)


def test_periodic_load_counts_the_images_the_neighbour_list_builds(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    cell = _cell(rng)
    (s,) = check_structures([([1] * 40, rng.uniform(0, 1, (40, 3)) @ cell, cell, True)])
    images, per_atom = periodic_load(s, 4.0)
    offsets, *_ = neighbour_list([s], 4.0)
    # Uniform density: the estimate is the mean count, within sampling noise.
    assert 0.6 < np.diff(offsets).mean() / (per_atom + 1) < 1.6
    assert images < MAX_IMAGE_ATOMS and per_atom < MAX_NEIGHBOURS_PER_ATOM


# -- coincident atoms ----------------------------------------------------------------


@pytest.mark.parametrize(
    "structure, match",
    [
        (([1, 6, 1], [[0, 0, 0], [1, 0, 0], [1, 0, 0]]), r"X\[1\] has atoms 1 and 2 at the same position \(0 Å apart\)"),
        (([1, 6], [[0, 0, 0], [3.0, 0, 0]], 3.0 * np.eye(3), True), r"X\[1\] has atoms 0 and 1 at the same position"),
        (([1, 6], [[0, 0, 0], [3.0, 3.0, -6.0]], 3.0 * np.eye(3), [True, True, True]), r"X\[1\] has atoms 0 and 1"),
        (([1] * 70, np.r_[np.arange(69)[:, None] * [1.0, 0, 0], [[5.0, 0, 0]]]), r"X\[1\] has atoms 5 and 69"),
    ],
    ids=["molecule", "image_of_another", "far_image_of_another", "large_molecule"],
)
def test_coincident_atoms_are_named(structure, match):
    X = check_structures([([1], [[0, 0, 0]]), structure])
    with pytest.raises(ValueError, match=match):
        check_distinct_atoms(X)
    with pytest.raises(ValueError, match=match):
        neighbour_list(X, 2.0)
    with pytest.raises(ValueError, match=match.replace(r"X\[1\]", r"X\[8\]")):
        neighbour_list(X, 2.0, first_index=7)


def test_distinct_atoms_pass():
    X = check_structures([([1, 1], [[0, 0, 0], [1e-6, 0, 0]]), ([6], [[0, 0, 0]], 2.0 * np.eye(3), True)])
    check_distinct_atoms(X)
