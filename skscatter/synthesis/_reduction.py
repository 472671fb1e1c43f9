"""Isotropic reduction of the scattering-spectra features: averages over the rotations of the field.

Rotating a field by ``pi / L`` shifts every wavelet orientation index by one;
past ``L - 1`` the wavelet has turned by ``pi`` and becomes its conjugate,
which leaves an envelope ``|x * psi|`` unchanged and conjugates the
statistics of a real field that involve the wavelet itself.  Averaged over
all rotations, a statistic therefore depends on its orientations only
through their differences with the outermost wavelet's, ``t - t_b (mod L)``,
and keeps only its real part: the imaginary parts, which change sign under a
half turn, average to zero and are dropped.

The reduction averages the real parts that share these differences, which
divides the number of features by about ``2 L`` and makes them invariant to
rotations by multiples of ``pi / L`` (exactly to the quarter turns of a
square grid when ``L`` is even).  An envelope correlation is stored once per
unordered pair of envelopes; with relative orientations a pair may come in
the other order, whose statistic is the conjugate, with the same real part.
"""

import re
from functools import lru_cache

import numpy as np
import scipy.sparse

from ._layout import layout_names

_INDEX = re.compile(r"([a-z]+)(\d+)")


def _reduced_name(name, L):
    """The name of the group of the real feature ``name`` (None for an imaginary part: dropped)."""
    kind, *fields = name.split("_")
    if fields[-1] == "imag":
        return None
    values = [(m.group(1), int(m.group(2))) for m in map(_INDEX.fullmatch, fields)]
    if kind in ("mean", "low"):
        reduced = name
    elif kind in ("power", "sparsity"):
        reduced = "_".join([kind] + [f"{k}{v}" for k, v in values if k != "t"])
    elif kind == "phase":
        (_, c), (_, j), (_, t), (_, d), (_, j2), (_, t2) = values
        reduced = f"phase_c{c}_j{j}_dt{(t - t2) % L}_c{d}_j{j2}"
    else:  # envelope
        (_, c), (_, j), (_, t), (_, c2), (_, j1), (_, t1), (_, j2), (_, t2) = values
        first, second = sorted([(c, j, (t - t2) % L), (c2, j1, (t1 - t2) % L)])
        reduced = "envelope_c{}_j{}_dt{}_c{}_j{}_dt{}".format(*first, *second) + f"_j{j2}"
    return reduced


@lru_cache(maxsize=16)
def isotropic_reduction(J, L, C):
    """The averaging matrix of the isotropic reduction and the names of its rows.

    Parameters
    ----------
    J, L, C : int
        Scales, orientations and channels of the full features.

    Returns
    -------
    matrix : scipy.sparse.csr_matrix of shape (n_reduced, n_full)
        ``reduced = matrix @ full``: each row averages the real features of
        its group.
    names : tuple of str
        Names of the reduced features, orientations as ``dt`` (differences
        with the outermost wavelet's).

    Examples
    --------
    >>> matrix, names = isotropic_reduction(2, 4, 1)
    >>> matrix.shape, names[2], names[4]
    ((64, 434), 'power_c0_c0_j0', 'sparsity_c0_j0')
    """
    groups, rows, columns = {}, [], []
    for column, name in enumerate(layout_names(J, L, C)):
        reduced = _reduced_name(name, L)
        if reduced is not None:
            rows.append(groups.setdefault(reduced, len(groups)))
            columns.append(column)
    rows = np.asarray(rows)
    counts = np.bincount(rows, minlength=len(groups))
    matrix = scipy.sparse.csr_matrix((1.0 / counts[rows], (rows, columns)), shape=(len(groups), len(layout_names(J, L, C))))
    return matrix, tuple(groups)
