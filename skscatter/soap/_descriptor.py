"""SOAPDescriptor: the smooth overlap of atomic positions power spectrum."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import import_cupy, to_host
from .._config import get_config
from .._kernels import _soap_xp
from .._kernels._soap_numba import (
    expansion_coefficients,
    expansion_coefficients_tabulated,
    power_spectrum,
    power_spectrum_reduced,
)
from ..utils._parallel import effective_n_jobs as effective_n_threads, limit_numba_threads
from ..structures import StructureInputMixin, check_species, check_structures
from ..structures._input import resolve_species
from ..structures._neighbors import neighbour_list
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._basis import (
    gto_basis,
    polynomial_basis,
    polynomial_radial_functions,
    radial_integral_table,
    soap_prefactor,
)

# dscribe's neighbour padding: a Gaussian of width sigma centred this far
# beyond r_cut still reaches 1e-3 of its peak at r_cut.
_PADDING_DECAY = 1e-3


class SOAPDescriptor(StructureInputMixin, TransformerMixin, BaseEstimator):
    """SOAP power spectrum of atomic environments, summed (or averaged) per structure.

    Around each atom, the neighbour density of each species ``Z`` (Gaussians
    of width ``sigma`` on the neighbours, the centre included) is expanded
    in a radial basis times real spherical harmonics, ``c^Z_{nlm}``, and the
    rotation-invariant power spectrum ``p^{Z Z'}_{n n' l} = pi sqrt(8/(2l+1))
    sum_m c^Z_{nlm} c^{Z'}_{n'lm}`` (Bartók, Kondor and Csányi 2013, with
    dscribe's normalisation) is one row per atom.  Only ``(Z, n) <= (Z', n')``
    is stored, and the off-diagonal entries are multiplied by sqrt(2), so
    that the dot product of two rows is exactly the SOAP linear kernel
    (dscribe leaves the sqrt(2) out; otherwise the values equal dscribe's
    with ``rbf="gto"``).

    ``transform`` returns one row per structure, the sum (energies are
    extensive: a linear model on summed features is a sum of atomic
    energies) or the mean of its atoms' rows; ``transform_atoms`` returns
    the atoms' rows.  Structures are processed in batches, so the per-atom
    matrix of a whole dataset is never held at once.

    Parameters
    ----------
    species : sequence of int or None, default=None
        Atomic numbers the descriptor knows (None: those seen in ``fit``).
        Structures with other elements are rejected.
    r_cut : float, default=5.0
        Cutoff radius in Ångström.
    n_max : int, default=8
        Radial basis functions per degree.
    l_max : int, default=6
        Largest spherical harmonic degree.
    sigma : float, default=0.5
        Width (Å) of the atomic Gaussians.
    rbf : {"gto", "polynomial"}, default="gto"
        Radial basis, orthonormal with weight ``r^2`` (see
        :mod:`skscatter.soap._basis`).  ``"gto"``: dscribe's
        Löwdin-orthonormalised Gaussian-type orbitals, one set per ``l``,
        projections in closed form.  ``"polynomial"``: Bartók et al.'s
        ``(r_cut - r)^(a+2)``, ``a = 1..n_max`` (``n_max <= 10``), the same
        for every ``l`` and zero beyond ``r_cut``; projections are
        integrated numerically in ``fit`` and splined (relative error about
        1e-8).  Both span different spaces, so their features differ;
        ``"polynomial"`` gives the same kernel as any other orthonormal
        basis of the same polynomials (dscribe's ``"polynomial"`` where its
        orthonormalisation is accurate, small ``n_max``).
    cutoff_function : {None, "shifted_cosine"}, default=None
        None: neighbours closer than ``r_cut`` plus dscribe's padding
        ``sigma sqrt(2 ln 1000)`` count fully (dscribe's convention).
        ``"shifted_cosine"``: neighbours are weighted by
        ``(1 + cos(pi (r - r_cut + w) / w)) / 2`` on ``[r_cut - w, r_cut]``
        and dropped beyond ``r_cut``, which makes the descriptor smooth in
        the positions (QUIP's and featomic's choice).
    cutoff_width : float, default=0.5
        ``w`` of the shifted cosine (Å).
    centre_weight : float, default=1.0
        Weight of the centre atom's own Gaussian in its density.
    reduction : {"sum", "mean"}, default="sum"
        How ``transform`` combines the atoms of a structure.
    normalize : bool, default=False
        Scale each atom's row to unit norm before the reduction (the
        normalised SOAP kernel).
    backend : {"auto", "numba", "numpy", "cupy"}, default="auto"
        Who computes the expansion and the power spectra.  ``"numba"``
        (what ``"auto"`` means): fused kernels, parallel over atoms.
        ``"numpy"``: the same quantities as array expressions in float64
        (a slower, readable reference).  ``"cupy"``: those array
        expressions on the GPU.  Neighbour lists are always built on the
        CPU, and the output is always a NumPy array.
    n_jobs : int, default=None
        numba threads (atoms in parallel); no processes are started.
        ``None`` means 1, ``-1`` all cores.
    verbose : int, default=0
        Print progress every ``verbose`` batches.

    Attributes
    ----------
    species_ : ndarray of int
        Sorted atomic numbers.
    n_features_out_ : int
        ``(S n_max)(S n_max + 1) / 2 * (l_max + 1)`` for S species.

    Examples
    --------
    >>> from skscatter.soap import SOAPDescriptor
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> soap = SOAPDescriptor(n_max=2, l_max=2).fit([water])
    >>> soap.transform([water]).shape
    (1, 30)
    >>> P, owner = soap.transform_atoms([water, water])
    >>> P.shape, owner.tolist()
    ((6, 30), [0, 0, 0, 1, 1, 1])
    """

    _parameter_constraints = {
        "species": ["array-like", None],
        "r_cut": [Interval(Real, 1.0, None, closed="neither")],
        "n_max": [Interval(Integral, 1, None, closed="left")],
        "l_max": [Interval(Integral, 0, 20, closed="both")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "rbf": [StrOptions({"gto", "polynomial"})],
        "cutoff_function": [StrOptions({"shifted_cosine"}), None],
        "cutoff_width": [Interval(Real, 0, None, closed="neither")],
        "centre_weight": [Interval(Real, 0, None, closed="left")],
        "reduction": [StrOptions({"sum", "mean"})],
        "normalize": ["boolean"],
        "backend": [StrOptions({"auto", "numba", "numpy", "cupy"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        species=None,
        r_cut=5.0,
        n_max=8,
        l_max=6,
        sigma=0.5,
        rbf="gto",
        cutoff_function=None,
        cutoff_width=0.5,
        centre_weight=1.0,
        reduction="sum",
        normalize=False,
        backend="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.species = species
        self.r_cut = r_cut
        self.n_max = n_max
        self.l_max = l_max
        self.sigma = sigma
        self.rbf = rbf
        self.cutoff_function = cutoff_function
        self.cutoff_width = cutoff_width
        self.centre_weight = centre_weight
        self.reduction = reduction
        self.normalize = normalize
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn (or check) the species and build the radial basis.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`.
        y : None
            Ignored.

        Returns
        -------
        self : SOAPDescriptor
        """
        structures = check_structures(X)
        species = resolve_species(self.species, structures)
        if self.cutoff_function == "shifted_cosine" and self.cutoff_width > self.r_cut:
            raise ValueError(f"cutoff_width={self.cutoff_width} exceeds r_cut={self.r_cut}; it must be at most r_cut.")
        self.species_ = species
        self._build()
        S = len(self.species_)
        self.n_features_out_ = (S * self.n_max) * (S * self.n_max + 1) // 2 * (self.l_max + 1)
        return self

    def _build(self):
        # Packed-column index of the array backends (a few ms; built once per fit, not per batch).
        self._feature_index = _soap_xp.feature_index(len(self.species_), int(self.n_max), int(self.l_max))
        if self.rbf == "gto":
            self._alphas, self._betas = gto_basis(float(self.r_cut), int(self.n_max), int(self.l_max))
        else:
            r_cut = float(self.r_cut)
            W = polynomial_basis(r_cut, int(self.n_max))
            self._radial_table, self._radial_step = radial_integral_table(
                lambda r, l: polynomial_radial_functions(r, r_cut, W),
                int(self.l_max),
                float(self.sigma),
                x_max=r_cut,
                r_max=self.neighbour_cutoff_,
            )
        self._prefactors = np.array([soap_prefactor(l) for l in range(self.l_max + 1)])
        lookup = np.full(119, -1, dtype=np.int64)
        lookup[self.species_] = np.arange(len(self.species_))
        self._lookup = lookup

    @property
    def neighbour_cutoff_(self):
        """Distance (Å) within which neighbours enter an atom's density."""
        check_is_fitted(self)
        if self.cutoff_function is None:
            return self.r_cut + self.sigma * math.sqrt(-2 * math.log(_PADDING_DECAY))
        return float(self.r_cut)

    # -- batches -------------------------------------------------------------

    def _batches(self, structures):
        """Consecutive slices of structures holding about the working memory's worth of atoms."""
        S, L1 = len(self.species_), self.l_max + 1
        bytes_per_atom = 8 * (self.n_features_out_ + S * self.n_max * L1**2)
        if self.backend in ("numpy", "cupy"):
            # Array expressions also hold every l's (S n_max)^2 product block
            # and a few per-pair arrays (allowing about 64 neighbours per atom).
            bytes_per_atom += 8 * (L1 * (S * self.n_max) ** 2 + 4 * 64 * L1**2 * self.n_max)
        budget = max(1, int(get_config()["working_memory"] * 2**20 // bytes_per_atom))
        start, atoms = 0, 0
        for i, s in enumerate(structures):
            atoms += len(s.numbers)
            if atoms >= budget:
                yield start, i + 1
                start, atoms = i + 1, 0
        if start < len(structures):
            yield start, len(structures)

    def _pairs(self, structures):
        """Neighbour pairs of a batch: CSR offsets, centre, vectors, species index and weight."""
        numbers = np.concatenate([s.numbers for s in structures])
        offsets, nbr, vec = neighbour_list(structures, self.neighbour_cutoff_)
        nbr_species = self._lookup[numbers][nbr]
        r = np.sqrt((vec**2).sum(axis=1))
        if self.cutoff_function == "shifted_cosine":
            w = self.cutoff_width
            inner = self.r_cut - w
            weight = np.where(r <= inner, 1.0, 0.5 * (1 + np.cos(np.pi * (np.clip(r, inner, self.r_cut) - inner) / w)))
        else:
            weight = np.ones_like(r)
        # The centre's own Gaussian: zero vector and the same atom index.
        centre_of = np.repeat(np.arange(len(numbers)), np.diff(offsets))
        own = (r == 0.0) & (nbr == centre_of)
        weight = np.where(own, float(self.centre_weight), weight)
        return len(numbers), offsets, centre_of, vec, nbr_species, weight

    def _coefficients(self, structures):
        """Expansion coefficients (n_atoms, S, n_lm, n_max) and species-presence mask of a batch (numba)."""
        n_atoms, offsets, centre_of, vec, nbr_species, weight = self._pairs(structures)
        S = len(self.species_)
        coeffs = np.empty((n_atoms, S, (self.l_max + 1) ** 2, self.n_max))
        if self.rbf == "gto":
            eta = 1.0 / (2.0 * self.sigma**2)
            expansion_coefficients(offsets, vec, nbr_species, weight, self._alphas, self._betas, eta, coeffs)
        else:
            expansion_coefficients_tabulated(
                offsets, vec, nbr_species, weight, self._radial_table, self._radial_step, coeffs
            )
        present = np.zeros((n_atoms, S), dtype=np.bool_)
        present[centre_of[weight > 0], nbr_species[weight > 0]] = True
        return coeffs, present

    def _atom_rows_xp(self, structures, xp):
        """Per-atom rows of a batch with array expressions (backend "numpy" or "cupy")."""
        n_atoms, _, centre_of, vec, nbr_species, weight = self._pairs(structures)
        if self.rbf == "gto":
            eta = 1.0 / (2.0 * self.sigma**2)
            radial = lambda r: _soap_xp.radial_gto(r, self._alphas, self._betas, eta, xp)  # noqa: E731
        else:
            table = xp.asarray(self._radial_table)
            radial = lambda r: _soap_xp.radial_tabulated(r, table, self._radial_step, xp)  # noqa: E731
        coeffs = _soap_xp.expansion_coefficients(
            xp.asarray(centre_of), xp.asarray(vec), xp.asarray(nbr_species), xp.asarray(weight),
            radial, n_atoms, len(self.species_), xp,
        )
        rows = _soap_xp.power_spectrum(coeffs, xp.asarray(self._prefactors), self._feature_index, xp)
        if self.normalize:
            norm = xp.sqrt((rows * rows).sum(axis=1, keepdims=True))
            rows = rows / xp.where(norm > 0, norm, 1.0)
        return rows

    def _array_module(self):
        return import_cupy("SOAPDescriptor(backend='cupy')") if self.backend == "cupy" else np

    def _prepare(self, X):
        check_is_fitted(self)
        structures = check_structures(X)
        check_species(structures, self.species_)
        return structures

    def transform(self, X):
        """One row per structure: the sum (or mean) of its atoms' power spectra.

        Parameters
        ----------
        X : sequence of structures

        Returns
        -------
        S : ndarray of shape (n_structures, n_features_out_), float64
        """
        structures = self._prepare(X)
        out = np.empty((len(structures), self.n_features_out_))
        with limit_numba_threads(effective_n_threads(self.n_jobs)):
            for k, (a, b) in enumerate(self._batches(structures)):
                sizes = np.array([len(s.numbers) for s in structures[a:b]])
                starts = np.concatenate([[0], np.cumsum(sizes)])
                if self.backend in ("auto", "numba"):
                    coeffs, present = self._coefficients(structures[a:b])
                    power_spectrum_reduced(
                        coeffs, self._prefactors, present, starts, bool(self.normalize), self.reduction == "mean", out[a:b]
                    )
                else:
                    xp = self._array_module()
                    rows = to_host(self._atom_rows_xp(structures[a:b], xp))
                    out[a:b] = np.add.reduceat(rows, starts[:-1], axis=0)
                    if self.reduction == "mean":
                        out[a:b] /= sizes[:, None]
                if self.verbose and (k + 1) % self.verbose == 0:
                    print(f"[SOAPDescriptor] {b}/{len(structures)} structures")
        return out

    def transform_atoms(self, X):
        """Per-atom power spectra and the structure each atom belongs to.

        Parameters
        ----------
        X : sequence of structures

        Returns
        -------
        P : ndarray of shape (n_atoms, n_features_out_), float64
            Rows in the order of the structures, then of their atoms.
        structure_index : ndarray of shape (n_atoms,), int
        """
        structures = self._prepare(X)
        sizes = np.array([len(s.numbers) for s in structures])
        first = np.concatenate([[0], np.cumsum(sizes)])
        P = np.empty((first[-1], self.n_features_out_))
        with limit_numba_threads(effective_n_threads(self.n_jobs)):
            for a, b in self._batches(structures):
                rows = P[first[a] : first[b]]  # written in place, no per-batch copies
                if self.backend in ("auto", "numba"):
                    coeffs, present = self._coefficients(structures[a:b])
                    power_spectrum(coeffs, self._prefactors, present, rows)
                    if self.normalize:
                        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), np.finfo(float).tiny)
                else:
                    rows[:] = to_host(self._atom_rows_xp(structures[a:b], self._array_module()))
        owner = np.repeat(np.arange(len(structures)), sizes)
        return P, owner

    def get_feature_names_out(self, input_features=None):
        """Names ``"Z{z1}_Z{z2}_l{l}_n{n}_n{n2}"`` in column order.

        Parameters
        ----------
        input_features : None
            Ignored (structures have no input features).

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        names = []
        Zs = self.species_.tolist()
        for i, z1 in enumerate(Zs):
            for z2 in Zs[i:]:
                for l in range(self.l_max + 1):
                    for n in range(self.n_max):
                        for n2 in range(n if z1 == z2 else 0, self.n_max):
                            names.append(f"Z{z1}_Z{z2}_l{l}_n{n}_n{n2}")
        return np.asarray(names, dtype=object)
