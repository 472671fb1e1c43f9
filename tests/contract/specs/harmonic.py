"""SolidHarmonicScattering in the contract suite."""

import numpy as np
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from skscatter import SolidHarmonicScattering

from ..registry import Hostile, Invariance, Memory, Spec
from .soap import molecules
from .structures import _replace, structure_hostile_inputs


def _template_copies(n, rng):
    """``n`` randomly rotated and translated copies of one molecule: equal work per molecule whatever ``n``."""
    numbers = np.array([8, 6, 1, 1, 7])
    positions = np.array([[0.0, 0, 0], [1.2, 0.1, 0], [1.8, 0.9, 0.2], [1.7, -0.9, -0.1], [-0.9, 0.8, 0.5]])
    rotations = Rotation.random(n, random_state=int(rng.integers(2**31))).as_matrix()
    return [(numbers, positions @ R.T + rng.uniform(-5, 5, size=3)) for R in rotations]


def _draw_molecules(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return molecules(rng, n=draw(st.integers(1, 3))), rng


@st.composite
def _rotated(draw):
    # align=True samples every rotated copy in the same frame: round-off only.
    X, rng = _draw_molecules(draw)
    R = Rotation.random(random_state=int(rng.integers(2**31))).as_matrix()
    return X, [(z, r @ R.T) for z, r in X], lambda Y: Y


@st.composite
def _translated(draw):
    X, _ = _draw_molecules(draw)
    shift = np.array(draw(st.tuples(*[st.floats(-1e3, 1e3)] * 3)))
    return X, [(z, r + shift) for z, r in X], lambda Y: Y


@st.composite
def _atoms_permuted(draw):
    X, rng = _draw_molecules(draw)
    perms = [rng.permutation(len(z)) for z, _ in X]
    return X, [(z[p], r[p]) for (z, r), p in zip(X, perms)], lambda Y: Y


@st.composite
def _molecules_permuted(draw):
    X, rng = _draw_molecules(draw)
    X = X + molecules(rng, n=2)
    perm = rng.permutation(len(X))
    return X, [X[i] for i in perm], lambda Y: Y[perm]


def _pair(X, i, distance):
    """``X`` with molecule ``i`` replaced by two hydrogens ``distance`` Å apart."""
    return list(X[:i]) + [(np.array([1, 1]), np.array([[0.0, 0, 0], [distance, 0, 0]]))] + list(X[i + 1 :])


def _lattice(X, i, side):
    """``X`` with molecule ``i`` replaced by ``side**3`` carbons on a 1.5 Å cubic lattice."""
    grid = 1.5 * np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    return list(X[:i]) + [(np.full(len(grid), 6), grid.astype(float))] + list(X[i + 1 :])


def _with_metal(X, r):
    numbers = np.asarray(X[2][0]).copy()
    numbers[0] = 26
    return list(X[:2]) + [(numbers, X[2][1])] + list(X[3:])


HOSTILE = structure_hostile_inputs() + [
    Hostile("J_true", lambda X, r: X, "fit", params=dict(J=True), match="'J' parameter.*int.*Got True"),
    Hostile("L_beyond_16", lambda X, r: X, "fit", params=dict(L=17), match=r"'L' parameter.*range \[0, 16\].*Got 17"),
    Hostile(
        "J_overflows_the_normalisation",
        lambda X, r: X,
        "fit",
        params=dict(J=200),
        match=r"J=200, L=2 and sigma=1.5 .*outside float64's range; reduce J",
    ),
    Hostile(
        "repeated_integral_power",
        lambda X, r: X,
        "fit",
        params=dict(integral_powers=(1.0, 2.0, 1.0)),
        match="repeats a power.*drop the repeats",
    ),
    Hostile(
        "negative_integral_power",
        lambda X, r: X,
        "fit",
        params=dict(integral_powers=(1.0, -2.0)),
        match="integral_powers=.*positive finite numbers",
    ),
    Hostile("unknown_channel", lambda X, r: X, "fit", params=dict(channels=("spin",)), match="channels=.*distinct names"),
    Hostile(
        "bonding_channel_of_a_metal",
        _with_metal,
        "fit",
        params=dict(channels=("nuclear", "bonding")),
        match=r"X\[2\]: channel='bonding' is defined for main-group elements only; atomic numbers \[26\].*Drop 'bonding'",
    ),
    Hostile(
        "bonding_channel_of_a_metal_transform",
        _with_metal,
        "transform",
        params=dict(channels=("nuclear", "bonding")),
        match=r"X\[2\]: channel='bonding'.*Drop 'bonding'",
    ),
    Hostile(
        "periodic_structure",
        lambda X, r: _replace(X, 1, cell=10 * np.eye(3), pbc=True),
        "fit",
        match=r"X\[1\] is periodic.*finite molecules only: set pbc=False",
    ),
    Hostile(
        "single_atoms_without_spacing",
        lambda X, r: [(np.asarray(z)[:1], np.asarray(p)[:1]) for z, p in X],
        "fit",
        match="every molecule in X has a single atom; pass spacing",
    ),
    Hostile(
        "molecule_too_large_for_the_memory",
        lambda X, r: _pair(X, 1, 3000.0),
        "transform",
        match=r"X\[1\] spans .* voxels.*over the limit of 512 MiB.*Increase spacing",
    ),
    Hostile(
        "molecule_too_large_for_the_memory_fit",
        lambda X, r: _pair(X, 0, 3000.0),
        "fit",
        params=dict(spacing=0.1),
        match=r"X\[0\] spans .* voxels of 0\.1 Å.*Increase spacing",
    ),
    Hostile(
        "too_many_atoms_for_the_closed_forms",
        lambda X, r: _lattice(X, 1, 15),
        "transform",
        params=dict(method="analytic"),
        match=r"X\[1\] has 3375 atoms: the closed-form invariants need 695 MiB.*over the limit of 512 MiB.*method='grid'",
    ),
    Hostile(
        "molecule_outside_the_periodic_box",
        lambda X, r: _pair(X, 2, 40.0),
        "transform",
        params=dict(boundary="periodic"),
        match=r"X\[2\] spans .* Increase grid_shape",
    ),
    Hostile(
        "periodic_box_too_small",
        lambda X, r: X,
        "fit",
        params=dict(boundary="periodic", grid_shape=(16, 16, 16)),
        match=r"X\[\d\] spans .*grid \(16, 16, 16\).*Increase grid_shape",
    ),
    Hostile(
        "periodic_box_too_large_for_the_memory",
        lambda X, r: X,
        "fit",
        params=dict(boundary="periodic", grid_shape=(1024, 1024, 1024)),
        match=r"periodic box \(1024, 1024, 1024\).*over the limit of 512 MiB.*smaller grid_shape",
    ),
    Hostile(
        "exact_evaluation_in_free_space",
        lambda X, r: X,
        "fit",
        params=dict(bandwidth_tol=None),
        match="bandwidth_tol=None .*needs boundary='periodic'",
    ),
    Hostile(
        "analytic_without_a_closed_form",
        lambda X, r: X,
        "fit",
        params=dict(method="analytic", integral_powers=(0.5,)),
        match="no closed-form invariant.*include q = 1, 2 or 3",
    ),
    Hostile(
        "periodic_with_numpy_backend",
        lambda X, r: X,
        "transform",
        params=dict(boundary="periodic"),
        after_fit=dict(backend="numpy"),
        match=r"backend='numpy'\) is not available.*'numba' only; set backend='auto'",
    ),
    Hostile(
        "periodic_with_cupy_backend",
        lambda X, r: X,
        "transform",
        params=dict(boundary="periodic"),
        after_fit=dict(backend="cupy"),
        match=r"backend='cupy'\) is not available.*'numba' only",
    ),
    Hostile(
        "invariants_overflow",
        lambda X, r: X,
        "fit_transform",
        # Order 0: peaks of 8 / ((2 pi)**1.5 sigma**3) ~ 5e8, to the power 40.
        params=dict(J=0, L=0, max_order=1, channels=("nuclear",), sigma=1e-3, integral_powers=(1.0, 40.0)),
        match=r"The invariants of X\[\d\] overflow float64.*smaller integral_powers",
    ),
    Hostile("verbose_negative_after_fit", lambda X, r: X, "transform", after_fit=dict(verbose=-1), match="'verbose' parameter"),
]


SPEC = Spec(
    cls=SolidHarmonicScattering,
    params=dict(J=1, L=2, sigma=1.5, integral_powers=(0.5, 1.0, 2.0), channels=("nuclear", "valence")),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(
        J=2,
        L=1,
        sigma=2.0,
        integral_powers=(1.0, 2.0),
        max_order=1,
        channels=("core",),
        spacing=0.15,
        grid_shape=(48, 48, 48),  # unused (with a warning) in free space
        align=False,
        boundary="periodic",
        method="analytic",
        bandwidth_tol=1e-5,
    ),
    hostile=HOSTILE,
    invariances=[
        # With align=True a rotated, translated or reordered molecule is
        # sampled on the same grids: only round-off changes, which the
        # q = 0.5 integrals of order 2 amplify (the square root of the FFT
        # round-off of the grids' near-empty corners) to a few 1e-9.
        Invariance("rotation", _rotated(), rtol=2e-8),
        Invariance("translation", _translated(), rtol=2e-8),
        Invariance("atom_order", _atoms_permuted(), rtol=2e-8),
        # Each molecule is computed alone, so reordering them reorders the
        # rows; not bit for bit, though: one CI run saw a single column of
        # one row differ by one ulp (its replays here did not), so the rows
        # are compared to round-off.  A molecule given another's row, or
        # features mixed across molecules, differs at order 1.
        Invariance("molecule_order", _molecules_permuted(), rtol=1e-12),
    ],
    backends=("numpy", "numba"),
    rtol=1e-10,
    memory=Memory(make=_template_copies, n_small=4, n_large=32),
)
