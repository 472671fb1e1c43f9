"""QM7 and QM9 from their official distribution files, as lists of structures."""

import tarfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..structures import structures_from_padded
from ._base import RemoteFile, _load_converted, _official_files, _save_converted, get_data_home

__all__ = ["fetch_qm7", "fetch_qm9"]

# Checksums: qm7.mat's sha256 is the Git LFS object id of a copy committed in
# jakeparker/10-701-project (data/qm7.mat, 17,884,280 bytes; LFS ids are the
# sha256 of the content); it was not compared with quantum-machine.org's file.
# The QM9 md5s are figshare's (as quoted from its API in a public repository,
# with sizes 86,144,227 and 486,752 bytes); neither file could be checked here.
QM7_REMOTE = RemoteFile(
    "qm7.mat",
    ("http://quantum-machine.org/data/qm7.mat",),
    "sha256:fd6c26c1086887310518e6a6da778253bc5d3ceb8166007a679a740fff9ee6ea",
)
QM9_REMOTES = (
    RemoteFile(
        "dsgdb9nsd.xyz.tar.bz2",
        ("https://ndownloader.figshare.com/files/3195389",),
        "md5:ad1ebd51ee7f5b3a6e32e974e5d54012",
    ),
    RemoteFile(
        "uncharacterized.txt",
        ("https://ndownloader.figshare.com/files/3195404",),
        "md5:a361887bacb427b8a0ce7903d92a53b4",
    ),
)

BOHR = 0.529177210903  # Ångström per Bohr (CODATA 2018)
HARTREE_KCAL_MOL = 627.509
# QM9's free-atom U0 at B3LYP/6-31G(2df,p) (Hartree), for atomization energies.
QM9_ATOM_U0 = {1: -0.500273, 6: -37.846772, 7: -54.583861, 8: -75.064579, 9: -99.718730}
QM9_ELEMENTS = {"H": 1, "C": 6, "N": 7, "O": 8, "F": 9}
QM9_MAX_ATOMS = 29
# The 15 properties of an xyz file's second line, in order, with their units.
QM9_PROPERTIES = {
    "A": "GHz, rotational constant",
    "B": "GHz, rotational constant",
    "C": "GHz, rotational constant",
    "mu": "Debye, dipole moment",
    "alpha": "Bohr^3, isotropic polarizability",
    "homo": "Hartree, HOMO energy",
    "lumo": "Hartree, LUMO energy",
    "gap": "Hartree, LUMO - HOMO",
    "r2": "Bohr^2, electronic spatial extent",
    "zpve": "Hartree, zero-point vibrational energy",
    "U0": "Hartree, internal energy at 0 K",
    "U": "Hartree, internal energy at 298.15 K",
    "H": "Hartree, enthalpy at 298.15 K",
    "G": "Hartree, free energy at 298.15 K",
    "Cv": "cal/(mol K), heat capacity at 298.15 K",
}
QM9_TARGETS = (*QM9_PROPERTIES, "U0_atom")
# What the shared data's qm9.npz holds; a converted copy made here holds the rest too.
_QM9_LAYOUT = ("Z", "R", "n_atoms", "index", "U0", "U0_atom", "uncharacterized")

QM7_DESCR = """\
QM7
---
7,165 organic molecules of up to 23 atoms (H, C, N, O, S) from GDB-13, with
their PBE0 atomization energies (Rupp et al. 2012), read from qm7.mat.

- data: list of (numbers, positions) tuples, positions in Ångström (qm7.mat
  stores Bohr; converted with 1 Bohr = 0.529177210903 Å). Any skscatter
  molecule estimator takes it as X.
- target (target_names ['T']): atomization energy, kcal/mol, float32.
- numbers (7165, 23) int8 and positions (7165, 23, 3) float32 Å: the padded
  arrays (zero rows beyond n_atoms); n_atoms (7165,) int8.
- folds: qm7.mat's P, the 5 official cross-validation folds, an int array
  (5, 1433) of 0-based test indices; cv: the matching list of (train, test)
  index pairs, usable as GridSearchCV(cv=...). Both are None when data_home
  only holds a qm7.npz without P (such as the project's shared copy, which
  was built from the xyz release, with each molecule centred and rotated:
  distances, hence energies, equal, orientations not those of qm7.mat);
  then make folds with e.g. KFold(5, shuffle=True, random_state=0).

Converted copy: qm7.npz (Z, R, T, n_atoms, and P when made from qm7.mat).

M. Rupp, A. Tkatchenko, K.-R. Mueller, O. A. von Lilienfeld, Phys. Rev. Lett.
108, 058301 (2012); L. C. Blum, J.-L. Reymond, J. Am. Chem. Soc. 131, 8732 (2009).
"""

QM9_DESCR = """\
QM9
---
133,885 organic molecules of up to 29 atoms (H, C, N, O, F) from GDB-17,
with B3LYP/6-31G(2df,p) geometries and properties (Ramakrishnan et al.
2014), read from dsgdb9nsd.xyz.tar.bz2. The 3,054 molecules listed in
uncharacterized.txt (their relaxed geometry does not reproduce the GDB-17
SMILES) are left out unless include_uncharacterized=True, leaving 130,831.

- data: list of (numbers, positions) tuples, positions in Ångström. Any
  skscatter molecule estimator takes it as X.
- target: the property named by target= (1D), or several (2D, one column
  each, in the order of target_names).
- numbers (n, 29) int8, positions (n, 29, 3) float32 Å (zero rows beyond
  n_atoms), n_atoms (n,) int8, index (n,) int32: the molecule number of
  dsgdb9nsd_<index>.xyz (1-based, increasing); smiles: the GDB-17 SMILES
  (only in a copy converted by this fetcher).

Properties (target=) and units, as in the xyz files:
{properties}
- U0_atom: kcal/mol, atomization energy at 0 K, (U0 - sum of the free atoms'
  U0) x 627.509, free atoms (Hartree) H -0.500273, C -37.846772, N -54.583861,
  O -75.064579, F -99.718730.

Converted copies: qm9.npz (the characterized molecules: Z, R, n_atoms, index,
U0, U0_atom, uncharacterized (the 1-based indices left out), and the other
properties and smiles) and qm9_uncharacterized.npz (the 3,054 others). A
qm9.npz with only U0 and U0_atom (the project's shared copy) serves those
two targets; the others need the official files.

R. Ramakrishnan, P. O. Dral, M. Rupp, O. A. von Lilienfeld, Scientific Data 1,
140022 (2014); L. Ruddigkeit, R. van Deursen, L. C. Blum, J.-L. Reymond,
J. Chem. Inf. Model. 52, 2864 (2012).
""".format(properties="\n".join(f"- {name}: {unit}" for name, unit in QM9_PROPERTIES.items()))


def _convert_qm7(path):
    import scipy.io

    mat = scipy.io.loadmat(path)
    missing = [k for k in ("Z", "R", "T", "P") if k not in mat]
    if missing:
        raise ValueError(f"{path} lacks the arrays {missing}; it is not QM7's qm7.mat.")
    Z = np.rint(mat["Z"]).astype(np.int8)
    R = mat["R"].astype(np.float64) * BOHR
    R[Z == 0] = 0.0
    T = np.asarray(mat["T"], dtype=np.float32).ravel()
    P = np.asarray(mat["P"]).astype(np.int32)
    n = Z.shape[0]
    if R.shape != Z.shape + (3,) or T.shape != (n,):
        raise ValueError(f"{path} has Z {Z.shape}, R {R.shape}, T {T.shape}; they do not describe the same molecules.")
    if P.ndim == 2 and np.array_equal(np.sort(P.ravel()), np.arange(1, n + 1)):
        P = P - 1  # MATLAB-style 1-based indices (the distributed file is 0-based; accept both)
    if P.ndim != 2 or not np.array_equal(np.sort(P.ravel()), np.arange(n)):
        raise ValueError(f"{path} has folds P that are not a partition of the {n} molecules (0-based indices).")
    n_atoms = (Z != 0).sum(axis=1).astype(np.int8)
    return {"Z": Z, "R": R.astype(np.float32), "T": T, "n_atoms": n_atoms, "P": P}


def fetch_qm7(data_home=None, download_if_missing=True, *, return_X_y=False, base_url=None):
    """Load QM7 (7,165 molecules, atomization energies in kcal/mol).

    Reads, in this order: the converted copy ``qm7.npz`` in ``data_home``;
    the official ``qm7.mat`` in ``data_home``, converted once into
    ``qm7.npz`` (positions from Bohr to Ångström); or, if allowed, that file
    downloaded and checked against its sha256.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download ``qm7.mat`` when neither it nor the converted copy is in
        ``data_home``; if False, raise an ``OSError`` instead.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    base_url : str, default=None
        A mirror holding ``qm7.mat``, used instead of the official address.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (list of ``(numbers, positions)`` structures, Å), ``target``
        (kcal/mol), ``numbers``, ``positions``, ``n_atoms`` (padded arrays),
        ``folds`` and ``cv`` (the official 5 folds, or None; see ``DESCR``),
        ``target_names`` and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skscatter.datasets import fetch_qm7
    >>> qm7 = fetch_qm7()  # doctest: +SKIP
    >>> qm7.target[:2]  # doctest: +SKIP
    array([-417.96, -712.42], dtype=float32)
    """
    home = get_data_home(data_home)
    cache = Path(home) / "qm7.npz"
    arrays = _load_converted(cache, ("Z", "R", "T"), optional=("n_atoms", "P"))
    if arrays is None:
        (path,) = _official_files([QM7_REMOTE], home, download_if_missing, base_url, "fetch_qm7")
        arrays = _convert_qm7(path)
        _save_converted(cache, arrays)
    Z, R, T = arrays["Z"], arrays["R"], arrays["T"]
    n_atoms = arrays["n_atoms"] if "n_atoms" in arrays else (Z != 0).sum(axis=1).astype(np.int8)
    data = structures_from_padded(Z, R, n_atoms)
    if return_X_y:
        return data, T
    folds = arrays.get("P")
    cv = None
    if folds is not None:
        everything = np.arange(len(T))
        cv = [(np.setdiff1d(everything, test), np.sort(test)) for test in folds]
    return Bunch(
        data=data, target=T, target_names=["T"], numbers=Z, positions=R, n_atoms=n_atoms,
        folds=folds, cv=cv, DESCR=QM7_DESCR,
    )


def _number(text):
    # Some values are written in Mathematica's notation: 2.1997*^-6.
    return float(text.replace("*^", "e"))


def _parse_qm9_xyz(text, name):
    """(index, numbers, positions, properties, smiles) of one QM9 xyz file."""
    lines = text.splitlines()
    try:
        n = int(lines[0])
        head = lines[1].split()
        if head[0] != "gdb" or len(head) != 2 + len(QM9_PROPERTIES):
            raise ValueError("second line is not 'gdb <index>' and 15 properties")
        atoms = [line.split() for line in lines[2 : 2 + n]]
        numbers = [QM9_ELEMENTS[a[0]] for a in atoms]
        positions = [[_number(v) for v in a[1:4]] for a in atoms]
        smiles = lines[n + 3].split()[0]
        return int(head[1]), numbers, positions, [_number(v) for v in head[2:]], smiles
    except (IndexError, KeyError, ValueError) as exc:
        raise ValueError(f"{name} is not a QM9 xyz file ({type(exc).__name__}: {exc}).") from None


def _read_uncharacterized(path):
    """The 1-based molecule indices listed in uncharacterized.txt (rows start with the index)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split()
        if fields and fields[0].isdigit():
            out.append(int(fields[0]))
    return np.array(sorted(out), dtype=np.int32)


def _pack_qm9(molecules, uncharacterized):
    n = len(molecules)
    Z = np.zeros((n, QM9_MAX_ATOMS), dtype=np.int8)
    R = np.zeros((n, QM9_MAX_ATOMS, 3), dtype=np.float32)
    n_atoms = np.zeros(n, dtype=np.int8)
    props = np.zeros((n, len(QM9_PROPERTIES)), dtype=np.float64)
    for i, (_, numbers, positions, values, _) in enumerate(molecules):
        k = len(numbers)
        Z[i, :k], R[i, :k], n_atoms[i], props[i] = numbers, positions, k, values
    out = {"Z": Z, "R": R, "n_atoms": n_atoms, "index": np.array([m[0] for m in molecules], dtype=np.int32)}
    out.update({name: props[:, j] for j, name in enumerate(QM9_PROPERTIES)})
    reference = np.zeros(256)
    for z, energy in QM9_ATOM_U0.items():
        reference[z] = energy
    out["U0_atom"] = (out["U0"] - reference[Z].sum(axis=1)) * HARTREE_KCAL_MOL
    out["smiles"] = np.array([m[4] for m in molecules], dtype=str)
    out["uncharacterized"] = uncharacterized
    return out


def _convert_qm9(archive_path, uncharacterized_path):
    """Both converted copies (characterized, uncharacterized) from the official files."""
    molecules = []
    with tarfile.open(archive_path, "r:bz2") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xyz"):
                with archive.extractfile(member) as f:
                    molecules.append(_parse_qm9_xyz(f.read().decode("ascii"), member.name))
    molecules.sort(key=lambda m: m[0])
    uncharacterized = _read_uncharacterized(uncharacterized_path)
    left_out = np.isin([m[0] for m in molecules], uncharacterized)
    kept = _pack_qm9([m for m, out in zip(molecules, left_out) if not out], uncharacterized)
    dropped = _pack_qm9([m for m, out in zip(molecules, left_out) if out], uncharacterized)
    return kept, dropped


def _check_targets(target):
    names = [target] if isinstance(target, str) else list(target) if isinstance(target, (list, tuple)) else [None]
    unknown = [t for t in names if not isinstance(t, str) or t not in QM9_TARGETS]
    if not names or unknown:
        raise ValueError(f"target={target!r} is not supported; use one or a list of {list(QM9_TARGETS)}.")
    return names


def fetch_qm9(
    data_home=None, download_if_missing=True, *, target="U0_atom", include_uncharacterized=False, return_X_y=False,
    base_url=None,
):
    """Load QM9 (133,885 molecules, 130,831 by default, with 15 computed properties).

    Reads, in this order: the converted copy ``qm9.npz`` (and
    ``qm9_uncharacterized.npz`` if ``include_uncharacterized``) in
    ``data_home``, when it holds the targets asked for; the official
    ``dsgdb9nsd.xyz.tar.bz2`` and ``uncharacterized.txt`` in ``data_home``,
    converted once into those copies; or, if allowed, these files downloaded
    and checked against their md5.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the official files when they are needed and missing; if
        False, raise an ``OSError`` instead.
    target : str or list of str, default="U0_atom"
        The property (1D target) or properties (2D) to return: ``"U0_atom"``
        (atomization energy at 0 K, kcal/mol) or one of the 15 properties of
        the xyz files, ``"A"``, ``"B"``, ``"C"``, ``"mu"``, ``"alpha"``,
        ``"homo"``, ``"lumo"``, ``"gap"``, ``"r2"``, ``"zpve"``, ``"U0"``,
        ``"U"``, ``"H"``, ``"G"``, ``"Cv"`` (units in ``DESCR``).
    include_uncharacterized : bool, default=False
        Also return the 3,054 molecules that failed the authors' consistency
        check (``uncharacterized.txt``), in index order with the others.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    base_url : str, default=None
        A mirror holding the official file names, used instead of the
        official (figshare) addresses.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (list of ``(numbers, positions)`` structures, Å), ``target``,
        ``target_names``, ``numbers``, ``positions``, ``n_atoms``, ``index``
        (the QM9 molecule numbers), ``smiles`` (or None) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skscatter.datasets import fetch_qm9
    >>> qm9 = fetch_qm9(target=["U0_atom", "gap"])  # doctest: +SKIP
    >>> len(qm9.data), qm9.target.shape  # doctest: +SKIP
    (130831, (130831, 2))
    """
    names = _check_targets(target)
    if include_uncharacterized not in (True, False):
        raise ValueError(f"include_uncharacterized={include_uncharacterized!r} is not supported; use True or False.")
    home = get_data_home(data_home)
    caches = [Path(home) / "qm9.npz"] + ([Path(home) / "qm9_uncharacterized.npz"] if include_uncharacterized else [])
    required = ("Z", "R", "index", *names)
    parts = [_load_converted(path, required, optional=("n_atoms", "smiles")) for path in caches]
    if any(part is None for part in parts):
        paths = _official_files(list(QM9_REMOTES), home, download_if_missing, base_url, "fetch_qm9")
        converted = _convert_qm9(*paths)
        for path, arrays in zip((Path(home) / "qm9.npz", Path(home) / "qm9_uncharacterized.npz"), converted):
            _save_converted(path, arrays)
        parts = list(converted[: len(caches)])
    keys = [*required, "n_atoms"] + (["smiles"] if all("smiles" in p for p in parts) else [])
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in keys if all(k in p for p in parts)}
    order = np.argsort(arrays["index"], kind="stable")
    arrays = {k: v[order] for k, v in arrays.items()}
    if "n_atoms" not in arrays:
        arrays["n_atoms"] = (arrays["Z"] != 0).sum(axis=1).astype(np.int8)
    data = structures_from_padded(arrays["Z"], arrays["R"], arrays["n_atoms"])
    y = arrays[names[0]] if isinstance(target, str) else np.column_stack([arrays[t] for t in names])
    if return_X_y:
        return data, y
    return Bunch(
        data=data, target=y, target_names=names, numbers=arrays["Z"], positions=arrays["R"],
        n_atoms=arrays["n_atoms"], index=arrays["index"], smiles=arrays.get("smiles"), DESCR=QM9_DESCR,
    )
