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

from .._kernels._harmonic_numba import splat_gaussians

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


def principal_axes_frame(positions):
    """Centre positions on their centroid and rotate them onto their principal axes.

    The largest spread goes to axis 0.  Each axis's sign is fixed so that
    the third moment along it is non-negative (the sign of a principal axis
    is otherwise arbitrary), which makes the frame — and so the grid
    sampling — the same for any rotated or translated copy of a molecule
    whose principal spreads are distinct.

    Examples
    --------
    >>> P = principal_axes_frame(np.array([[0.0, 0, 0], [0, 0, 3], [0, 1, 0]]))
    >>> bool(np.ptp(P[:, 0]) >= np.ptp(P[:, 1]) >= np.ptp(P[:, 2]))
    True
    """
    centred = positions - positions.mean(axis=0)
    if len(centred) < 2:
        return centred
    _, vecs = np.linalg.eigh(centred.T @ centred)
    aligned = centred @ vecs[:, ::-1]
    skew = (aligned**3).sum(axis=0)
    signs = np.where(skew < 0, -1.0, 1.0)
    return aligned * signs


def splat_radius(sigma, rel_tol=1e-12):
    """Half-width in voxels beyond which a Gaussian of width ``sigma`` is below ``rel_tol``."""
    return int(math.ceil(sigma * math.sqrt(-2.0 * math.log(rel_tol))))


def molecule_density(centres, weights, shape, sigma):
    """Sum of unit-integral Gaussians (voxel units) on a zero grid of ``shape``.

    Raises a ValueError if a Gaussian's support (``splat_radius(sigma)``
    voxels around its centre) leaves the grid.
    """
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    radius = splat_radius(sigma)
    floor = np.floor(centres)
    if centres.ndim != 2 or centres.shape[1] != 3 or np.any(floor - radius < 0) or np.any(floor + radius + 2 > np.array(shape)):
        raise ValueError(
            f"Gaussians of width sigma={sigma} need {radius + 1} voxels around each centre inside the grid "
            f"{tuple(shape)}; some centres are too close to the border. Enlarge the grid or move the centres."
        )
    out = np.zeros(shape)
    splat_gaussians(centres, np.ascontiguousarray(weights, dtype=np.float64), float(sigma), radius, out)
    return out
