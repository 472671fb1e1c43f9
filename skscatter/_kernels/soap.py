"""Dispatcher of the SOAP kernels: checks what they receive, allocates what they fill.

A batch of atoms arrives as CSR neighbour pairs (``offsets`` into
``vectors``, ``species``, ``weights``) and a radial basis, either
:class:`GTORadial` (closed-form projections) or :class:`SplineRadial`
(tabulated projections of any basis).  From them:

* :func:`expansion_coefficients` -- ``c[i, s, lm, n]`` of every centre
  (numba);
* :func:`power_spectrum` -- one packed row per centre (numba);
* :func:`power_spectrum_reduced` -- one summed (or averaged) row per
  structure, without per-atom storage (numba);
* :func:`atom_rows_xp` -- the per-centre rows as array expressions, on
  NumPy or CuPy (:mod:`skscatter._kernels._soap_xp`).

The numba kernels (:mod:`skscatter._kernels._soap_numba`) index without
bounds checks, so every array is checked here (shape, dtype, contiguity,
index ranges, the spline table covering every distance), and a
``ValueError`` names what is inconsistent.  They are threaded (numba's
``prange``) and run on numba's thread count of the calling thread; each
row is computed by one thread in a fixed order, so results do not depend
on it.
"""

from typing import NamedTuple

import numpy as np

from . import _soap_numba, _soap_xp


class GTORadial(NamedTuple):
    """The GTO basis: exponents (l_max + 1, n_max), Löwdin coefficients (l_max + 1, n_max, n_max), ``eta = 1 / (2 sigma^2)``."""

    alphas: np.ndarray
    betas: np.ndarray
    eta: float

    @property
    def shape(self):
        return self.alphas.shape


class SplineRadial(NamedTuple):
    """Cubic-spline table (n_intervals, l_max + 1, n_max, 4) of radial projections, interval width ``step``."""

    table: np.ndarray
    step: float

    @property
    def shape(self):
        return self.table.shape[1:3]


def n_features(n_species, n_max, l_max):
    """Packed columns of a power-spectrum row: ``(S n_max)(S n_max + 1) / 2 * (l_max + 1)``.

    Examples
    --------
    >>> n_features(3, 2, 2)
    63
    """
    width = n_species * n_max
    return width * (width + 1) // 2 * (l_max + 1)


def feature_index(n_species, n_max, l_max):
    """``(l, row, col, weight)`` of every packed column, for :func:`atom_rows_xp`."""
    return _soap_xp.feature_index(n_species, n_max, l_max)


def _fail(what):
    raise ValueError(f"Inconsistent SOAP kernel arguments: {what}.")


def _check_array(name, a, dtype, shape):
    """``a`` is a C-contiguous ndarray of ``dtype`` and ``shape`` (None entries: any length)."""
    if not isinstance(a, np.ndarray) or a.dtype != dtype or not a.flags.c_contiguous:
        got = f"a {'' if a.flags.c_contiguous else 'non-contiguous '}{a.dtype} array" if isinstance(a, np.ndarray) else type(a).__name__
        _fail(f"{name} must be a C-contiguous {np.dtype(dtype).name} array, got {got}")
    if a.ndim != len(shape) or any(want is not None and got != want for got, want in zip(a.shape, shape)):
        _fail(f"{name} has shape {a.shape}, expected {tuple('any' if w is None else w for w in shape)}")


def _check_pairs(offsets, vectors, species, weights, n_species):
    """The CSR pair arrays are consistent; returns (n_centres, n_pairs)."""
    _check_array("offsets", offsets, np.int64, (None,))
    n_pairs = len(vectors) if isinstance(vectors, np.ndarray) else -1
    if len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != n_pairs:
        _fail(f"offsets must start at 0 and end at the {n_pairs} pairs")
    if np.any(offsets[1:] < offsets[:-1]):
        _fail("offsets must be non-decreasing")
    _check_array("vectors", vectors, np.float64, (n_pairs, 3))
    _check_array("species", species, np.int64, (n_pairs,))
    _check_array("weights", weights, np.float64, (n_pairs,))
    if not (isinstance(n_species, (int, np.integer)) and n_species >= 1):
        _fail(f"n_species={n_species!r} must be a positive int")
    if n_pairs and (species.min() < 0 or species.max() >= n_species):
        _fail(f"species indices must lie in [0, {n_species}), got [{species.min()}, {species.max()}]")
    return len(offsets) - 1, n_pairs


def _check_radial(radial, vectors):
    """The basis arrays agree with each other; a spline table covers every distance. Returns (l_max, n_max)."""
    if isinstance(radial, GTORadial):
        _check_array("alphas", radial.alphas, np.float64, (None, None))
        L1, n_max = radial.alphas.shape
        _check_array("betas", radial.betas, np.float64, (L1, n_max, n_max))
        if not (np.isfinite(radial.eta) and radial.eta > 0):
            _fail(f"eta={radial.eta!r} must be positive and finite")
    elif isinstance(radial, SplineRadial):
        _check_array("table", radial.table, np.float64, (None, None, None, 4))
        n_intervals, L1, n_max, _ = radial.table.shape
        if not (np.isfinite(radial.step) and radial.step > 0):
            _fail(f"step={radial.step!r} must be positive and finite")
        if len(vectors):
            reach = np.sqrt(np.einsum("ij,ij->i", vectors, vectors).max())
            if reach > n_intervals * radial.step * (1 + 1e-12):
                _fail(f"the spline table covers distances up to {n_intervals * radial.step:.6g}, a pair is {reach:.6g} apart")
    else:
        _fail(f"radial must be a GTORadial or a SplineRadial, got {type(radial).__name__}")
    if L1 < 1 or n_max < 1:
        _fail(f"the radial basis has shape (l_max + 1, n_max) = {(L1, n_max)}")
    return L1 - 1, n_max


def expansion_coefficients(offsets, vectors, species, weights, n_species, radial, *, out=None):
    """Coefficients ``c[i, s, lm, n]`` of each centre's species-``s`` density on ``g_nl Y_lm``.

    Parameters
    ----------
    offsets : ndarray of shape (n_centres + 1,), int64
        CSR starts into the pairs: non-decreasing from 0 to ``n_pairs``.
    vectors : ndarray of shape (n_pairs, 3), float64, C-contiguous
        From the centre to the neighbour (the centre itself at the zero
        vector when it belongs to its own density).
    species : ndarray of shape (n_pairs,), int64
        The neighbour's species index, in ``[0, n_species)``.
    weights : ndarray of shape (n_pairs,), float64
        Amplitude of the neighbour's Gaussian (cutoff function, centre
        weight); zero skips the pair.
    n_species : int
    radial : GTORadial or SplineRadial
    out : ndarray, optional
        C-contiguous float64 array of the output's shape, overwritten (a
        buffer reused from batch to batch); allocated if None.

    Returns
    -------
    coeffs : ndarray of shape (n_centres, n_species, (l_max + 1)**2, n_max)
        ``out`` when given.
    """
    n_centres, _ = _check_pairs(offsets, vectors, species, weights, n_species)
    l_max, n_max = _check_radial(radial, vectors)
    shape = (n_centres, n_species, (l_max + 1) ** 2, n_max)
    if out is None:
        out = np.empty(shape)
    _check_array("out", out, np.float64, shape)
    if isinstance(radial, GTORadial):
        _soap_numba.expansion_coefficients(offsets, vectors, species, weights, radial.alphas, radial.betas, float(radial.eta), out)
    else:
        _soap_numba.expansion_coefficients_tabulated(offsets, vectors, species, weights, radial.table, float(radial.step), out)
    return out


def _check_spectrum_inputs(coeffs, prefactors, present):
    _check_array("coeffs", coeffs, np.float64, (None, None, None, None))
    n_centres, S, n_lm, n_max = coeffs.shape
    _check_array("prefactors", prefactors, np.float64, (None,))
    if (len(prefactors)) ** 2 != n_lm:
        _fail(f"{len(prefactors)} prefactors (l_max + 1) for coefficients with {n_lm} (l, m) entries")
    _check_array("present", present, np.bool_, (n_centres, S))
    return n_centres, n_features(S, n_max, len(prefactors) - 1)


def power_spectrum(coeffs, prefactors, present, *, out=None):
    """Per-centre power spectra, packed, sqrt(2) on the off-diagonal ``(s, n) != (s', n')`` entries.

    Parameters
    ----------
    coeffs : ndarray of shape (n_centres, S, (l_max + 1)**2, n_max), float64
    prefactors : ndarray of shape (l_max + 1,), float64
    present : ndarray of shape (n_centres, S), bool
        Whether species ``s`` occurs around centre ``i`` (absent blocks are
        written as zeros without being computed).
    out : ndarray of shape (n_centres, n_features), float64, C-contiguous, optional
        Written in place (e.g. rows of a larger output); allocated if None.

    Returns
    -------
    rows : ndarray of shape (n_centres, n_features)
        ``out`` when given.
    """
    n_centres, F = _check_spectrum_inputs(coeffs, prefactors, present)
    if out is None:
        out = np.empty((n_centres, F))
    _check_array("out", out, np.float64, (n_centres, F))
    _soap_numba.power_spectrum(coeffs, prefactors, present, out)
    return out


def power_spectrum_reduced(coeffs, prefactors, present, starts, *, normalize, mean, out=None):
    """Sum (or mean) of the centres' power spectra per structure, without per-centre storage.

    Parameters
    ----------
    coeffs, prefactors, present
        As in :func:`power_spectrum`.
    starts : ndarray of shape (n_structures + 1,), int64
        Each structure's first centre: non-decreasing from 0 to
        ``n_centres``.
    normalize : bool
        Scale each centre's row to unit norm before the reduction.
    mean : bool
        Average instead of sum.
    out : ndarray of shape (n_structures, n_features), float64, C-contiguous, optional
        Written in place; allocated if None.

    Returns
    -------
    rows : ndarray of shape (n_structures, n_features)
        ``out`` when given.
    """
    n_centres, F = _check_spectrum_inputs(coeffs, prefactors, present)
    _check_array("starts", starts, np.int64, (None,))
    if len(starts) < 1 or starts[0] != 0 or starts[-1] != n_centres or np.any(starts[1:] < starts[:-1]):
        _fail(f"starts must be non-decreasing from 0 to the {n_centres} centres")
    if out is None:
        out = np.empty((len(starts) - 1, F))
    _check_array("out", out, np.float64, (len(starts) - 1, F))
    _soap_numba.power_spectrum_reduced(coeffs, prefactors, present, starts, bool(normalize), bool(mean), out)
    return out


def atom_rows_xp(offsets, vectors, species, weights, n_species, radial, prefactors, index, *, normalize, xp):
    """Per-centre power-spectrum rows as array expressions on ``xp`` (NumPy or CuPy).

    The same function as :func:`expansion_coefficients` then
    :func:`power_spectrum` (and unit rows for ``normalize``); the pair
    arrays are checked on the host and copied to ``xp``'s device.  Holds
    per-pair arrays of shape ``(n_pairs, (l_max + 1)**2, n_max)``: keep
    batches small.

    Parameters
    ----------
    offsets, vectors, species, weights, n_species, radial
        As in :func:`expansion_coefficients`.
    prefactors : ndarray of shape (l_max + 1,)
    index : tuple of ndarray
        From :func:`feature_index` for ``(n_species, n_max, l_max)``.
    normalize : bool
    xp : module
        ``numpy`` or ``cupy``.

    Returns
    -------
    rows : array of shape (n_centres, n_features) on ``xp``
    """
    n_centres, _ = _check_pairs(offsets, vectors, species, weights, n_species)
    l_max, n_max = _check_radial(radial, vectors)
    _check_array("prefactors", prefactors, np.float64, (l_max + 1,))
    F = n_features(n_species, n_max, l_max)
    if len(index) != 4 or any(np.shape(a) != (F,) for a in index):
        _fail(f"the feature index must hold 4 arrays of the {F} packed columns")
    centre_of = np.repeat(np.arange(n_centres), np.diff(offsets))
    if isinstance(radial, GTORadial):
        eta = float(radial.eta)
        radial_fn = lambda r: _soap_xp.radial_gto(r, radial.alphas, radial.betas, eta, xp)  # noqa: E731
    else:
        table = xp.asarray(radial.table)
        radial_fn = lambda r: _soap_xp.radial_tabulated(r, table, float(radial.step), xp)  # noqa: E731
    coeffs = _soap_xp.expansion_coefficients(
        xp.asarray(centre_of), xp.asarray(vectors), xp.asarray(species), xp.asarray(weights),
        radial_fn, n_centres, n_species, xp,
    )
    rows = _soap_xp.power_spectrum(coeffs, xp.asarray(prefactors), index, xp)
    if normalize:
        norm = xp.sqrt((rows * rows).sum(axis=1, keepdims=True))
        rows = rows / xp.where(norm > 0, norm, 1.0)
    return rows
