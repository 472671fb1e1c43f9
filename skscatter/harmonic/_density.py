"""Molecular densities on a grid: charge channels, alignment, splatting.

A molecule becomes, per channel, the density ``rho(u) = sum_k w_k
g_sigma(u - r_k)`` of unit-integral Gaussians of width ``sigma`` (grid
units) centred on its atoms, with weights from the channel:

``"nuclear"``
    the nuclear charge Z;
``"valence"``
    the valence electron count (Z for H and He, Z minus the charge of the
    previous noble-gas core otherwise), as in Eickenberg et al. (2018) and
    kymatio's QM7 example for Z <= 18;
``"core"``
    Z minus the valence count;
``"bonding"``
    the usual number of covalent bonds of a main-group atom, ``v`` for
    ``v <= 4`` valence electrons and ``8 - v`` beyond (H 1, C 4, N 3, O 2,
    F 1, S 2): the fourth "atom valence" channel of the authors' code
    (pyscatharm).  Not defined for transition metals, lanthanides and
    actinides, which raise a ``ValueError``.
"""

import math

import numpy as np

from .._kernels.harmonic import splat_gaussians

CHANNELS = ("nuclear", "valence", "core", "bonding")
DEFAULT_CHANNELS = ("nuclear", "valence", "core")
_NOBLE = np.array([0, 2, 10, 18, 36, 54, 86, 118])


def channel_weights(numbers, channel):
    """Per-atom Gaussian weights of one density channel.

    Examples
    --------
    >>> channel_weights(np.array([1, 6, 8, 16]), "valence").tolist()
    [1.0, 4.0, 6.0, 6.0]
    >>> channel_weights(np.array([1, 6, 8, 16]), "core").tolist()
    [0.0, 2.0, 2.0, 10.0]
    >>> channel_weights(np.array([1, 6, 7, 8, 9, 16]), "bonding").tolist()
    [1.0, 4.0, 3.0, 2.0, 1.0, 2.0]
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    core = _NOBLE[np.searchsorted(_NOBLE, numbers, side="left") - 1]
    core = np.where(numbers <= 2, 0, core)
    if channel == "nuclear":
        return numbers.astype(np.float64)
    if channel == "valence":
        return (numbers - core).astype(np.float64)
    if channel == "core":
        return core.astype(np.float64)
    if channel == "bonding":
        return _bonding_valence(numbers, numbers - core)
    raise ValueError(f"channel={channel!r} is not one of {CHANNELS}.")


def _bonding_valence(numbers, valence):
    # From period 4 on, the valence count above includes the d (and, from
    # period 6, f) electrons.  Main-group atoms have 1-2 electrons beyond the
    # noble gas (s block) or 13-18 (periods 4-5) / 27-32 (periods 6-7) with
    # the d and f shells filled (p block); the rest are transition metals,
    # lanthanides and actinides.
    valence = valence.astype(np.int64)
    filled = np.where(numbers > 54, 24, np.where(numbers > 18, 10, 0))
    in_d_or_f = (filled > 0) & (valence > 2) & (valence <= filled + 2)
    if np.any(in_d_or_f):
        z = sorted(set(numbers[in_d_or_f].tolist()))
        raise ValueError(
            f"channel='bonding' is defined for main-group elements only; atomic numbers {z} are transition "
            "metals, lanthanides or actinides. Drop 'bonding' from channels for these molecules."
        )
    sp = np.where(valence > 2, valence - filled, valence)
    # H and He fill a shell of two, the others an octet.
    shell = np.where(numbers <= 2, 2, 8)
    return np.minimum(sp, shell - sp).astype(np.float64)


# Relative tolerances of the frame.  Eigenvalues closer than _DEGENERATE
# (relative to the largest) are treated as equal: their eigenvectors are then
# fixed by round-off, not by the molecule, so atoms fix them instead.  Round-
# off in eigenvalues is ~1e-16 relative, and a gap just above the threshold
# still pins the eigenvectors to ~1e-16 / 1e-9 radians.
_DEGENERATE = 1e-9
_TIE = 1e-9


def principal_axes_frame(positions, numbers=None):
    """Centre positions on their centroid and rotate them onto their principal axes.

    The largest spread goes to axis 0.  Each axis's sign is fixed so that
    the third moment along it is positive; where it vanishes (a mirror
    plane) and where principal spreads are equal (symmetric tops such as
    benzene, spherical tops such as methane), the frame is fixed by atoms
    instead: the heaviest, then farthest atom off the axes already fixed
    (lowest index among ties) points along the next axis.  The result is
    the same, up to round-off, for any rotated or translated copy of a
    molecule, so the grid samples every copy alike.  For symmetric
    molecules the atoms that tie are images of each other under a symmetry,
    so the frame does not depend on the atom order either.

    Parameters
    ----------
    positions : ndarray of shape (n_atoms, 3)
    numbers : ndarray of shape (n_atoms,), default=None
        Atomic numbers, used to break ties; None treats all atoms alike.

    Examples
    --------
    >>> P = principal_axes_frame(np.array([[0.0, 0, 0], [0, 0, 3], [0, 1, 0]]))
    >>> bool(np.ptp(P[:, 0]) >= np.ptp(P[:, 1]) >= np.ptp(P[:, 2]))
    True
    >>> a = 0.63  # methane: three equal spreads, frame fixed by its atoms
    >>> P = principal_axes_frame(np.array([[0.0, 0, 0], [a, a, a], [-a, -a, a], [-a, a, -a], [a, -a, -a]]), [6, 1, 1, 1, 1])
    >>> (np.round(P[1], 6) + 0.0).tolist()  # the first hydrogen lies on axis 0 (+ 0.0: no signed zeros)
    [1.091192, 0.0, 0.0]
    """
    centred = positions - positions.mean(axis=0)
    n = len(centred)
    numbers = np.zeros(n) if numbers is None else np.asarray(numbers, dtype=np.float64)
    if n < 2:
        return centred
    vals, vecs = np.linalg.eigh(centred.T @ centred)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    if vals[0] <= 0:
        return centred
    # Groups of (numerically) equal spreads, largest first.
    groups, start = [], 0
    for k in range(1, 4):
        if k == 3 or vals[k - 1] - vals[k] > _DEGENERATE * vals[0]:
            groups.append(vecs[:, start:k])
            start = k
    length = math.sqrt(vals[0] / n)  # RMS spread along axis 0
    axes = []
    for basis in groups:
        # Fix the directions of a group one at a time; each remaining
        # direction is orthogonal to those fixed so far.
        while basis.shape[1] > 1:
            direction = _atom_direction(centred @ basis, numbers, length)
            if direction is None:
                break  # every atom lies on the fixed axes: any basis will do
            first = basis @ direction
            axes.append(first)
            rest = basis - np.outer(first, first @ basis)
            # The orthonormal complement of ``first`` within the group.
            u = np.linalg.svd(rest, full_matrices=False)[0]
            basis = u[:, : basis.shape[1] - 1]
        for k in range(basis.shape[1]):
            axes.append(_oriented(basis[:, k], centred, numbers, length))
    return centred @ np.stack(axes, axis=1)


def _atom_direction(coords, numbers, length):
    """Unit vector (in ``coords``' basis) towards the heaviest, then farthest atom; None if all are at 0."""
    norms = np.sqrt((coords**2).sum(axis=1))
    off = norms > 1e-6 * length
    if not off.any():
        return None
    heaviest = off & (numbers == numbers[off].max())
    far = heaviest & (norms >= norms[heaviest].max() * (1 - _TIE))
    i = int(np.argmax(far))  # lowest index among the ties
    return coords[i] / norms[i]


def _oriented(axis, centred, numbers, length):
    """``axis`` or its opposite: third moment positive, else the heaviest-farthest atom on the positive side."""
    x = centred @ axis
    skew, scale = (x**3).sum(), (np.abs(x) ** 3).sum()
    if abs(skew) > _TIE * scale:
        return axis if skew > 0 else -axis
    direction = _atom_direction(x[:, None], numbers, length)
    return axis if direction is None or direction[0] > 0 else -axis


def splat_radius(sigma, rel_tol=1e-12):
    """Half-width in voxels beyond which a Gaussian of width ``sigma`` is below ``rel_tol``."""
    return int(math.ceil(sigma * math.sqrt(-2.0 * math.log(rel_tol))))


def molecule_density(centres, weights, shape, sigma):
    """Sum of unit-integral Gaussians (voxel units) on a zero grid of ``shape``.

    Raises a ValueError if a Gaussian's support (``splat_radius(sigma)``
    voxels around its centre) leaves the grid.
    """
    out = np.zeros(tuple(int(n) for n in shape))
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    return splat_gaussians(centres, weights, float(sigma), splat_radius(sigma), out)
