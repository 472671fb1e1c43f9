"""The input gate for sequences of atomic structures.

Every molecule-side estimator takes ``X`` as a sequence of structures, in
any of these forms (mixed freely):

* an ``ase.Atoms`` object (or anything with ``get_atomic_numbers()`` and
  ``get_positions()``, plus optionally ``get_cell()`` and ``get_pbc()``);
* a tuple ``(atomic_numbers, positions)`` or
  ``(atomic_numbers, positions, cell, pbc)``;
* a dict with keys ``"numbers"`` and ``"positions"`` (optionally ``"cell"``
  and ``"pbc"``).

Positions are Cartesian, in Ångström.  An iterable without ``len`` (a
generator, ``ase.io.iread(...)``) is accepted too: ``fit`` reads it into a
list, and the transforms of per-structure rows read it chunk by chunk.  A
list is what
:class:`~sklearn.model_selection.GridSearchCV` and cross-validation index,
so a list of structures works in a :class:`~sklearn.pipeline.Pipeline` as
any ``X`` does.  Padded arrays (such as the QM7/QM9 files) become such a
list with :func:`structures_from_padded`.
"""

from collections.abc import Mapping
from numbers import Integral
from typing import NamedTuple

import numpy as np

__all__ = [
    "Structure",
    "StructureInputMixin",
    "atomic_number",
    "check_species",
    "check_structures",
    "chemical_symbol",
    "coincident_atoms_error",
    "is_structure_stream",
    "iter_structure_chunks",
    "species_numbers",
    "structures_from_padded",
]

_FORMS = (
    "each structure must be an ase.Atoms, a tuple (numbers, positions) or "
    "(numbers, positions, cell, pbc), or a dict with keys 'numbers' and 'positions'"
)
MAX_Z = 118
# Chemical symbols of Z = 1..118 (our own table: ase is an optional dependency).
SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr "
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb "
    "Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr "
    "Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
_NUMBERS = {symbol: z for z, symbol in enumerate(SYMBOLS, 1)}
# Beyond this distance from the origin (Å), float64 positions resolve
# interatomic vectors only to ~1e-8 Å: far enough for any real structure.
MAX_COORDINATE = 1e8


class Structure(NamedTuple):
    """One validated structure: what every molecule-side kernel reads.

    Parameters
    ----------
    numbers : ndarray of shape (n_atoms,), int64
        Atomic numbers, 1 to 118.
    positions : ndarray of shape (n_atoms, 3), float64
        Cartesian positions in Ångström, finite.
    cell : ndarray of shape (3, 3), float64
        Lattice vectors as rows; zeros for a molecule.
    pbc : ndarray of shape (3,), bool
        Periodicity along each lattice vector.

    Examples
    --------
    >>> s = check_structures([([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])])[0]
    >>> s.numbers.tolist(), s.periodic
    ([8, 1, 1], False)
    """

    numbers: np.ndarray  # (n_atoms,) int64, 1..118
    positions: np.ndarray  # (n_atoms, 3) float64, finite, Ångström
    cell: np.ndarray  # (3, 3) float64, rows are the lattice vectors (zeros if none)
    pbc: np.ndarray  # (3,) bool

    @property
    def periodic(self):
        return bool(self.pbc.any())


class StructureInputMixin:
    """Tags for estimators whose ``X`` is a sequence of structures, not an array.

    scikit-learn's estimator checks then run only their data-free part, and
    the estimator must be fitted before ``transform``.

    Examples
    --------
    >>> from skscatter import SpeciesCounts
    >>> SpeciesCounts().__sklearn_tags__().input_tags.two_d_array
    False
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


def _unpack(item, i):
    if hasattr(item, "get_atomic_numbers") and hasattr(item, "get_positions"):
        numbers, positions = item.get_atomic_numbers(), item.get_positions()
        cell = np.asarray(item.get_cell()) if hasattr(item, "get_cell") else None
        pbc = item.get_pbc() if hasattr(item, "get_pbc") else None
        return numbers, positions, cell, pbc
    if isinstance(item, Mapping):
        if "numbers" not in item or "positions" not in item:
            raise ValueError(f"X[{i}] is a dict with keys {sorted(item)}; {_FORMS}.")
        return item["numbers"], item["positions"], item.get("cell"), item.get("pbc")
    if isinstance(item, (tuple, list)) and len(item) in (2, 4):
        return (tuple(item) + (None, None))[:4]
    raise ValueError(f"X[{i}] is a {type(item).__name__}; {_FORMS}.")


def _check_one(item, i):
    numbers, positions, cell, pbc = _unpack(item, i)
    numbers = np.asarray(numbers)
    if numbers.ndim != 1 or numbers.size == 0:
        raise ValueError(
            f"X[{i}] has atomic numbers of shape {numbers.shape}; a structure needs a 1D array of at least one atom."
        )
    if numbers.dtype.kind == "f" and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
        numbers = numbers.astype(np.int64)
    if numbers.dtype.kind not in "iu":
        raise ValueError(f"X[{i}] has atomic numbers of dtype {numbers.dtype}; they must be integers.")
    numbers = numbers.astype(np.int64)
    if numbers.min() < 1 or numbers.max() > MAX_Z:
        bad = numbers[(numbers < 1) | (numbers > MAX_Z)]
        raise ValueError(
            f"X[{i}] has atomic numbers {sorted(set(bad.tolist()))}; they must lie in 1..{MAX_Z} "
            "(remove padding zeros, e.g. with skscatter.structures.structures_from_padded)."
        )
    try:
        positions = np.asarray(positions, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"X[{i}] has positions that are not numbers.") from None
    if positions.shape != (numbers.size, 3):
        raise ValueError(
            f"X[{i}] has positions of shape {positions.shape} for {numbers.size} atoms; "
            f"expected ({numbers.size}, 3) Cartesian coordinates."
        )
    if not np.all(np.isfinite(positions)):
        raise ValueError(f"X[{i}] has NaN or infinite positions; fix or drop that structure.")
    if np.abs(positions).max() > MAX_COORDINATE:
        raise ValueError(
            f"X[{i}] has positions {np.abs(positions).max():.3g} Å from the origin; beyond {MAX_COORDINATE:.0e} Å "
            "float64 loses the interatomic distances. Translate the structure near the origin (positions in Å)."
        )

    pbc = np.zeros(3, dtype=bool) if pbc is None else np.broadcast_to(np.asarray(pbc, dtype=bool), (3,)).copy()
    if cell is None:
        cell = np.zeros((3, 3))
    else:
        cell = np.asarray(cell, dtype=np.float64)
        if cell.shape == (3,):
            cell = np.diag(cell)
        if cell.shape != (3, 3) or not np.all(np.isfinite(cell)):
            raise ValueError(f"X[{i}] has a cell of shape {cell.shape}; it must be a finite 3 x 3 matrix (rows = lattice vectors).")
    if pbc.any():
        volume = abs(np.linalg.det(cell))
        scale = np.prod(np.linalg.norm(cell, axis=1))
        if not volume > 1e-10 * max(scale, 1e-300):
            raise ValueError(
                f"X[{i}] is periodic (pbc={pbc.tolist()}) but its cell is singular (volume {volume:.3g}); "
                "give three independent lattice vectors, or set pbc=False."
            )
    return Structure(numbers, positions, cell, pbc)


def coincident_atoms_error(i, a, b, distance):
    """The error every molecule estimator raises for two atoms at one position.

    Parameters
    ----------
    i : int
        Index of the structure in ``X``.
    a, b : int
        The two atoms (indices within the structure; for periodic
        structures ``b`` may be an image of ``a`` itself).
    distance : float
        Their distance in Ångström.

    Returns
    -------
    error : ValueError
        The error to raise, naming the structure, the atoms and the fix.

    Examples
    --------
    >>> coincident_atoms_error(3, 0, 2, 0.0)
    ValueError('X[3] has atoms 0 and 2 at the same position (0 Å apart); a structure cannot hold coincident atoms. Remove the duplicate (or, for a periodic image, check the cell).')
    """
    what = f"atom {a} and a periodic image of itself" if a == b else f"atoms {a} and {b}"
    return ValueError(
        f"X[{i}] has {what} at the same position ({distance:.2g} Å apart); a structure cannot hold coincident "
        "atoms. Remove the duplicate (or, for a periodic image, check the cell)."
    )


def is_structure_stream(X):
    """Whether ``X`` is an iterable of structures without ``len`` (a generator, ``ase.io.iread(...)``).

    Such input can be read only once and may not fit in memory: the
    transforms that return one row per structure read it chunk by chunk
    (``iter_structure_chunks``), ``fit`` reads it into a list.

    Examples
    --------
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> is_structure_stream(iter([water])), is_structure_stream([water])
    (True, False)
    """
    return (
        hasattr(X, "__iter__")
        and not hasattr(X, "__len__")
        and not isinstance(X, (str, bytes, Mapping, np.ndarray))
        and not hasattr(X, "get_positions")
    )


def _check_sequence(X):
    if isinstance(X, np.ndarray) and X.dtype != object:
        raise ValueError(
            f"X is a numeric array of shape {X.shape}; molecule estimators take a sequence of structures "
            "(see skscatter.structures). Padded arrays of atomic numbers and positions become one with "
            "skscatter.structures.structures_from_padded(Z, R)."
        )
    if isinstance(X, (str, bytes, Mapping)) or not hasattr(X, "__iter__") or hasattr(X, "get_positions"):
        raise ValueError(
            f"X is a {type(X).__name__}; it must be a sequence (e.g. a list) of structures, or an iterable "
            "of them such as a generator."
        )


def _refuse_periodic(structures, first_index=0):
    for k, s in enumerate(structures):
        if s.periodic:
            raise ValueError(
                f"X[{first_index + k}] is periodic (pbc={s.pbc.tolist()}); "
                "this estimator handles finite molecules only: set pbc=False."
            )


def check_structures(X, *, allow_periodic=True):
    """Validate a sequence of structures.

    Parameters
    ----------
    X : sequence or iterable
        Structures in the forms listed in the module docstring.  An
        iterable without ``len`` (a generator) is read into a list: use
        ``iter_structure_chunks`` where the work can go chunk by chunk.
    allow_periodic : bool, default=True
        If False, periodic structures are rejected (for estimators that only
        handle finite molecules).

    Returns
    -------
    structures : list of Structure
        The validated structures, in the order of ``X``.

    Examples
    --------
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> [s.numbers.tolist() for s in check_structures([water])]
    [[8, 1, 1]]
    >>> len(check_structures(water for _ in range(3)))
    3
    """
    _check_sequence(X)
    structures = [_check_one(item, i) for i, item in enumerate(X)]
    if not structures:
        raise ValueError("X holds no structures; pass at least one.")
    if not allow_periodic:
        _refuse_periodic(structures)
    return structures


def iter_structure_chunks(X, *, max_atoms, max_structures, allow_periodic=True):
    """Validate ``X`` lazily, chunk by chunk: yields ``(first_index, structures)``.

    Only one chunk of ``X``'s items is held at a time, so a generator over
    a trajectory larger than memory can be transformed.  Errors name the
    structure by its position in the whole of ``X``.

    Parameters
    ----------
    X : iterable
        Structures (a sequence or any iterable).
    max_atoms : int
        A chunk ends once it holds this many atoms (at least one structure).
    max_structures : int
        Or once it holds this many structures.
    allow_periodic : bool, default=True
        If False, periodic structures are rejected.

    Yields
    ------
    first_index : int
        Position in ``X`` of the chunk's first structure.
    structures : list of Structure

    Examples
    --------
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> [(i, len(c)) for i, c in iter_structure_chunks((water for _ in range(5)), max_atoms=6, max_structures=10)]
    [(0, 2), (2, 2), (4, 1)]
    """
    _check_sequence(X)
    chunk, atoms, first = [], 0, 0
    i = -1
    for i, item in enumerate(X):
        s = _check_one(item, i)
        if not allow_periodic:
            _refuse_periodic([s], i)
        chunk.append(s)
        atoms += len(s.numbers)
        if atoms >= max_atoms or len(chunk) >= max_structures:
            yield first, chunk
            chunk, atoms, first = [], 0, i + 1
    if i < 0:
        raise ValueError("X holds no structures; pass at least one.")
    if chunk:
        yield first, chunk


def chemical_symbol(z):
    """The chemical symbol of atomic number ``z``.

    Examples
    --------
    >>> chemical_symbol(8)
    'O'
    """
    return SYMBOLS[int(z) - 1]


def atomic_number(element, *, parameter="species"):
    """The atomic number of a chemical symbol (``"Cl"``) or of an atomic number (17).

    Parameters
    ----------
    element : str or int
        A symbol, case as written in the periodic table, or a number in 1..118.
    parameter : str, default="species"
        The parameter named in errors.

    Returns
    -------
    z : int

    Examples
    --------
    >>> atomic_number("Cl"), atomic_number(17)
    (17, 17)
    """
    if isinstance(element, str):
        z = _NUMBERS.get(element)
        if z is None:
            close = _NUMBERS.get(element.strip().capitalize())
            hint = f" (did you mean {SYMBOLS[close - 1]!r}?)" if close else ""
            raise ValueError(
                f"{parameter} holds {element!r}, which is not a chemical symbol{hint}; use symbols as in the "
                "periodic table ('H', 'O', 'Cl') or atomic numbers (1, 8, 17)."
            )
        return z
    if isinstance(element, (Integral, np.integer)) and not isinstance(element, (bool, np.bool_)):
        if not 1 <= int(element) <= MAX_Z:
            raise ValueError(f"{parameter} holds the atomic number {element!r}; atomic numbers lie in 1..{MAX_Z}.")
        return int(element)
    raise ValueError(
        f"{parameter} holds {element!r} of type {type(element).__name__}; each element must be a chemical "
        "symbol ('O') or an atomic number (8)."
    )


def species_numbers(species, *, parameter="species"):
    """Sorted atomic numbers of a ``species`` parameter: symbols, numbers, or a mix (as dscribe takes them).

    Parameters
    ----------
    species : sequence of str or int
        Distinct elements, e.g. ``["H", "O"]``, ``[1, 8]`` or ``["H", 8]``.
    parameter : str, default="species"
        The parameter named in errors.

    Returns
    -------
    species : ndarray of int64, sorted

    Examples
    --------
    >>> species_numbers(["O", "H"]).tolist(), species_numbers([8, "H"]).tolist()
    ([1, 8], [1, 8])
    """
    if isinstance(species, (str, bytes)):
        raise ValueError(
            f"{parameter}={species!r} is a single string; pass a sequence of elements, e.g. "
            f"{parameter}=['H', 'O'] or {parameter}=[1, 8]."
        )
    if isinstance(species, np.ndarray) and species.ndim != 1:
        raise ValueError(f"{parameter} has shape {species.shape}; pass a flat sequence of elements, e.g. [1, 8].")
    items = list(species)
    if not items:
        raise ValueError(f"{parameter}={species!r} is empty; pass at least one element, e.g. {parameter}=['H'].")
    numbers = [atomic_number(item.item() if isinstance(item, np.generic) else item, parameter=f"{parameter}={species!r}")
               for item in items]
    if len(set(numbers)) != len(numbers):
        repeated = sorted(z for z in set(numbers) if numbers.count(z) > 1)
        raise ValueError(
            f"{parameter}={species!r} must hold distinct atomic numbers; it names "
            f"{', '.join(f'{chemical_symbol(z)} (Z={z})' for z in repeated)} more than once."
        )
    return np.array(sorted(numbers), dtype=np.int64)


def _elements(numbers):
    return ", ".join(chemical_symbol(z) for z in numbers)


def check_species(structures, species, *, parameter="species", owner=None, fix=None, first_index=0):
    """Raise a ValueError naming any element not in ``species``.

    Parameters
    ----------
    structures : list of Structure
        Validated structures (from :func:`check_structures`).
    species : sequence of int
        The atomic numbers allowed.
    parameter : str, default="species"
        The estimator's parameter, named in the fix.
    owner : str or None, default=None
        At transform time, the fitted estimator's name: the message then
        says which elements it was fitted for, and to pass ``species=``.
    fix : str or None, default=None
        At transform time, how to pass the species, with ``{species}`` where
        the list goes (default ``"{owner}(species={species})"``).
    first_index : int, default=0
        Position of ``structures[0]`` in ``X``, for the message.

    Examples
    --------
    >>> water = check_structures([([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])])
    >>> check_species(water, [1, 8])
    >>> check_species(water, [1, 6])
    Traceback (most recent call last):
    ...
    ValueError: X[0] contains atomic numbers [8] (O), which are not in species=[1, 6]; add them to species (or set species=None to learn the species in fit).
    """
    allowed = sorted(set(int(z) for z in species))
    for i, s in enumerate(structures, first_index):
        unknown = sorted(set(s.numbers.tolist()) - set(allowed))
        if not unknown:
            continue
        if owner is None:
            raise ValueError(
                f"X[{i}] contains atomic numbers {unknown} ({_elements(unknown)}), which are not in "
                f"{parameter}={allowed}; add them to {parameter} (or set {parameter}=None to learn the species in fit)."
            )
        every = sorted(set(allowed) | set(unknown))
        template = fix if fix is not None else owner + "(" + parameter + "={species})"
        raise ValueError(
            f"X[{i}] contains atomic numbers {unknown} ({_elements(unknown)}), but this {owner} was fitted for "
            f"{parameter}_={allowed} ({_elements(allowed)}) only. With {parameter}=None, "
            "fit learns the elements of its training structures, so a cross-validation split whose training part "
            "lacks an element fails here: pass every element of the data to the constructor, e.g. "
            f"{template.format(species=every)} (symbols work too: "
            f"{template.format(species=[chemical_symbol(z) for z in every])}), and refit; or drop those structures."
        )


def resolve_species(species, structures, *, parameter="species"):
    """The sorted atomic numbers an estimator works with: ``species``, checked, or those in ``structures``.

    Parameters
    ----------
    species : sequence of str or int, or None
        The estimator's parameter: chemical symbols, atomic numbers or a
        mix (None: learn from ``structures``).
    structures : list of Structure
        Validated structures (from :func:`check_structures`).
    parameter : str, default="species"
        Name used in error messages.

    Returns
    -------
    species : ndarray of int64, sorted

    Raises
    ------
    ValueError
        If ``species`` is not a non-empty sequence of distinct elements
        (symbols or atomic numbers in 1..118), or a structure holds an
        element outside it.
    """
    if species is None:
        return np.unique(np.concatenate([s.numbers for s in structures])).astype(np.int64)
    arr = species_numbers(species, parameter=parameter)
    check_species(structures, arr, parameter=parameter)
    return arr


def structures_from_padded(Z, R, n_atoms=None):
    """Turn padded arrays (as in the QM7 and QM9 files) into a list of structures.

    Parameters
    ----------
    Z : array-like of shape (n_structures, max_atoms)
        Atomic numbers, padded with 0 at the end of each row.
    R : array-like of shape (n_structures, max_atoms, 3)
        Positions in Ångström (padding rows ignored).
    n_atoms : array-like of shape (n_structures,), optional
        Atom counts; by default the count of non-zero entries of each row.

    Returns
    -------
    structures : list of tuple
        ``(numbers, positions)`` per structure (float64 positions).

    Examples
    --------
    >>> Z = [[8, 1, 1, 0], [6, 1, 1, 1]]
    >>> R = [[[0, 0, 0]] * 4] * 2
    >>> [len(z) for z, _ in structures_from_padded(Z, R)]
    [3, 4]
    """
    Z = np.asarray(Z)
    R = np.asarray(R, dtype=np.float64)
    if Z.ndim != 2 or R.shape != Z.shape + (3,):
        raise ValueError(f"Z has shape {Z.shape} and R {R.shape}; expected (n, max_atoms) and (n, max_atoms, 3).")
    if n_atoms is None:
        n_atoms = (Z != 0).sum(axis=1)
    n_atoms = np.asarray(n_atoms).astype(np.int64)
    if n_atoms.shape != (Z.shape[0],) or n_atoms.min(initial=1) < 0 or n_atoms.max(initial=0) > Z.shape[1]:
        raise ValueError(f"n_atoms has shape {n_atoms.shape} or values outside 0..{Z.shape[1]}; fix it or leave it None.")
    return [(Z[i, :n].astype(np.int64), R[i, :n].copy()) for i, n in enumerate(n_atoms)]
