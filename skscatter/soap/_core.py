"""The SOAP computation of a batch of structures, from a frozen :class:`SoapModel`.

``SOAPDescriptor.fit`` resolves its parameters into a :class:`SoapModel`;
everything here reads only that model, the structures and the backend,
so both estimators (``SOAPDescriptor`` and ``SOAPSumKernel``) compute their
batches with the same functions, from any thread.  The numba kernels are
threaded: the caller sets numba's thread count in the calling thread
(``ExecutionPlan.run(..., numba_parallel=True)``).
"""

import math
import threading
from typing import NamedTuple

import numpy as np

from .._backend import import_cupy, to_host
from .._kernels.soap import (
    GTORadial,
    SplineRadial,
    atom_rows_xp,
    expansion_coefficients,
    power_spectrum,
    power_spectrum_reduced,
)
from ..structures._neighbors import neighbour_list


class SoapModel(NamedTuple):
    """What ``SOAPDescriptor.fit`` resolved: the function every transform computes."""

    species: np.ndarray  # (S,) sorted atomic numbers
    lookup: np.ndarray  # (119,) species index of each atomic number, -1 for the others
    n_max: int
    l_max: int
    radial: object  # GTORadial or SplineRadial
    prefactors: np.ndarray  # (l_max + 1,) power-spectrum normalisation per degree
    feature_index: tuple  # packed columns for the array backends
    r_cut: float
    neighbour_cutoff: float  # r_cut plus the Gaussian padding without a cutoff function
    cosine_width: float  # width of the shifted-cosine cutoff; None for none
    centre_weight: float
    mean: bool  # reduction="mean"
    normalize: bool
    n_features_out: int


class _Pairs(NamedTuple):
    offsets: np.ndarray
    centre_of: np.ndarray
    vectors: np.ndarray
    species: np.ndarray
    weights: np.ndarray


class Scratch:
    """Buffers a call reuses from batch to batch, one per thread.

    A batch's expansion coefficients are its largest temporary (tens of
    MB); allocating them afresh for every batch costs page faults each time
    (allocators hand arrays this large straight back to the system).  The
    buffers live as long as the call's Scratch.
    """

    def __init__(self):
        self._buffers = {}

    def array(self, shape):
        """A C-contiguous float64 array of ``shape`` (uninitialised), owned by the calling thread."""
        size = math.prod(shape)
        key = threading.get_ident()
        buffer = self._buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[key] = np.empty(size)
        return buffer[:size].reshape(shape)


def _pairs(structures, model, first_index):
    """Neighbour pairs of a batch with their species index and the weight of their Gaussian."""
    numbers = np.concatenate([s.numbers for s in structures])
    offsets, nbr, vectors, r = neighbour_list(structures, model.neighbour_cutoff, first_index=first_index)
    species = model.lookup[numbers][nbr]
    if model.cosine_width is None:
        weights = np.ones_like(r)
    else:
        w, inner = model.cosine_width, model.r_cut - model.cosine_width
        weights = np.where(r <= inner, 1.0, 0.5 * (1 + np.cos(np.pi * (np.clip(r, inner, model.r_cut) - inner) / w)))
    # The centre's own Gaussian: itself at the zero vector (coincident atoms
    # were refused by the neighbour list, so nothing else is at distance 0).
    centre_of = np.repeat(np.arange(len(numbers)), np.diff(offsets))
    own = (r == 0.0) & (nbr == centre_of)
    weights[own] = model.centre_weight
    return _Pairs(offsets, centre_of, vectors, species, weights)


def _coefficients(pairs, model, scratch=None):
    """Expansion coefficients and the species-presence mask of a batch (numba)."""
    S = len(model.species)
    n_atoms = len(pairs.offsets) - 1
    out = None if scratch is None else scratch.array((n_atoms, S, (model.l_max + 1) ** 2, model.n_max))
    coeffs = expansion_coefficients(
        pairs.offsets, pairs.vectors, pairs.species, pairs.weights, S, model.radial, out=out
    )
    present = np.zeros((len(pairs.offsets) - 1, S), dtype=np.bool_)
    live = pairs.weights > 0
    present[pairs.centre_of[live], pairs.species[live]] = True
    return coeffs, present


def coefficients(structures, model, *, first_index=0):
    """Expansion coefficients ``c[i, s, lm, n]`` of a batch's atoms and the species-presence mask (numba)."""
    return _coefficients(_pairs(structures, model, first_index), model)


def _array_module(backend):
    return import_cupy("SOAPDescriptor(backend='cupy')") if backend == "cupy" else np


def _rows_xp(pairs, model, backend):
    S = len(model.species)
    return atom_rows_xp(
        pairs.offsets, pairs.vectors, pairs.species, pairs.weights, S, model.radial, model.prefactors,
        model.feature_index, normalize=model.normalize, xp=_array_module(backend),
    )


def atom_rows(structures, model, backend, *, first_index=0, out=None, scratch=None):
    """Per-atom power spectra of a batch (unit rows when ``model.normalize``).

    Parameters
    ----------
    structures : list of Structure
    model : SoapModel
    backend : {"numba", "numpy", "cupy"}
        Resolved backend.
    first_index : int, default=0
        Index in ``X`` of ``structures[0]`` (for error messages).
    out : ndarray of shape (n_atoms, n_features_out), optional
        C-contiguous rows written in place; allocated if None.
    scratch : Scratch, optional
        Reusable buffers of the call (numba backend).

    Returns
    -------
    rows : ndarray of shape (n_atoms, n_features_out)
        ``out`` when given.
    """
    pairs = _pairs(structures, model, first_index)
    if backend != "numba":
        rows = to_host(_rows_xp(pairs, model, backend))
        if out is None:
            return rows
        out[:] = rows
        return out
    coeffs, present = _coefficients(pairs, model, scratch)
    rows = power_spectrum(coeffs, model.prefactors, present, out=out)
    if model.normalize:
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), np.finfo(float).tiny)
    return rows


def structure_rows(structures, model, backend, *, first_index=0, out=None, scratch=None):
    """One row per structure: the sum (or mean) of its atoms' power spectra.

    Parameters are those of :func:`atom_rows`; ``out`` has one row per
    structure.

    Returns
    -------
    rows : ndarray of shape (n_structures, n_features_out)
        ``out`` when given.
    """
    pairs = _pairs(structures, model, first_index)
    sizes = np.array([len(s.numbers) for s in structures], dtype=np.int64)
    starts = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=starts[1:])
    if backend == "numba":
        coeffs, present = _coefficients(pairs, model, scratch)
        return power_spectrum_reduced(
            coeffs, model.prefactors, present, starts, normalize=model.normalize, mean=model.mean, out=out
        )
    rows = to_host(_rows_xp(pairs, model, backend))
    sums = np.add.reduceat(rows, starts[:-1], axis=0)
    if model.mean:
        sums /= sizes[:, None]
    if out is None:
        return sums
    out[:] = sums
    return out


def bytes_per_atom(model, backend, *, atom_rows=False):
    """Temporaries of one atom while its batch is computed (for ``plan_execution``)."""
    S, L1, n_max = len(model.species), model.l_max + 1, model.n_max
    # Expansion coefficients, and the pair arrays for about 64 neighbours.
    per_atom = 8 * S * n_max * L1**2 + 64 * 64
    if atom_rows:
        per_atom += 8 * model.n_features_out
    if backend != "numba":
        # Array expressions also hold every l's (S n_max)^2 product block,
        # the full rows, and per-pair (lm, n) arrays.
        per_atom += 8 * (L1 * (S * n_max) ** 2 + model.n_features_out + 4 * 64 * L1**2 * n_max)
    return per_atom


def radial_basis(kind, **arrays):
    """The radial basis object the kernels take: ``"gto"`` -> GTORadial, ``"spline"`` -> SplineRadial."""
    return GTORadial(**arrays) if kind == "gto" else SplineRadial(**arrays)
