"""SolidHarmonicScattering: molecules -> solid harmonic scattering invariants."""

import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.fft
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import resolve_backend
from .._config import get_config
from ..structures import StructureInputMixin, check_structures
from ..structures._input import coincident_atoms_error
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, N_JOBS, VERBOSE, check_execution_params
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._analytic import analytic_columns, analytic_values
from ._core import MAX_L, _grid_bytes, check_scattering_params, scatter_grid, scattering_3d_layout
from ._density import CHANNELS, DEFAULT_CHANNELS, channel_weights, molecule_density, principal_axes_frame, splat_radius
from ._free_space import free_space_scattering, largest_free_space_grid

# kymatio's QM7 rule: two Gaussians at the smallest interatomic distance
# overlap by less than this fraction once positions are rescaled.
_OVERLAP = 0.1
# Atoms closer than this (Å) are one atom listed twice: no molecule has
# them, and with spacing=None they would make the voxel size zero.
_COINCIDENT = 1e-6
# A molecule's temporaries may take 8 x working_memory, and never less than
# 8 x the default 64 MiB: a small working_memory makes small batches (it is
# also how tests force many of them), never refuses a molecule the default
# accepts.
_MEMORY_FACTOR, _MEMORY_FLOOR_MIB = 8, 64
# Molecules per batch at most: a batch computes its molecules one after the
# other, so larger batches save no memory and only balance the load worse.
_MAX_BATCH = 8


class _Model(NamedTuple):
    """What ``fit`` resolved: the function ``transform`` computes."""

    J: int
    L: int
    sigma: float  # atomic Gaussians and finest wavelet, voxels
    powers: tuple  # integral powers q
    max_order: int
    channels: tuple
    spacing: float  # Å per voxel
    align: bool
    boundary: str
    method: str
    tol: float  # bandwidth tolerance; None: the exact periodic path
    grid_shape: tuple  # the periodic box; None without one
    margin: int  # voxels every atom keeps from the box border; None without a box
    layout: tuple  # (order, j1, j2, l, q) of each column of one channel
    columns: tuple  # layout columns in the output
    closed: tuple  # layout columns computed in closed form
    n_features_out: int


def _uses_box(model):
    return model.boundary == "periodic" and model.method != "analytic"


def _uses_free_grids(model):
    return model.boundary == "free" and model.method != "analytic"


def _supported_backends(model):
    """Backends that compute this model: free space runs anywhere; the periodic box on the numba kernels only."""
    if _uses_box(model):
        return ("numba",)
    if model.method == "analytic":
        return ("numpy", "numba")  # a few array expressions on the CPU: no GPU path to choose
    return ("numpy", "numba", "cupy")


def _frame(positions, numbers, align):
    if align:
        return principal_axes_frame(positions, numbers)
    return positions - positions.mean(axis=0)


def _voxel_coordinates(structure, model):
    centre = 0 if model.grid_shape is None else np.array(model.grid_shape) // 2
    return _frame(structure.positions, structure.numbers, model.align) / model.spacing + centre


def _channel_weights(numbers, channels):
    """``(n_atoms, n_channels)`` Gaussian weights."""
    return np.stack([channel_weights(numbers, ch) for ch in channels], axis=1)


def _memory_limit():
    """Bytes one molecule's temporaries may take (see ``_MEMORY_FACTOR``)."""
    return _MEMORY_FACTOR * max(get_config()["working_memory"], _MEMORY_FLOOR_MIB) * 2**20


def _memory_limit_text():
    return (
        f"the limit of {_memory_limit() / 2**20:.0f} MiB ({_MEMORY_FACTOR} x working_memory="
        f"{get_config()['working_memory']} MiB, at least {_MEMORY_FACTOR * _MEMORY_FLOOR_MIB} MiB)"
    )


def _nearest_distance(i, structure):
    """Smallest interatomic distance (Å) of ``X[i]``, None for one atom; coincident atoms raise."""
    if len(structure.positions) < 2:
        return None
    nearest = cKDTree(structure.positions).query(structure.positions, k=2)[0][:, 1]
    a = int(np.argmin(nearest))  # the first atom of the closest pair
    if nearest[a] < _COINCIDENT:
        # Among coincident atoms the tree may list ``a`` itself second: find its partner.
        others = np.linalg.norm(structure.positions - structure.positions[a], axis=1)
        others[a] = np.inf
        b = int(np.argmin(others))
        raise coincident_atoms_error(i, min(a, b), max(a, b), float(others[b]))
    return float(nearest[a])


def _check_species(i, structure, channels):
    # Weights are cheap; computing them before any work raises an
    # unsupported element in the calling thread, naming the molecule,
    # rather than from inside a worker.
    for channel in channels:
        try:
            channel_weights(structure.numbers, channel)
        except ValueError as exc:
            raise ValueError(f"X[{i}]: {exc}") from None


def _span(coords):
    """The extent of a molecule along each axis, for messages."""
    return "[" + ", ".join(f"{x:.3g}" for x in np.ptp(coords, axis=0)) + "]"


def _check_free_space_size(i, coords, model):
    """Bytes of the molecule's largest temporaries; a ValueError beyond the memory limit."""
    n_points, n_bytes = largest_free_space_grid(
        coords, len(model.channels), model.J, model.L, model.sigma, model.powers, model.max_order, model.tol
    )
    if n_bytes > _memory_limit():
        raise ValueError(
            f"X[{i}] spans {_span(coords)} voxels of {model.spacing:.4g} Å: its free-space grids "
            f"need {n_bytes / 2**20:.0f} MiB ({n_points} points), over {_memory_limit_text()}. Increase spacing "
            "(fewer voxels per Å) or bandwidth_tol, or raise skscatter.set_config(working_memory=...)."
        )
    return n_bytes


def _check_closed_form_size(i, structure, model):
    """Bytes of the closed forms' (n_atoms, n_atoms) arrays; a ValueError beyond the memory limit."""
    n_bytes = _closed_form_bytes(len(structure.numbers)) if model.closed else 0
    if n_bytes > _memory_limit():
        raise ValueError(
            f"X[{i}] has {len(structure.numbers)} atoms: the closed-form invariants need {n_bytes / 2**20:.0f} MiB of "
            f"atom-pair arrays, over {_memory_limit_text()}. Use method='grid', or raise "
            "skscatter.set_config(working_memory=...)."
        )
    return n_bytes


def _closed_form_bytes(n_atoms):
    # Pair differences (3 per pair), distances and a few same-size terms.
    return 64 * n_atoms**2


def _box_bytes(model):
    """Temporaries of one molecule on the periodic box: the density and the grid transform's."""
    return _grid_bytes(model.grid_shape, model.L) + 8 * math.prod(model.grid_shape)


def _check_box_size(model):
    n_bytes = _box_bytes(model)
    if n_bytes > _memory_limit():
        raise ValueError(
            f"The periodic box {model.grid_shape} ({math.prod(model.grid_shape)} voxels of {model.spacing:.4g} Å) "
            f"needs {n_bytes / 2**20:.0f} MiB per molecule, over {_memory_limit_text()}. Pass a smaller grid_shape "
            "or a larger spacing, use boundary='free', or raise skscatter.set_config(working_memory=...)."
        )
    return n_bytes


def _check_in_box(i, coords, model):
    hi = np.array(model.grid_shape) - 1 - model.margin
    if np.any(coords < model.margin) or np.any(coords > hi):
        need = [int(math.ceil(s)) + 2 * model.margin + 2 for s in np.ptp(coords, axis=0)]
        raise ValueError(
            f"X[{i}] spans {_span(coords)} voxels at spacing {model.spacing:.4g} Å; with J={model.J} and "
            f"sigma={model.sigma} each atom must stay {model.margin} voxels from the border of the grid "
            f"{model.grid_shape}, which needs at least {need}. Increase grid_shape (or spacing), or fit with "
            "grid_shape=None on data that include the largest molecules."
        )


def _check_molecules(structures, model):
    """Everything that can be wrong with a molecule for this model, before any work.

    Returns the bytes of the largest molecule's temporaries (for the plan).
    """
    largest = 0
    box_bytes = _check_box_size(model) if _uses_box(model) else 0
    for i, s in enumerate(structures):
        _check_species(i, s, model.channels)
        _nearest_distance(i, s)
        n_bytes = _check_closed_form_size(i, s, model)
        if _uses_box(model):
            _check_in_box(i, _voxel_coordinates(s, model), model)
            n_bytes = max(n_bytes, box_bytes)
        elif _uses_free_grids(model):
            n_bytes = max(n_bytes, _check_free_space_size(i, _voxel_coordinates(s, model), model))
        largest = max(largest, n_bytes)
    return largest


def _transform_one(i, structure, model, backend, n_threads):
    """The output row of molecule ``X[i]``."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused below, with its fix
        rows = _invariants(structure, model, backend, n_threads)
    if not np.all(np.isfinite(rows)):
        raise ValueError(
            f"The invariants of X[{i}] overflow float64 with integral powers up to q={max(model.powers):g} and "
            f"sigma={model.sigma:g} voxels; use smaller integral_powers, or a sigma nearer 1."
        )
    return rows.ravel()


def _invariants(structure, model, backend, n_threads):
    """``(n_channels, n_columns)`` invariants of one molecule."""
    coords = _voxel_coordinates(structure, model)
    weights = _channel_weights(structure.numbers, model.channels)
    closed = list(model.closed)
    if model.method == "analytic":
        rows = np.stack(
            [analytic_values(model.layout, closed, coords, weights[:, k], model.sigma, model.sigma) for k in range(weights.shape[1])]
        )
    elif model.boundary == "free":
        rows = free_space_scattering(
            coords, weights, model.J, model.L, model.sigma, model.sigma, model.powers, model.max_order, model.tol,
            n_threads, backend,
        )
    else:
        rows = np.stack(
            [
                scatter_grid(
                    molecule_density(coords, weights[:, k], model.grid_shape, model.sigma),
                    model.J, model.L, model.sigma, np.asarray(model.powers), model.max_order, model.tol,
                    model.sigma, np.float64, n_threads,
                )
                for k in range(weights.shape[1])
            ]
        )
    if model.method == "auto":
        for k in range(weights.shape[1]):
            rows[k, closed] = analytic_values(model.layout, closed, coords, weights[:, k], model.sigma, model.sigma)
    return rows


class SolidHarmonicScattering(StructureInputMixin, TransformerMixin, BaseEstimator):
    """Solid harmonic wavelet scattering invariants of molecules.

    Each molecule becomes, per density channel, a sum of Gaussians of width
    ``sigma`` on a 3D grid (see ``skscatter/harmonic/_density.py``), and
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
        Largest degree of the solid harmonics (at most 16).
    sigma : float, default=2.0
        Width of the atomic Gaussians and of the finest wavelet, in voxels.
    integral_powers : tuple of float, default=(0.5, 1.0, 2.0, 3.0)
        Distinct exponents ``q > 0`` of the integrals ``sum_u U(u)^q``.
    max_order : {1, 2}, default=2
    channels : tuple of str, default=("nuclear", "valence", "core")
        Density channels, from ``"nuclear"``, ``"valence"``, ``"core"`` and
        ``"bonding"`` (usual number of covalent bonds, the authors' fourth
        channel; main-group elements only).
    spacing : float or None, default=None
        Grid spacing in Ångström.  None: chosen in ``fit`` so that two
        Gaussians at the smallest interatomic distance of the training
        molecules overlap by 10 % (kymatio's rule, 0.113 Å on QM7).
    grid_shape : tuple of 3 int or None, default=None
        Box ``(M, N, O)`` of ``boundary="periodic"`` (unused, with a
        warning, with ``"free"``).  None: the smallest FFT-friendly even
        grid that holds every training molecule, 20 % larger, with the
        margin the largest wavelet needs.  Molecules that do not fit at
        ``transform`` raise an error; pass a grid for a whole dataset (or
        fit on all of its molecules, which uses no targets) to avoid that
        under cross-validation.
    align : bool, default=True
        Put each molecule in its principal-axes frame (largest spread along
        the first grid axis) before sampling, as kymatio's QM7 data are;
        symmetric molecules, whose principal axes are not unique, get their
        frame from their atoms (see
        ``principal_axes_frame`` in ``skscatter/harmonic/_density.py``).  A rotated
        copy is then sampled alike: rotating changes the invariants by
        round-off only (measured with ``asv_benchmarks/harmonic_rotation.py``:
        at most 1.3e-8 relative over 100 random and the 16 most symmetric
        QM7 molecules, 8e-9 for ideal methane, benzene, SF6, CO2 and water).
        Without it molecules are only centred, and a rotated molecule is
        sampled differently: up to 1.4e-3 relative (per invariant, against
        at least 1 % of the largest invariant with its q) over 40 random QM7
        molecules and 1.9e-3 over the 16 most symmetric ones, at the default
        ``bandwidth_tol`` (same script, ``--no-align``).
    boundary : {"free", "periodic"}, default="free"
        ``"free"``: the invariants are integrals over all of space.  Each
        molecule, scale and order gets its own grid, just large and fine
        enough for ``bandwidth_tol`` (see
        ``skscatter/harmonic/_free_space.py``): order-1 fields are
        evaluated in closed form (no FFT), order 2 through a zoomed DFT.
        No shared box, so no molecule is too large for it, and several
        times faster than a box.  ``"periodic"``: circular convolutions on
        one box of ``grid_shape`` voxels, kymatio's discretisation; its
        coarse-scale fields wrap around the box, which changes the
        ``q = 0.5`` integrals of the largest scale by up to ~1e-2 on QM7
        against free space.
    method : {"auto", "grid", "analytic"}, default="auto"
        How invariants are evaluated.  ``"grid"``: all on the grid.
        ``"auto"``: on the grid, except those with a closed form for
        Gaussian densities (order 0 with q in {1, 2, 3}, order 1 with
        q = 2; see ``skscatter/harmonic/_analytic.py``), which are
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
        :func:`~skscatter.solid_harmonic_scattering_3d`.
    backend : {"auto", "numba", "numpy", "cupy"}, default="auto"
        Who computes, resolved at each ``transform`` (a model fitted on one
        machine transforms on another).  With ``boundary="free"``: numba
        kernels (``"auto"``), NumPy array expressions, or CuPy on a CUDA GPU
        (fields, FFTs and integrals on the device; install
        ``skscatter[gpu]``); all compute the same values.
        ``boundary="periodic"`` runs on the numba kernels only (``"auto"``
        or ``"numba"``), ``method="analytic"`` on the CPU (``"auto"``,
        ``"numba"`` or ``"numpy"``); other values raise an error at
        ``transform``.
    n_jobs : int, default=None
        CPU threads one ``transform`` may use.  Molecules are transformed in
        batches, up to ``n_jobs`` at once through :class:`joblib.Parallel`
        (threads by default).  With ``boundary="periodic"`` a single batch
        uses ``n_jobs`` FFT and numba threads instead; free-space grids are
        too small for threads to pay inside one molecule, so each runs
        single-threaded.  ``None`` means 1, ``-1`` all cores.  Results do
        not depend on ``n_jobs``.
    verbose : int, default=0
        Progress of ``transform`` on stderr: 1 shows a bar with the rate
        and the ETA once the call has run a few seconds (tqdm's with
        ``skscatter[progress]``, else a line every few seconds), 2 and
        above from the start with one line per batch.  May change after
        ``fit``; results do not depend on it.

    Attributes
    ----------
    spacing_ : float
        Voxel size (Ångström): the unit of ``sigma`` and of the integrals.
    grid_shape_ : tuple of int or None
        The periodic box (None with ``boundary="free"``).
    margin_ : int or None
        Voxels every atom must keep from the periodic box's border.
    bandwidth_tol_ : float or None
        The tolerance in use (``"auto"`` resolved).
    channels_ : tuple of str
        The density channels, in output order.
    n_features_out_ : int

    See Also
    --------
    solid_harmonic_scattering_3d : The transform on grids.
    skscatter.SOAPDescriptor : Local, neighbour-density descriptors of atoms.

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
        "L": [Interval(Integral, 0, MAX_L, closed="both")],
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
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "verbose": VERBOSE,
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

    # -- fit: every model parameter resolved into the frozen _Model --------

    def _resolve_scales(self):
        J, L, sigma, powers, max_order = check_scattering_params(self.J, self.L, self.sigma, self.integral_powers, self.max_order)
        if len(np.unique(powers)) != powers.size:
            raise ValueError(
                f"integral_powers={self.integral_powers!r} repeats a power; each gives the same columns: drop the repeats."
            )
        # The wavelets' normalisations (sigma 2**j)**(2l + 3) and sigma**-3
        # must stay inside float64, or the invariants silently become 0 or inf.
        exponent = (2 * L + 3) * max(abs(math.log10(sigma) + J * math.log10(2.0)), abs(math.log10(sigma)))
        if exponent > 300:
            raise ValueError(
                f"J={J}, L={L} and sigma={sigma:g} voxels put the wavelets' normalisation (sigma * 2**J)**(2L + 3) "
                "outside float64's range; reduce J, or choose sigma nearer 1 voxel (spacing sets the physical size)."
            )
        return J, L, sigma, tuple(float(q) for q in powers), max_order

    def _resolve_channels(self):
        channels = tuple(self.channels)
        if not channels or len(set(channels)) != len(channels) or not set(channels) <= set(CHANNELS):
            raise ValueError(
                f"channels={self.channels!r} must be distinct names from {CHANNELS}; pass e.g. channels={DEFAULT_CHANNELS}."
            )
        return channels

    def _resolve_tol(self):
        if self.bandwidth_tol == "auto":
            return 1e-4 if self.boundary == "free" else 1e-9
        if self.bandwidth_tol is None and self.boundary == "free" and self.method != "analytic":
            raise ValueError(
                "bandwidth_tol=None (exact full-box evaluation) needs boundary='periodic'; with boundary='free' "
                "pass a tolerance such as 1e-6."
            )
        return None if self.bandwidth_tol is None else float(self.bandwidth_tol)

    def _resolve_spacing(self, d_min, sigma):
        if self.spacing is not None:
            return float(self.spacing)
        if d_min is None:
            raise ValueError(
                "spacing=None learns the grid spacing from the smallest interatomic distance, but every "
                "molecule in X has a single atom; pass spacing (Ångström per voxel)."
            )
        return d_min / (sigma * math.sqrt(-8 * math.log(_OVERLAP)))

    def _resolve_box(self, structures, J, sigma, spacing, align):
        """``(grid_shape, margin)`` of the periodic box, from ``grid_shape`` or from the molecules."""
        # The splatted Gaussians must fit, and the largest wavelet must not
        # wrap around the periodic FFT box onto the molecule.
        margin = max(splat_radius(sigma) + 2, int(math.ceil(3 * sigma * 2**J)))
        if self.grid_shape is not None:
            shape = self.grid_shape
            if len(shape) != 3 or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 2 for s in shape):
                raise ValueError(f"grid_shape={shape!r} must be three ints >= 2, or None.")
            return tuple(int(s) for s in shape), margin
        reach = np.max([np.abs(_frame(s.positions, s.numbers, align)).max(axis=0) / spacing for s in structures], axis=0)
        # Centred at n // 2: room for the farthest atom on either side,
        # plus 20 % so that cross-validation folds with slightly larger
        # molecules than the training fold still fit.
        return tuple(_fast_even(2 * (int(math.ceil(1.2 * r)) + margin + 2)) for r in reach), margin

    def _resolve_columns(self, layout):
        closed = analytic_columns(layout) if self.method != "grid" else []
        if self.method != "analytic":
            return tuple(range(len(layout))), tuple(closed)
        if not closed:
            raise ValueError(
                f"method='analytic' has no closed-form invariant for integral_powers={self.integral_powers!r}; "
                "include q = 1, 2 or 3, or use method='auto'."
            )
        return tuple(closed), tuple(closed)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve every parameter and choose the grid (spacing, and the box if periodic) from ``X``.

        Parameters
        ----------
        X : sequence of structures
            Molecules (see :mod:`skscatter.structures`); periodic structures
            are rejected.  An iterable without ``len`` (a generator) is read
            into a list first.
        y : None
            Ignored.

        Returns
        -------
        self : SolidHarmonicScattering
            The fitted estimator.
        """
        J, L, sigma, powers, max_order = self._resolve_scales()
        channels = self._resolve_channels()
        tol = self._resolve_tol()
        if self.boundary == "free" and self.grid_shape is not None:
            warnings.warn(
                f"grid_shape={self.grid_shape!r} sets the box of boundary='periodic'; with boundary='free' every "
                "molecule gets its own grids and grid_shape is unused. Pass grid_shape=None, or boundary='periodic'.",
                UserWarning,
                stacklevel=3,  # the caller of fit, past scikit-learn's _fit_context wrapper
            )
        structures = check_structures(X, allow_periodic=False)
        distances = [_nearest_distance(i, s) for i, s in enumerate(structures)]
        distances = [d for d in distances if d is not None]
        spacing = self._resolve_spacing(min(distances) if distances else None, sigma)
        layout = tuple(scattering_3d_layout(J, L, powers, max_order))
        columns, closed = self._resolve_columns(layout)
        grid_shape = margin = None
        if self.boundary == "periodic" and self.method != "analytic":
            grid_shape, margin = self._resolve_box(structures, J, sigma, spacing, bool(self.align))
        model = _Model(
            J=J,
            L=L,
            sigma=sigma,
            powers=powers,
            max_order=max_order,
            channels=channels,
            spacing=spacing,
            align=bool(self.align),
            boundary=self.boundary,
            method=self.method,
            tol=tol,
            grid_shape=grid_shape,
            margin=margin,
            layout=layout,
            columns=columns,
            closed=closed,
            n_features_out=len(channels) * len(columns),
        )
        _check_molecules(structures, model)
        self._model = model
        self.spacing_ = spacing
        self.grid_shape_ = grid_shape
        self.margin_ = margin
        self.bandwidth_tol_ = tol
        self.channels_ = channels
        self.n_features_out_ = model.n_features_out
        return self

    # -- transform: the fitted model and the execution parameters only -----

    def transform(self, X):
        """Scattering invariants, one row per molecule.

        Parameters
        ----------
        X : sequence of structures
            Molecules (see :mod:`skscatter.structures`), each inside the
            fitted box when ``boundary="periodic"``.  An iterable without
            ``len`` (a generator, ``ase.io.iread(...)``) is read into a list
            first: every molecule is checked (species, size, memory) before
            any work, so the molecules are held at once (their features
            dominate memory anyway).

        Returns
        -------
        S : ndarray of shape (n_molecules, n_features_out), float64
            The invariants of every channel, in the order of
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        owner = type(self).__name__
        structures = check_structures(X, allow_periodic=False)
        backend = resolve_backend(self.backend, X, owner=owner, supported=_supported_backends(model))
        plan = plan_execution(
            len(structures),
            backend=backend,
            n_jobs=self.n_jobs,
            bytes_per_sample=_check_molecules(structures, model),
            max_batch=_MAX_BATCH,
            # Free-space grids are small: threads inside one molecule cost
            # more than they save, so the plan's threads only run molecules
            # side by side.
            parallelism="batches" if _uses_free_grids(model) else "auto",
        )

        def scatter(start, stop):
            rows = np.empty((stop - start, model.n_features_out))
            for i in range(start, stop):
                rows[i - start] = _transform_one(i, structures[i], model, backend, plan.threads)
            return rows

        out = np.empty((len(structures), model.n_features_out))
        numba_parallel = backend == "numba" and model.method != "analytic"
        for start, stop, rows in plan.run(scatter, numba_parallel=numba_parallel, verbose=self.verbose, label=owner, unit="molecules"):
            out[start:stop] = rows
        return out

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output columns.

        Names are ``"{channel}_o{order}_j{j}[_{j2}]_l{l}_q{q}"`` (order 0:
        ``"{channel}_o0_q{q}"``).

        Parameters
        ----------
        input_features : None
            Ignored (molecules have no input features).

        Returns
        -------
        names : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        model = self._model
        names = []
        for channel in model.channels:
            for order, j1, j2, l, q in (model.layout[i] for i in model.columns):
                qs = f"{q:g}"
                if order == 0:
                    names.append(f"{channel}_o0_q{qs}")
                elif order == 1:
                    names.append(f"{channel}_o1_j{j1}_l{l}_q{qs}")
                else:
                    names.append(f"{channel}_o2_j{j1}_{j2}_l{l}_q{qs}")
        return np.asarray(names, dtype=object)


def _fast_even(n):
    m = scipy.fft.next_fast_len(n, real=True)
    while m % 2:
        m = scipy.fft.next_fast_len(m + 1, real=True)
    return m
