"""SolidHarmonicScattering: molecules -> solid harmonic scattering invariants."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from ..utils._parallel import effective_n_jobs as effective_n_threads, limit_numba_threads
from .._backend import import_cupy
from .._config import get_config
from ..structures import StructureInputMixin, check_structures
from ..utils._parallel import map_batches, plan_batches
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._analytic import analytic_columns, analytic_values
from ._core import check_scattering_params, scattering_3d_layout, solid_harmonic_scattering_3d
from ._density import CHANNELS, DEFAULT_CHANNELS, channel_weights, molecule_density, principal_axes_frame, splat_radius
from ._free_space import free_space_scattering, largest_free_space_grid

# kymatio's QM7 rule: two Gaussians at the smallest interatomic distance
# overlap by less than this fraction once positions are rescaled.
_OVERLAP = 0.1


class SolidHarmonicScattering(StructureInputMixin, TransformerMixin, BaseEstimator):
    """Solid harmonic wavelet scattering invariants of molecules.

    Each molecule becomes, per density channel, a sum of Gaussians of width
    ``sigma`` on a 3D grid (see :mod:`skscatter.harmonic._density`), and
    its solid harmonic scattering invariants of orders 0 to 2 (Eickenberg
    et al., NeurIPS 2017; J. Chem. Phys. 2018) are one row of the output:
    ``n_channels * Q * (1 + (L + 1) * n_paths)`` features, invariant to
    rotations (up to grid sampling, ~1e-3), translations and atom order.

    With the defaults this is the setting of kymatio's QM7 example (J=2,
    L=3, sigma=2, q in {0.5, 1, 2, 3}, three channels, spacing from the
    smallest interatomic distance), computed over all of space
    (``boundary="free"``); ``boundary="periodic", grid_shape=(192, 128,
    96)`` reproduces kymatio's periodic box itself.

    Parameters
    ----------
    J : int, default=2
        Largest wavelet scale: widths ``sigma * 2**j``, ``j = 0..J``.
    L : int, default=3
        Largest degree of the solid harmonics.
    sigma : float, default=2.0
        Width of the atomic Gaussians and of the finest wavelet, in voxels.
    integral_powers : tuple of float, default=(0.5, 1.0, 2.0, 3.0)
        Exponents ``q`` of the integrals ``sum_u U(u)^q``.
    max_order : {1, 2}, default=2
    channels : tuple of str, default=("nuclear", "valence", "core")
        Density channels, from ``"nuclear"``, ``"valence"``, ``"core"`` and
        ``"bonding"`` (usual number of covalent bonds, the authors' fourth
        channel; main-group elements only).
    spacing : float or None, default=None
        Grid spacing in Ångström.  None: chosen in ``fit`` so that two
        Gaussians at the smallest interatomic distance of the training
        molecules overlap by 10 % (kymatio's rule, 0.113 Å on QM7).
    boundary : {"free", "periodic"}, default="free"
        ``"free"``: the invariants are integrals over all of space.  Each
        molecule, scale and order gets its own grid, just large and fine
        enough for ``bandwidth_tol`` (see
        :mod:`skscatter.harmonic._free_space`): order-1 fields are
        evaluated in closed form (no FFT), order 2 through a zoomed DFT.
        No shared box, so no molecule is too large for it, and several
        times faster than a box.  ``"periodic"``: circular convolutions on
        one box of ``grid_shape`` voxels, kymatio's discretisation; its
        coarse-scale fields wrap around the box, which changes the
        ``q = 0.5`` integrals of the largest scale by up to ~1e-2 on QM7
        against free space.
    grid_shape : tuple of 3 int or None, default=None
        Box ``(M, N, O)`` of ``boundary="periodic"`` (must be None with
        ``"free"``).  None: the smallest FFT-friendly even grid that holds
        every training molecule, 20 % larger, with the margin the largest
        wavelet needs.  Molecules that do not fit at ``transform`` raise an
        error; pass a grid for a whole dataset (or fit on all of its
        molecules, which uses no targets) to avoid that under
        cross-validation.
    align : bool, default=True
        Put each molecule in its principal-axes frame (largest spread along
        the first grid axis) before sampling, as kymatio's QM7 data are;
        symmetric molecules, whose principal axes are not unique, get their
        frame from their atoms (see
        :func:`skscatter.harmonic._density.principal_axes_frame`).  A rotated
        copy is then sampled alike: rotating changes the invariants by
        round-off only (measured with ``asv_benchmarks/harmonic_rotation.py``:
        at most 1.3e-8 relative over 100 random and the 16 most symmetric
        QM7 molecules, 8e-9 for ideal methane, benzene, SF6, CO2 and water).
        Without it molecules are only centred, and a rotated molecule is
        sampled differently: up to 1.4e-3 relative (per invariant, against
        at least 1 % of the largest invariant with its q) over 40 random QM7
        molecules and 1.9e-3 over the 16 most symmetric ones, at the default
        ``bandwidth_tol`` (same script, ``--no-align``).
    method : {"auto", "grid", "analytic"}, default="auto"
        How invariants are evaluated.  ``"grid"``: all on the grid.
        ``"auto"``: on the grid, except those with a closed form for
        Gaussian densities (order 0 with q in {1, 2, 3}, order 1 with
        q = 2; see :mod:`skscatter.harmonic._analytic`), which are
        computed exactly from interatomic distances — the continuum
        integrals the grid sums approximate (to ~1e-9 here).
        ``"analytic"``: only those closed-form invariants (fewer features,
        no grid, exactly rotation invariant, milliseconds per molecule).
    bandwidth_tol : "auto", float or None, default="auto"
        ``"auto"``: 1e-4 with ``boundary="free"``, 1e-9 with ``"periodic"``.
        With ``boundary="free"``: the truncation tolerance of every grid's
        spacing and margin (must be a float; 1e-4 keeps every invariant
        within 5e-4 of a periodic box too large to wrap, measured on QM7).
        With ``"periodic"``: None is the exact full-grid evaluation
        (kymatio's discretisation); a float puts each scale on the coarsest
        grid that keeps all frequencies
        where filter times atomic Gaussian exceed this fraction of the
        peak; about 8 times faster than exact at kymatio's QM7 setting,
        deviating from the exact values by up to about 1e-3 relative there
        (measured: 8e-4 at most over three QM7 molecules, the size of the
        change grid sampling makes under rotation).  See
        :func:`solid_harmonic_scattering_3d`.
    backend : {"auto", "numba", "numpy", "cupy"}, default="auto"
        Who computes the free-space path: numba kernels (``"auto"``), NumPy
        array expressions, or CuPy on a CUDA GPU (fields, FFTs and integrals
        on the device; install ``skscatter[gpu]``).  All compute the same
        values; ``boundary="periodic"`` runs on the CPU (``"auto"`` or
        ``"numba"`` only).
    n_jobs : int, default=None
        Molecules are transformed in batches through :class:`joblib.Parallel`
        (threads by default).  With ``boundary="periodic"`` a single batch
        uses ``n_jobs`` FFT and numba threads instead; free-space grids are
        too small for that to pay, so each molecule runs single-threaded.  ``None`` means 1, ``-1`` all cores.
    verbose : int, default=0
        Print progress every ``verbose`` batches (0: silent).

    Attributes
    ----------
    spacing_ : float
        Voxel size (Ångström): the unit of ``sigma`` and of the integrals.
    grid_shape_ : tuple of int or None
        The periodic box (None with ``boundary="free"``).
    margin_ : int or None
        Voxels every atom must keep from the periodic box's border.
    n_features_out_ : int

    See Also
    --------
    solid_harmonic_scattering_3d : the transform on grids.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.harmonic import SolidHarmonicScattering
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> ammonia = ([7, 1, 1, 1], [[0, 0, 0.1], [0.94, 0, -0.3], [-0.47, 0.81, -0.3], [-0.47, -0.81, -0.3]])
    >>> est = SolidHarmonicScattering(J=1, L=1, sigma=1.5, channels=("nuclear",)).fit([water, ammonia])
    >>> est.transform([water]).shape
    (1, 28)
    """

    _parameter_constraints = {
        "J": [Interval(Integral, 0, None, closed="left")],
        "L": [Interval(Integral, 0, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "integral_powers": ["array-like"],
        "max_order": [Interval(Integral, 1, 2, closed="both")],
        "channels": [tuple, list],
        "spacing": [Interval(Real, 0, None, closed="neither"), None],
        "grid_shape": [tuple, list, None],
        "align": ["boolean"],
        "boundary": [StrOptions({"free", "periodic"})],
        "method": [StrOptions({"auto", "grid", "analytic"})],
        "bandwidth_tol": [StrOptions({"auto"}), Interval(Real, 0, 0.1, closed="right"), None],
        "backend": [StrOptions({"auto", "numba", "numpy", "cupy"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        J=2,
        L=3,
        sigma=2.0,
        integral_powers=(0.5, 1.0, 2.0, 3.0),
        max_order=2,
        channels=DEFAULT_CHANNELS,
        spacing=None,
        grid_shape=None,
        align=True,
        boundary="free",
        method="auto",
        bandwidth_tol="auto",
        backend="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.J = J
        self.L = L
        self.sigma = sigma
        self.integral_powers = integral_powers
        self.max_order = max_order
        self.channels = channels
        self.spacing = spacing
        self.grid_shape = grid_shape
        self.align = align
        self.boundary = boundary
        self.method = method
        self.bandwidth_tol = bandwidth_tol
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    # -- geometry ----------------------------------------------------------

    def _frame(self, positions, numbers):
        if self.align:
            return principal_axes_frame(positions, numbers)
        return positions - positions.mean(axis=0)

    def _required_margin(self):
        # The splatted Gaussians must fit, and the largest wavelet must not
        # wrap around the periodic FFT box onto the molecule.
        return max(splat_radius(self.sigma) + 2, int(math.ceil(3 * self.sigma * 2**self.J)))

    def _voxel_coordinates(self, structures):
        centre = 0 if self.grid_shape_ is None else np.array(self.grid_shape_) // 2
        return [self._frame(s.positions, s.numbers) / self.spacing_ + centre for s in structures]

    def _tol(self):
        if self.bandwidth_tol == "auto":
            return 1e-4 if self.boundary == "free" else 1e-9
        return self.bandwidth_tol

    def _uses_box(self):
        return self.boundary == "periodic" and self.method != "analytic"

    @staticmethod
    def _check_species(structures, channels):
        # Weights are cheap; computing them here raises an unsupported
        # element in the calling thread, naming the molecule, rather than
        # from inside a worker.
        for i, s in enumerate(structures):
            for channel in channels:
                try:
                    channel_weights(s.numbers, channel)
                except ValueError as exc:
                    raise ValueError(f"X[{i}]: {exc}") from None

    def _check_free_space_size(self, coords):
        # The largest temporaries are the monomial fields of the finest
        # order-1 grid; refuse molecules whose grids would not fit the
        # working memory rather than swap.
        budget = 8 * get_config()["working_memory"] * 2**20
        for i, c in enumerate(coords):
            n_points, n_bytes = largest_free_space_grid(
                c, len(self.channels_), self.J, self.L, self.sigma, self.integral_powers, self.max_order, self._tol()
            )
            if n_bytes > budget:
                raise ValueError(
                    f"X[{i}] spans {np.round(np.ptp(c, axis=0), 1).tolist()} voxels of {self.spacing_:.4g} Å: its "
                    f"free-space grids need {n_bytes / 2**20:.0f} MiB ({n_points} points), over 8 x "
                    f"working_memory={get_config()['working_memory']} MiB. Increase spacing (fewer voxels per Å), "
                    "or raise skscatter.set_config(working_memory=...)."
                )

    def _check_fit(self, coords):
        hi = np.array(self.grid_shape_) - 1 - self.margin_
        for i, c in enumerate(coords):
            if np.any(c < self.margin_) or np.any(c > hi):
                span = np.ptp(c, axis=0) if len(c) > 1 else np.zeros(3)
                need = [int(math.ceil(s)) + 2 * self.margin_ + 2 for s in span]
                raise ValueError(
                    f"X[{i}] spans {np.round(span, 1).tolist()} voxels at spacing {self.spacing_:.4g} Å; "
                    f"with J={self.J} and sigma={self.sigma} each atom must stay {self.margin_} voxels from the border "
                    f"of the grid {self.grid_shape_}, which needs at least {need}. Increase grid_shape (or spacing), "
                    "or fit with grid_shape=None on data that include the largest molecules."
                )

    # -- estimator API -----------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Choose the grid (spacing and shape) from the molecules in ``X``.

        Parameters
        ----------
        X : sequence of structures
            Molecules (see :mod:`skscatter.structures`); periodic structures
            are rejected.
        y : None
            Ignored.

        Returns
        -------
        self : SolidHarmonicScattering
        """
        check_scattering_params(self.J, self.L, self.sigma, self.integral_powers, self.max_order)
        channels = tuple(self.channels)
        if not channels or len(set(channels)) != len(channels) or not set(channels) <= set(CHANNELS):
            raise ValueError(f"channels={self.channels!r} must be distinct names from {CHANNELS}.")
        structures = check_structures(X, allow_periodic=False)
        self._check_species(structures, channels)
        if self.boundary == "free" and self.grid_shape is not None:
            raise ValueError(
                f"grid_shape={self.grid_shape!r} sets the box of boundary='periodic'; with boundary='free' every "
                "molecule gets its own grids. Pass grid_shape=None, or boundary='periodic'."
            )
        if self.boundary == "periodic" and self.backend in ("numpy", "cupy"):
            raise ValueError(
                f"backend={self.backend!r} computes the free-space path; boundary='periodic' runs on the CPU. "
                "Use boundary='free', or backend='auto'."
            )
        if self.backend == "cupy":
            import_cupy("SolidHarmonicScattering(backend='cupy')")
        if self.boundary == "free" and self._tol() is None and self.method != "analytic":
            raise ValueError(
                "bandwidth_tol=None (exact full-box evaluation) needs boundary='periodic'; with boundary='free' "
                "pass a tolerance such as 1e-6."
            )

        if self.spacing is None:
            d_min = _smallest_distance(structures)
            if d_min is None:
                raise ValueError(
                    "spacing=None learns the grid spacing from the smallest interatomic distance, but every "
                    "molecule in X has a single atom; pass spacing (Ångström per voxel)."
                )
            self.spacing_ = d_min / (self.sigma * math.sqrt(-8 * math.log(_OVERLAP)))
        else:
            self.spacing_ = float(self.spacing)
        self.margin_ = self._required_margin()

        frames = [self._frame(s.positions, s.numbers) / self.spacing_ for s in structures]
        self.channels_ = channels
        if not self._uses_box():
            self.grid_shape_ = self.margin_ = None
            if self.method != "analytic":
                self._check_free_space_size(frames)
            self.n_features_out_ = len(channels) * len(self._columns())
            return self
        if self.grid_shape is None:
            reach = np.max([np.abs(f).max(axis=0) for f in frames], axis=0)
            # Centred at n // 2: room for the farthest atom on either side,
            # plus 20 % so that cross-validation folds with slightly larger
            # molecules than the training fold still fit.
            self.grid_shape_ = tuple(_fast_even(2 * (int(math.ceil(1.2 * r)) + self.margin_ + 2)) for r in reach)
        else:
            shape = self.grid_shape
            if len(shape) != 3 or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 2 for s in shape):
                raise ValueError(f"grid_shape={shape!r} must be three ints >= 2, or None.")
            self.grid_shape_ = tuple(int(s) for s in shape)
        self._check_fit([f + np.array(self.grid_shape_) // 2 for f in frames])
        self.n_features_out_ = len(channels) * len(self._columns())
        return self

    def _layout(self):
        return scattering_3d_layout(self.J, self.L, self.integral_powers, self.max_order)

    def _columns(self):
        """Layout columns in the output (all, or the closed-form ones)."""
        layout = self._layout()
        if self.method == "analytic":
            columns = analytic_columns(layout)
            if not columns:
                raise ValueError(
                    f"method='analytic' has no closed-form invariant for integral_powers={self.integral_powers!r}; "
                    "include q = 1, 2 or 3, or use method='auto'."
                )
            return columns
        return list(range(len(layout)))

    def transform(self, X):
        """Scattering invariants, one row per molecule.

        Parameters
        ----------
        X : sequence of structures

        Returns
        -------
        S : ndarray of shape (n_molecules, n_features_out_), float64
        """
        check_is_fitted(self)
        structures = check_structures(X, allow_periodic=False)
        self._check_species(structures, self.channels_)
        coords = self._voxel_coordinates(structures)
        if self._uses_box():
            self._check_fit(coords)
        elif self.method != "analytic":
            self._check_free_space_size(coords)
        n = len(structures)
        n_threads = effective_n_threads(self.n_jobs)
        batch, starts, concurrent = plan_batches(n, 8, n_threads)
        inner = n_threads if concurrent == 1 else 1
        if self.boundary == "free":
            # Free-space grids are small: threads inside one molecule cost
            # more than they save (measured 0.41 s vs 0.17 s per QM7
            # molecule on 2 cores), so only molecules run in parallel.
            inner = 1
        out = np.empty((n, self.n_features_out_))

        def run(start):
            stop = min(start + batch, n)
            with limit_numba_threads(inner):
                rows = [self._one(structures[i].numbers, coords[i], inner) for i in range(start, stop)]
            return start, np.stack(rows)

        # BLAS threads are a process-wide setting: set once around all the
        # workers (one molecule per thread runs its BLAS calls single-threaded).
        with threadpool_limits(inner, user_api="blas"):
            for k, (start, rows) in enumerate(map_batches(run, starts, concurrent)):
                out[start : start + len(rows)] = rows
                if self.verbose and (k + 1) % self.verbose == 0:
                    print(f"[SolidHarmonicScattering] {start + len(rows)}/{n} molecules")
        return out

    def _one(self, numbers, coords, n_threads):
        layout = self._layout()
        closed = analytic_columns(layout) if self.method != "grid" else []
        if self.boundary == "free" and self.method != "analytic":
            weights = np.stack([channel_weights(numbers, ch) for ch in self.channels_], axis=1)
            rows = free_space_scattering(
                coords, weights, self.J, self.L, self.sigma, self.sigma, self.integral_powers, self.max_order,
                self._tol(), n_threads, "numba" if self.backend == "auto" else self.backend,
            )
            for k in range(len(self.channels_)):
                rows[k, closed] = analytic_values(layout, closed, coords, weights[:, k], self.sigma, self.sigma)
            return rows.ravel()
        feats = []
        for channel in self.channels_:
            weights = channel_weights(numbers, channel)
            exact = analytic_values(layout, closed, coords, weights, self.sigma, self.sigma)
            if self.method == "analytic":
                feats.append(exact)
                continue
            density = molecule_density(coords, weights, self.grid_shape_, self.sigma)
            row = solid_harmonic_scattering_3d(
                density,
                self.J,
                self.L,
                self.sigma,
                self.integral_powers,
                self.max_order,
                bandwidth_tol=self._tol(),
                n_jobs=n_threads,
                _input_sigma=self.sigma,
            )
            row[closed] = exact
            feats.append(row)
        return np.concatenate(feats)

    def get_feature_names_out(self, input_features=None):
        """Names ``"{channel}_o{order}_j{j}[_{j2}]_l{l}_q{q}"`` (order 0: ``"{channel}_o0_q{q}"``).

        Parameters
        ----------
        input_features : None
            Ignored (molecules have no input features).

        Returns
        -------
        names : ndarray of str
        """
        check_is_fitted(self)
        names = []
        layout = self._layout()
        for channel in self.channels_:
            for order, j1, j2, l, q in (layout[i] for i in self._columns()):
                qs = f"{q:g}"
                if order == 0:
                    names.append(f"{channel}_o0_q{qs}")
                elif order == 1:
                    names.append(f"{channel}_o1_j{j1}_l{l}_q{qs}")
                else:
                    names.append(f"{channel}_o2_j{j1}_{j2}_l{l}_q{qs}")
        return np.asarray(names, dtype=object)


def _smallest_distance(structures):
    best = None
    for s in structures:
        if len(s.positions) < 2:
            continue
        diff = s.positions[:, None, :] - s.positions[None, :, :]
        d2 = (diff**2).sum(-1)
        np.fill_diagonal(d2, np.inf)
        m = math.sqrt(d2.min())
        best = m if best is None else min(best, m)
    return best


def _fast_even(n):
    import scipy.fft

    m = scipy.fft.next_fast_len(n, real=True)
    while m % 2:
        m = scipy.fft.next_fast_len(m + 1, real=True)
    return m
