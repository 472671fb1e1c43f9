"""Periodic SOAP: invariant to lattice-vector shifts of any atom, bounded images, coincident atoms refused.

The hypothesis tests follow the profile (``ci`` by default; run
``SKSCATTER_HYPOTHESIS_PROFILE=thorough`` for 1,000 random triclinic cells
each).
"""

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from skscatter.soap import SOAPDescriptor, SOAPSumKernel
from skscatter.structures import SpeciesCounts

from .test_descriptor import SMALL

# Imported after the registry: specs import each other through it.
from ..contract import registry  # noqa: F401  isort: skip
from ..contract.specs.soap import periodic_structure  # noqa: E402  isort: skip


def _relative(a, b):
    return np.abs(a - b).max() / np.abs(b).max()


OPTIONS = [
    dict(rbf="gto"),
    dict(rbf="polynomial"),
    dict(cutoff_function="shifted_cosine", cutoff_width=1.0, centre_weight=0.3),
]


@given(seed=st.integers(0, 2**32 - 1), options=st.sampled_from(OPTIONS))
def test_lattice_vector_shifts_of_any_atom_leave_every_atom_row_unchanged(seed, options):
    rng = np.random.default_rng(seed)
    z, pos, cell, pbc = periodic_structure(rng)
    est = SOAPDescriptor(species=[1, 6, 8], **SMALL, **options).fit([(z, pos, cell, pbc)])
    P, _ = est.transform_atoms([(z, pos, cell, pbc)])
    k = rng.integers(-6, 7, size=(len(z), 3)) * pbc
    Q, _ = est.transform_atoms([(z, pos + k @ cell, cell, pbc)])
    assert _relative(Q, P) < 1e-8


@given(seed=st.integers(0, 2**32 - 1))
def test_rotating_cell_and_atoms_together_permuting_and_translating(seed):
    rng = np.random.default_rng(seed)
    z, pos, cell, pbc = periodic_structure(rng)
    est = SOAPDescriptor(species=[1, 6, 8], **SMALL).fit([(z, pos, cell, pbc)])
    P, _ = est.transform_atoms([(z, pos, cell, pbc)])
    R = Rotation.random(random_state=seed % 2**31).as_matrix()
    perm = rng.permutation(len(z))
    moved = (z[perm], (pos[perm] + rng.normal(size=3) * 20) @ R.T, cell @ R.T, pbc)
    Q, _ = est.transform_atoms([moved])
    assert _relative(Q, P[perm]) < 1e-8


def test_unwrapped_frame_used_to_change_soap():
    # The case: an atom moved by lattice vectors (as in an unwrapped
    # MD frame) changed periodic SOAP by up to 79 %; now by round-off.
    cell = np.array([[4.0, 0.0, 0.0], [1.0, 4.5, 0.0], [0.3, -0.4, 5.0]])
    z, pos = np.array([8, 1, 1]), np.array([[0.5, 0.5, 0.5], [1.3, 0.9, 0.6], [0.2, 1.4, 1.1]])
    far = pos + np.array([[0, 0, 0], [7, -3, 2], [-5, 0, 9]]) @ cell
    est = SOAPDescriptor(**SMALL).fit([(z, pos, cell, True)])
    assert _relative(est.transform([(z, far, cell, True)]), est.transform([(z, pos, cell, True)])) < 1e-12


def test_sum_kernel_and_counts_are_invariant_to_lattice_shifts():
    rng = np.random.default_rng(3)
    X = [periodic_structure(rng) for _ in range(4)]
    moved = [(z, p + (rng.integers(-4, 5, (len(z), 3)) * pbc) @ c, c, pbc) for z, p, c, pbc in X]
    kernel = SOAPSumKernel(SOAPDescriptor(species=[1, 6, 8], **SMALL), n_representatives=6, random_state=0).fit(X)
    assert _relative(kernel.transform(moved), kernel.transform(X)) < 1e-8
    counts = SpeciesCounts().fit(X)
    np.testing.assert_array_equal(counts.transform(moved), counts.transform(X))


# -- bounded images and coincident atoms ----------------------------------------------


@pytest.mark.parametrize("stage", ["fit", "transform"])
@pytest.mark.parametrize("estimator", [SOAPDescriptor(**SMALL), SOAPSumKernel(SOAPDescriptor(**SMALL), n_representatives=3)])
def test_degenerate_cell_is_answered_in_well_under_two_seconds(estimator, stage):
    # It used to spend 10-30 s building billions of images, then raise an
    # empty MemoryError.
    water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    tiny = ([8, 1, 1], [[0, 0, 0], [0.006, 0, 0], [0, 0.007, 0]], 0.01 * np.eye(3), True)
    est = estimator.fit([water]) if stage == "transform" else estimator
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"X\[1\] is periodic.*shortest height of its cell is 0.01 Å.*allows no r_cut"):
        (est.transform if stage == "transform" else est.fit)([water, tiny])
    assert time.perf_counter() - start < 2.0


def test_cutoff_function_changes_the_padding_named_in_the_message():
    dense = ([1], [[0, 0, 0]], 0.25 * np.eye(3), True)
    with pytest.raises(ValueError, match=r"cutoff of 5.86 Å \(r_cut=4 Å plus 1.86 Å of padding\).*allows r_cut <= 2.08 Å"):
        SOAPDescriptor(**SMALL).fit([dense])
    with pytest.raises(ValueError, match=r"a neighbour cutoff of 4 Å reaches.*allows r_cut <= 3.94 Å"):
        SOAPDescriptor(**SMALL, cutoff_function="shifted_cosine").fit([dense])


@pytest.mark.parametrize("stage", ["fit", "transform", "transform_atoms"])
def test_coincident_atoms_are_refused_in_fit_and_transform(stage):
    ok = ([6, 1], [[0, 0, 0], [1.1, 0, 0]])
    on_image = ([6, 1, 8], [[0.2, 0.2, 0.2], [1.0, 1.0, 1.0], [3.2, 3.2, -2.8]], 3.0 * np.eye(3), True)
    est = SOAPDescriptor(**SMALL)
    if stage != "fit":
        est.fit([ok, ([8], [[0, 0, 0]])])
    with pytest.raises(ValueError, match=r"X\[2\] has atoms 0 and 2 at the same position"):
        getattr(est, stage)([ok, ok, on_image])
