"""SOAPDescriptor and SOAPSumKernel in the contract suite.

Besides the molecules every structure estimator is tested on, SOAP takes
periodic cells: the invariances draw random triclinic cells (fully or
partly periodic) and move atoms by lattice vectors, rotate cell and atoms
together, permute and translate them.
"""

import itertools

import numpy as np
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation
from sklearn.base import clone

from skscatter import SOAPDescriptor, SOAPSumKernel

from ..registry import Hostile, Invariance, Memory, Spec
from .structures import structure_hostile_inputs


def molecules(rng, n=6, species=(1, 6, 8)):
    """Random molecules with atoms at least 0.8 Å apart."""
    mols = []
    while len(mols) < n:
        k = int(rng.integers(2, 8))
        pos = rng.uniform(-2.0, 2.0, size=(k, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + 1e9 * np.eye(k))
        if d.min() > 0.8:
            mols.append((rng.choice(species, size=k), pos))
    return mols


# -- periodic cells ------------------------------------------------------------

_PBC = [(True, True, True), (True, True, False), (True, False, True), (False, True, False)]
_SHIFTS = np.array(list(itertools.product((-1, 0, 1), repeat=3)))


def _heights(cell):
    volume = abs(np.linalg.det(cell))
    return np.array([volume / np.linalg.norm(np.cross(cell[(a + 1) % 3], cell[(a + 2) % 3])) for a in range(3)])


def random_cell(rng, min_height=2.5):
    """A triclinic cell (rows are lattice vectors) whose faces are at least ``min_height`` Å apart."""
    while True:
        cell = np.diag(rng.uniform(3.0, 6.5, 3)) + rng.uniform(-2.0, 2.0, (3, 3))
        if np.linalg.det(cell) > 0 and _heights(cell).min() >= min_height:
            return cell


def periodic_structure(rng, species=(1, 6, 8), min_distance=0.7):
    """``(numbers, positions, cell, pbc)``: 1-5 atoms in a random cell, at least ``min_distance`` apart (images too)."""
    cell = random_cell(rng)
    pbc = np.array(_PBC[rng.integers(len(_PBC))])
    shifts = _SHIFTS[np.all((_SHIFTS == 0) | pbc, axis=1)] @ cell
    while True:
        n = int(rng.integers(1, 6))
        pos = rng.uniform(0.0, 1.0, (n, 3)) @ cell
        d = np.linalg.norm(pos[:, None, None] - pos[None, :, None] - shifts[None, None], axis=-1)
        d[np.arange(n), np.arange(n), np.flatnonzero(~shifts.any(axis=1))[0]] = np.inf  # an atom and itself
        if d.min() >= min_distance:
            return rng.choice(species, size=n), pos, cell, pbc


def periodic_structures(rng, n=3):
    return [periodic_structure(rng) for _ in range(n)]


def _seeded(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


@st.composite
def lattice_shifts(draw):
    """Every atom moved by its own integer combination of the periodic lattice vectors (an unwrapped MD frame)."""
    rng = _seeded(draw)
    X = periodic_structures(rng)
    moved = []
    for z, pos, cell, pbc in X:
        k = rng.integers(-3, 4, size=(len(z), 3)) * pbc
        moved.append((z, pos + k @ cell, cell, pbc))
    return X, moved, lambda Y: Y


@st.composite
def rigid_motions_of_cells(draw):
    """Cell and atoms rotated together, atoms permuted and translated."""
    rng = _seeded(draw)
    X = periodic_structures(rng)
    R = Rotation.random(random_state=rng.integers(2**31)).as_matrix()
    moved = []
    for z, pos, cell, pbc in X:
        perm = rng.permutation(len(z))
        moved.append((z[perm], (pos[perm] + rng.normal(size=3) * 5) @ R.T, cell @ R.T, pbc))
    return X, moved, lambda Y: Y


@st.composite
def rigid_motions_of_molecules(draw):
    """Molecules rotated, translated and their atoms permuted; the structures' order permuted too."""
    rng = _seeded(draw)
    X = molecules(rng, n=4)
    R = Rotation.random(random_state=rng.integers(2**31)).as_matrix()
    order = rng.permutation(len(X))
    moved = []
    for b in order:
        z, pos = X[b]
        perm = rng.permutation(len(z))
        moved.append((z[perm], pos[perm] @ R.T + rng.normal(size=3) * 10))
    return X, moved, lambda Y: Y[order]


def invariances(rtol_molecules=1e-9):
    return [
        # The MUST: lattice-vector shifts of any atom, to 1e-8 relative.
        Invariance("lattice_shifts", lattice_shifts(), rtol=1e-8),
        Invariance("rotation_translation_permutation_of_cells", rigid_motions_of_cells(), rtol=1e-8),
        Invariance("rotation_translation_permutation_of_molecules", rigid_motions_of_molecules(), rtol=rtol_molecules),
    ]


# -- hostile inputs --------------------------------------------------------------


def _same_as_numbers(out, est, bad):
    # Symbols resolve in fit to the sorted atomic numbers: the same model as numbers.
    assert est.species_.tolist() == [1, 6, 8]
    numbers = clone(est).set_params(species=[1, 6, 8]).fit(bad)
    np.testing.assert_array_equal(out, numbers.transform(bad))



def _replace(X, i, **fields):
    """``X`` with structure ``i`` as a dict, some of its fields replaced."""
    item = {"numbers": X[i][0], "positions": X[i][1], **fields}
    return list(X[:i]) + [item] + list(X[i + 1 :])


def _in_cell(X, cell, pbc=True):
    return [dict(numbers=z, positions=p, cell=cell, pbc=pbc) for z, p in X]


def _atom_on_image_of_another(X, rng):
    # Atom 1 sits one lattice vector away from atom 0: the same atom, twice.
    cell = 4.0 * np.eye(3)
    return list(X[:2]) + [([6, 8, 1], [[0.5, 0.5, 0.5], [4.5, 0.5, 0.5], [2.0, 2.0, 2.0]], cell, True)] + list(X[3:])


def _unwrapped(X, rng):
    cell = np.array([[5.0, 0.0, 0.0], [1.0, 5.5, 0.0], [0.5, -0.7, 6.0]])
    out = []
    for z, p in X:
        k = rng.integers(-5, 6, size=(len(z), 3))
        out.append(dict(numbers=z, positions=np.asarray(p) + k @ cell, cell=cell, pbc=True))
    return out


def _equals_wrapped(out, est, bad):
    # An unwrapped frame gives the features of the same frame wrapped by hand.
    wrapped = []
    for s in bad:
        frac = np.linalg.solve(s["cell"].T, np.asarray(s["positions"]).T).T
        wrapped.append(dict(s, positions=(frac - np.floor(frac)) @ s["cell"]))
    expected = est.transform(wrapped)
    np.testing.assert_allclose(out, expected, rtol=1e-8, atol=1e-10 * np.abs(expected).max())


def soap_hostile_inputs(name):
    """Rows every SOAP estimator answers alike (``name`` is the estimator, quoted in the refit message)."""
    return structure_hostile_inputs() + [
        Hostile(
            "unknown_species_transform",
            lambda X, r: _replace(X, 2, numbers=np.r_[16, np.asarray(X[2][0])[1:]]),
            "transform",
            match=rf"X\[2\] contains atomic numbers \[16\] \(S\), but this {name} was fitted for species_=\[1, 6, 8\] "
            r"\(H, C, O\).*pass every element of the data to the constructor.*species=\[1, 6, 8, 16\].*refit",
        ),
        Hostile(
            "degenerate_cell",
            lambda X, r: _in_cell(X, 0.01 * np.eye(3)),
            "fit",
            match=r"X\[0\] is periodic.*shortest height of its cell is 0.01 Å.*allows no r_cut at all",
        ),
        Hostile(
            "degenerate_cell_transform",
            lambda X, r: list(X[:1]) + _in_cell(X[1:2], 0.01 * np.eye(3)),
            "transform",
            match=r"X\[1\] is periodic.*shortest height of its cell is 0.01 Å.*allows no r_cut",
        ),
        Hostile(
            "dense_cell_names_the_r_cut_it_allows",
            lambda X, r: [(X[0][0][:1], np.asarray(X[0][1])[:1], 0.3 * np.eye(3), True)] + list(X[1:]),
            "fit",
            match=r"X\[0\] is periodic.*shortest height of its cell is 0.3 Å.*r_cut=3 Å plus 1.86 Å of padding.*"
            r"this cell allows r_cut <= 2.8\d Å",
        ),
        Hostile(
            "singular_cell",
            lambda X, r: _in_cell(X, np.array([[4.0, 0, 0], [0, 4.0, 0], [4.0, 4.0, 0]])),
            "fit",
            match=r"X\[0\] is periodic.*cell is singular.*three independent lattice vectors",
        ),
        Hostile(
            "atom_on_periodic_image_of_another",
            _atom_on_image_of_another,
            "fit",
            match=r"X\[2\] has atoms 0 and 1 at the same position",
        ),
        Hostile(
            "atom_on_periodic_image_of_another_transform",
            _atom_on_image_of_another,
            "transform",
            match=r"X\[2\] has atoms 0 and 1 at the same position",
        ),
        Hostile("unwrapped_md_frame", _unwrapped, "fit_transform", error=None, check=_equals_wrapped),
    ]


DESCRIPTOR = Spec(
    cls=SOAPDescriptor,
    params=dict(r_cut=3.0, n_max=2, l_max=2),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(
        species=(1, 6, 7, 8),
        r_cut=2.5,
        n_max=3,
        l_max=1,
        sigma=0.4,
        rbf="polynomial",
        cutoff_function="shifted_cosine",
        cutoff_width=0.3,
        centre_weight=0.5,
        reduction="mean",
        normalize=True,
    ),
    hostile=soap_hostile_inputs("SOAPDescriptor")
    + [
        Hostile("l_max_true", lambda X, r: X, "fit", params=dict(l_max=True), match="'l_max' parameter.*int.*Got True"),
        Hostile("n_max_float", lambda X, r: X, "fit", params=dict(n_max=2.0), match="'n_max' parameter.*int.*Got 2.0"),
        Hostile("r_cut_below_one", lambda X, r: X, "fit", params=dict(r_cut=0.5), match="'r_cut' parameter.*Got 0.5"),
        Hostile(
            "cutoff_width_beyond_r_cut",
            lambda X, r: X,
            "fit",
            params=dict(cutoff_function="shifted_cosine", cutoff_width=4.0),
            match="cutoff_width=4.0 exceeds r_cut=3.0.*lower cutoff_width or raise r_cut",
        ),
        Hostile(
            "element_missing_from_species",
            lambda X, r: X,
            "fit",
            params=dict(species=[1, 6]),
            match=r"X\[\d\] contains atomic numbers \[8\] \(O\), which are not in species=\[1, 6\]; add them to species",
        ),
        Hostile(
            "species_not_a_symbol",
            lambda X, r: X,
            "fit",
            params=dict(species=["H", "Xx"]),
            match=r"species=\['H', 'Xx'\] holds 'Xx', which is not a chemical symbol",
        ),
        Hostile(
            "species_as_symbols",
            lambda X, r: X,
            "fit_transform",
            params=dict(species=["O", "H", "C"]),
            error=None,
            check=_same_as_numbers,
        ),
        Hostile("unknown_backend", lambda X, r: X, "fit", params=dict(backend="torch"), match="'backend' parameter"),
        Hostile("batch_size_zero", lambda X, r: X, "fit", params=dict(batch_size=0), match="'batch_size' parameter"),
        Hostile(
            "batch_size_zero_after_fit", lambda X, r: X, "transform", after_fit=dict(batch_size=0), match="'batch_size' parameter"
        ),
        Hostile("verbose_negative_after_fit", lambda X, r: X, "transform", after_fit=dict(verbose=-1), match="'verbose' parameter"),
    ],
    invariances=invariances(),
    backends=("numpy", "numba"),
    rtol=1e-10,
    memory=Memory(make=lambda n, rng: molecules(rng, n=n), n_small=8, n_large=256),
)

SUM_KERNEL = Spec(
    cls=SOAPSumKernel,
    params=dict(descriptor=SOAPDescriptor(r_cut=3.0, n_max=2, l_max=2), n_representatives=8, random_state=0),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(
        descriptor=SOAPDescriptor(r_cut=2.5, n_max=1, l_max=1),
        n_representatives=4,
        zeta=3,
        selection="fps",
        mode="exact",
        whiten=False,
        jitter=1e-3,
        random_state=1,
    ),
    hostile=soap_hostile_inputs("SOAPSumKernel")
    + [
        Hostile("zeta_true", lambda X, r: X, "fit", params=dict(zeta=True), match="'zeta' parameter.*int.*Got True"),
        Hostile("verbose_negative_after_fit", lambda X, r: X, "transform", after_fit=dict(verbose=-1), match="'verbose' parameter"),
        Hostile(
            "descriptor_species_not_a_symbol",
            lambda X, r: X,
            "fit",
            params=dict(descriptor=SOAPDescriptor(r_cut=3.0, n_max=2, l_max=2, species=["H", "Xx"])),
            match=r"species=\['H', 'Xx'\] holds 'Xx', which is not a chemical symbol",
        ),
        Hostile(
            "unknown_species_names_the_descriptor",
            lambda X, r: _replace(X, 2, numbers=np.r_[16, np.asarray(X[2][0])[1:]]),
            "transform",
            match=r"SOAPSumKernel\(descriptor=SOAPDescriptor\(\.\.\., species=\[1, 6, 8, 16\]\)\)",
        ),
        Hostile(
            "n_representatives_zero", lambda X, r: X, "fit", params=dict(n_representatives=0), match="'n_representatives' parameter"
        ),
        Hostile("descriptor_not_an_estimator", lambda X, r: X, "fit", params=dict(descriptor="soap"), match="'descriptor' parameter"),
        Hostile(
            "descriptor_with_bad_parameter",
            lambda X, r: X,
            "fit",
            params=dict(descriptor=SOAPDescriptor(l_max=-1)),
            match="'l_max' parameter of SOAPDescriptor",
        ),
    ],
    # The kernel is a function of the per-atom rows, normalised: their
    # round-off, raised to zeta, in a sum.
    invariances=invariances(),
    rtol=1e-10,
    memory=Memory(make=lambda n, rng: molecules(rng, n=n), n_small=8, n_large=256),
)
