"""The neighbour-search dispatcher: brute-force oracle and the bounds it checks."""

import numpy as np
import pytest

from skscatter._kernels.neighbors import cell_list_pairs, pairs_within


def _brute_force(centres, sources, cutoff):
    """Sorted (centre, source) pairs closer than cutoff."""
    d = np.linalg.norm(sources[None, :, :] - centres[:, None, :], axis=-1)
    return sorted(zip(*np.nonzero(d < cutoff)))


def _pairs_of(offsets, neighbours):
    centre = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    return sorted(zip(centre.tolist(), neighbours.tolist()))


def _structures(rng, n_structures=5):
    sizes = rng.integers(1, 12, n_structures)
    first = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    pos = rng.uniform(-3, 3, (first[-1], 3))
    return pos, np.repeat(np.arange(n_structures), sizes).astype(np.int64), first


def test_pairs_within_matches_brute_force(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    pos, struct_of, first = _structures(rng)
    offsets, nbr, vec = pairs_within(pos, struct_of, first[:-1].copy(), first[1:].copy(), 2.5)
    expected = []
    for b in range(len(first) - 1):
        lo, hi = first[b], first[b + 1]
        expected += [(lo + i, lo + j) for i, j in _brute_force(pos[lo:hi], pos[lo:hi], 2.5)]
    assert _pairs_of(offsets, nbr) == sorted((int(i), int(j)) for i, j in expected)
    centre = np.repeat(np.arange(len(pos)), np.diff(offsets))
    np.testing.assert_array_equal(vec, pos[nbr] - pos[centre])


def test_pairs_within_empty_ranges_give_no_pairs(global_random_seed):
    pos, struct_of, first = _structures(np.random.default_rng(global_random_seed))
    starts = first[:-1].copy()
    offsets, nbr, _ = pairs_within(pos, struct_of, starts, starts.copy(), 2.5)
    assert offsets[-1] == 0 and len(nbr) == 0


@pytest.mark.parametrize("cutoff", [1e-8, 0.7, 3.0, 50.0])
def test_cell_list_matches_brute_force(global_random_seed, cutoff):
    rng = np.random.default_rng(global_random_seed)
    sources = rng.uniform(-5, 5, (300, 3))
    sources[7] = sources[3]  # a coincident pair, found at any cutoff
    centres = np.ascontiguousarray(sources[::3])
    expected = [(int(i), int(j)) for i, j in _brute_force(centres, sources, cutoff)]
    offsets, nbr, vec = cell_list_pairs(centres, sources, cutoff)
    assert _pairs_of(offsets, nbr) == expected
    centre = np.repeat(np.arange(len(centres)), np.diff(offsets))
    np.testing.assert_array_equal(vec, sources[nbr] - centres[centre])


def _valid():
    pos = np.zeros((3, 3))
    pos[:, 0] = [0.0, 1.0, 2.0]
    return pos, np.zeros(3, dtype=np.int64), np.array([0]), np.array([3])


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda a: (a[0].astype(np.float32),) + a[1:], "positions must be a C-contiguous float64"),
        (lambda a: (np.asfortranarray(a[0]),) + a[1:], "C-contiguous"),
        (lambda a: (a[0][:, :2].copy(),) + a[1:], r"shape \(n, 3\)"),
        (lambda a: (np.full_like(a[0], np.nan),) + a[1:], "NaN or infinite"),
        (lambda a: (a[0], a[1] + 1) + a[2:], r"struct_of holds values outside \[0, 0\]"),
        (lambda a: (a[0], a[1][:2]) + a[2:], r"struct_of must be an int64 array of shape \(3,\)"),
        (lambda a: a[:2] + (np.array([0]), np.array([4])), r"stops holds values outside \[0, 3\]"),
        (lambda a: a[:2] + (np.array([2]), np.array([1])), "stops must not precede starts"),
        (lambda a: a[:2] + (np.array([0.0]), np.array([3])), "starts must be an int64 array"),
        (lambda a: a[:2] + (np.array([0, 0]), np.array([3])), r"stops must be an int64 array of shape \(2,\)"),
    ],
)
def test_pairs_within_refuses_inconsistent_arguments(change, match):
    args = change(_valid())
    with pytest.raises(ValueError, match=match):
        pairs_within(*args, 1.5)


@pytest.mark.parametrize("cutoff", [0.0, -1.0, np.nan, np.inf])
def test_bad_cutoffs_are_refused(cutoff):
    pos, struct_of, starts, stops = _valid()
    with pytest.raises(ValueError, match="cutoff"):
        pairs_within(pos, struct_of, starts, stops, cutoff)
    with pytest.raises(ValueError, match="cutoff"):
        cell_list_pairs(pos, pos, cutoff)


def test_cell_list_refuses_centres_outside_the_sources_and_bad_arrays():
    pos = _valid()[0]
    with pytest.raises(ValueError, match="bounding box of the sources"):
        cell_list_pairs(pos + 100.0, pos, 1.5)
    with pytest.raises(ValueError, match="at least one source"):
        cell_list_pairs(pos, np.zeros((0, 3)), 1.5)
    with pytest.raises(ValueError, match="sources must be a C-contiguous float64"):
        cell_list_pairs(pos, pos.astype(np.float32), 1.5)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cell_list_pairs(pos, np.where(pos > 1.5, np.inf, pos), 1.5)
