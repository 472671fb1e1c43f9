"""3D solid harmonic scattering of density grids (the array-level transform).

For an input ``x`` on an ``(M, N, O)`` grid, with wavelets ``psi_{j,l,m}``
of width ``sigma_0 * 2**j`` (:mod:`._filter_bank`), the invariants are

* order 0: ``S0[q] = sum_u x(u)^q``;
* order 1: ``U1[j,l] = sqrt(sum_m |x * psi_{j,l,m}|^2)``,
  ``S1[j,l,q] = sum_u U1[j,l](u)^q``;
* order 2 (``j2 > j1``, same ``l``): ``U2 = sqrt(sum_m |U1[j1,l] * psi_{j2,l,m}|^2)``,
  ``S2[j1,j2,l,q] = sum_u U2(u)^q``;

with circular convolutions on the grid, as kymatio's
``HarmonicScattering3D(method="integral")`` computes them.  Output columns
follow kymatio's layout: order 0 (one value per ``q``), then the paths
``j = 0..J`` followed by ``(j1, j2)`` pairs in lexicographic order, each
holding ``l = 0..L`` by ``q``.

Two evaluation strategies compute the same function:

``bandwidth_tol=None`` (exact)
    Full-grid complex FFTs in float64, exactly kymatio's discretisation.
``bandwidth_tol=eps`` (fast)
    A wavelet of width ``sigma`` is negligible beyond frequencies of order
    ``1 / sigma``, so ``x * psi_{j,l,m}`` is band-limited: each scale is
    computed on the smallest FFT grid whose Nyquist box holds every
    frequency where the filter is above ``eps`` times its peak, from a
    cropped spectrum, with real FFTs.  Sampling a band-limited field on a
    coarser grid loses nothing, and ``sum_u U^2`` is exact on it (its
    spectrum is twice as wide, which is exactly what the coarser Nyquist box
    still avoids aliasing on); other powers ``q`` are Riemann sums of a
    smooth but not band-limited function and change by aliasing only, which
    the tests bound against the exact path.
"""

import math
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
import scipy.fft

from .._kernels.harmonic import crop_multiply, modulus_power_sums, power_sums
from ..utils._parallel import plan_execution
from ..utils._params import N_JOBS
from ..utils._sklearn_compat import validate_parameter_constraints
from ._filter_bank import solid_harmonic_filters

__all__ = ["solid_harmonic_scattering_3d", "scattering_3d_layout"]


# ---------------------------------------------------------------------------
# Parameters and layout


# Highest degree of the solid harmonics: their monomial expansion
# (``_filter_bank._harmonic_coefficients``) is verified to round-off up to it.
MAX_L = 16


def _check_int(name, value, low):
    if not isinstance(value, Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}={value!r} must be an int >= {low}.")
    return int(value)


def check_scattering_params(J, L, sigma_0, integral_powers, max_order):
    """Validate the transform parameters; return them normalised."""
    J = _check_int("J", J, 0)
    L = _check_int("L", L, 0)
    if L > MAX_L:
        raise ValueError(
            f"L={L} is beyond the largest supported degree L={MAX_L} (the solid harmonics are built from "
            f"monomials, which lose accuracy at higher degrees); use L <= {MAX_L}."
        )
    if not isinstance(sigma_0, Real) or isinstance(sigma_0, bool) or not (math.isfinite(sigma_0) and sigma_0 > 0):
        raise ValueError(f"sigma_0={sigma_0!r} must be a positive finite number (grid units).")
    if max_order not in (1, 2) or isinstance(max_order, bool):
        raise ValueError(f"max_order={max_order!r} must be 1 or 2.")
    try:
        powers = np.asarray(integral_powers, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"integral_powers={integral_powers!r} must be a sequence of positive numbers.") from None
    if powers.size == 0 or not np.all(np.isfinite(powers)) or np.any(powers <= 0):
        raise ValueError(f"integral_powers={integral_powers!r} must be a non-empty sequence of positive finite numbers.")
    return J, L, float(sigma_0), powers, int(max_order)


def largest_scale(sigma_0, size):
    """Largest ``J`` with ``sigma_0 * 2**J <= size`` (-1 if even ``sigma_0`` exceeds it); exact, no overflow."""
    J, width = -1, float(sigma_0)
    while width <= size:
        J, width = J + 1, 2.0 * width
    return J


def check_grid_scales(shape, J, sigma_0):
    """Refuse wavelets wider than the grid: ``sigma_0 * 2**J`` must be at most ``min(shape) / 2``.

    A wider wavelet wraps around the periodic grid onto itself: its
    coefficients no longer describe the input at that scale, and for
    ``l >= 1`` they all but vanish (the filter keeps almost nothing but the
    zero frequency, which it removes).
    """
    half = min(shape) / 2
    J_max = largest_scale(sigma_0, half)
    if J <= J_max:
        return
    if J_max < 0:
        raise ValueError(
            f"sigma_0={sigma_0:g} is too wide for grids of shape {tuple(shape)}: wavelet widths sigma_0 * 2**j must "
            f"be at most min(M, N, O) / 2 = {half:g} voxels. Reduce sigma_0 or pass larger grids."
        )
    width = f"{sigma_0 * 2.0**J:g}" if J < 1000 else "over 1e300"
    raise ValueError(
        f"J={J} is too large for grids of shape {tuple(shape)}: the widest wavelet, sigma_0 * 2**J = {width} voxels, "
        f"must be at most min(M, N, O) / 2 = {half:g}. Use J <= {J_max} (the largest this grid allows with "
        f"sigma_0={sigma_0:g}), or pass larger grids."
    )


def _paths(J, max_order):
    paths = [(j,) for j in range(J + 1)]
    if max_order == 2:
        paths += [(j1, j2) for j1 in range(J + 1) for j2 in range(j1 + 1, J + 1)]
    return paths


def scattering_3d_layout(J, L, integral_powers, max_order=2):
    """Describe the output columns of :func:`~skscatter.solid_harmonic_scattering_3d`.

    Parameters
    ----------
    J : int
        Largest scale, as given to the transform.
    L : int
        Largest degree of the solid harmonics.
    integral_powers : sequence of float
        Exponents ``q`` of the integrals.
    max_order : {1, 2}, default=2
        Largest scattering order.

    Returns
    -------
    layout : list of tuple
        One ``(order, j1, j2, l, q)`` per column; ``j1``, ``j2`` and ``l``
        are -1 where they do not apply (order 0; ``j2`` at order 1).

    Examples
    --------
    >>> scattering_3d_layout(1, 0, [2.0])
    [(0, -1, -1, -1, 2.0), (1, 0, -1, 0, 2.0), (1, 1, -1, 0, 2.0), (2, 0, 1, 0, 2.0)]
    """
    J, L, _, powers, max_order = check_scattering_params(J, L, 1.0, integral_powers, max_order)
    layout = [(0, -1, -1, -1, float(q)) for q in powers]
    for path in _paths(J, max_order):
        j1, j2 = path[0], (path[1] if len(path) == 2 else -1)
        for l in range(L + 1):
            layout += [(len(path), j1, j2, l, float(q)) for q in powers]
    return layout


# ---------------------------------------------------------------------------
# Coarse grids for the fast path


def _cutoff_frequency(sigma, L, tol, input_sigma):
    """Radial frequency beyond which every degree-l filter (l <= L), times the
    input's Gaussian envelope, stays below ``tol`` of its peak."""
    w = np.linspace(1e-6, math.pi * math.sqrt(3.0), 4097)
    cut = 0.0
    s2 = sigma**2 + input_sigma**2
    for l in range(L + 1):
        # log of (sigma w)^l exp(-s2 w^2 / 2), relative to its maximum
        log_env = l * np.log(sigma * w) - 0.5 * s2 * w**2
        log_env -= log_env.max()
        above = np.nonzero(log_env > math.log(tol))[0]
        cut = max(cut, w[min(above[-1] + 1, w.size - 1)])
    return cut


def _coarse_shape(shape, cut):
    """Smallest even FFT-friendly grid whose Nyquist frequency exceeds ``cut`` on every axis."""
    out = []
    for n in shape:
        needed = int(math.floor(n * cut / math.pi)) + 2
        m = scipy.fft.next_fast_len(needed + (needed % 2), real=True)
        while m % 2:
            m = scipy.fft.next_fast_len(m + 1, real=True)
        out.append(n if m >= n else m)
    return tuple(out)


@lru_cache(maxsize=32)
def _plan(shape, J, L, sigma_0, tol, input_sigma):
    """Grid shape per scale j: order-1 inputs have the input envelope, order 2 not."""
    grids1, grids2 = [], []
    for j in range(J + 1):
        sigma = sigma_0 * 2**j
        grids1.append(_coarse_shape(shape, _cutoff_frequency(sigma, L, tol, input_sigma)))
        grids2.append(_coarse_shape(shape, _cutoff_frequency(sigma, L, tol, 0.0)))
    return tuple(grids1), tuple(grids2)


# ---------------------------------------------------------------------------
# The two evaluation strategies, one grid at a time


def _exact_one(x, J, L, sigma_0, powers, max_order, workers):
    shape = x.shape
    x_hat = scipy.fft.fftn(x, workers=workers)

    def integrals(U):
        return np.array([np.sum(U**q) for q in powers])

    def modulus(spectrum, filters):
        acc = np.zeros(shape)
        for f in filters:
            acc += np.abs(scipy.fft.ifftn(spectrum * f, workers=workers)) ** 2
        return np.sqrt(acc)

    per_l = []
    for l in range(L + 1):
        first, second = [], []
        for j1 in range(J + 1):
            U1 = modulus(x_hat, solid_harmonic_filters(shape, sigma_0 * 2**j1, l))
            first.append(integrals(U1))
            if max_order == 2 and j1 < J:
                U1_hat = scipy.fft.fftn(U1, workers=workers)
                for j2 in range(j1 + 1, J + 1):
                    U2 = modulus(U1_hat, solid_harmonic_filters(shape, sigma_0 * 2**j2, l))
                    second.append(integrals(U2))
        per_l.append(first + second)
    # kymatio's layout: paths outer, degrees inner.
    return np.concatenate([per_l[l][p] for p in range(len(per_l[0])) for l in range(L + 1)])


def _fast_one(x, J, L, sigma_0, powers, max_order, tol, input_sigma, dtype, workers):
    shape = x.shape
    n_full = math.prod(shape)
    grids1, grids2 = _plan(shape, J, L, sigma_0, tol, input_sigma)
    complex_dtype = np.result_type(dtype, np.complex64)
    x_hat = scipy.fft.rfftn(x.astype(dtype, copy=False), workers=workers)
    n_paths = len(_paths(J, max_order))
    out = np.empty((n_paths, L + 1, powers.size))

    def one_scale(spectrum, in_shape, grid, sigma, l, store):
        filters = solid_harmonic_filters(grid, sigma, l, half=True, dtype=dtype, period=shape)
        # (-i)^l makes the product Hermitian, so the field is real.
        phase = (1.0, -1j, -1.0, 1j)[l % 4]
        # irfftn divides by the coarse size; rescale so the coarse samples
        # are the values of the fine-grid field.
        scale = math.prod(grid) / math.prod(in_shape)
        products = crop_multiply(spectrum, filters, phase, scale, np.empty(filters.shape, dtype=complex_dtype))
        fields = scipy.fft.irfftn(products, s=grid, axes=(1, 2, 3), workers=workers)
        sums, U = modulus_power_sums(fields, powers, store=store)
        # Riemann sum on the coarse grid, in fine-grid voxels.
        return sums * (n_full / math.prod(grid)), U

    for l in range(L + 1):
        p2 = J + 1
        for j1 in range(J + 1):
            store = max_order == 2 and j1 < J
            out[j1, l], U1 = one_scale(x_hat, shape, grids1[j1], sigma_0 * 2**j1, l, store)
            if store:
                U1_hat = scipy.fft.rfftn(U1, workers=workers)
                for j2 in range(j1 + 1, J + 1):
                    # U1's grid holds at least grids2[j2]: coarser scales
                    # never need more frequencies than finer ones.
                    grid2 = tuple(min(a, b) for a, b in zip(grids2[j2], grids1[j1]))
                    out[p2, l], _ = one_scale(U1_hat, grids1[j1], grid2, sigma_0 * 2**j2, l, False)
                    p2 += 1
    return out.ravel()


def _order0(x, powers):
    # Integer powers keep the sign of x (kymatio's convention); beyond 2**31
    # x^q is 0 or overflows whatever its sign, so |x|^q serves.
    signed = np.array([float(q).is_integer() and q < 2**31 for q in powers])
    return power_sums(x, powers, signed)


def scatter_grid(x, J, L, sigma_0, powers, max_order, tol, input_sigma=0.0, dtype=np.float64, n_threads=1):
    """Invariants of one validated grid ``x`` (M, N, O), float64: orders 0 to 2 in the layout's order.

    The core of :func:`~skscatter.solid_harmonic_scattering_3d`, without validation or
    planning: the caller checks the parameters (:func:`check_scattering_params`,
    :func:`check_grid_scales`) and sets the thread limits; ``n_threads`` is
    the number of FFT workers.  ``tol`` None is the exact path.
    """
    if tol is None:
        deep = _exact_one(x, J, L, sigma_0, powers, max_order, n_threads)
    else:
        deep = _fast_one(x, J, L, sigma_0, powers, max_order, float(tol), float(input_sigma), dtype, n_threads)
    return np.concatenate([_order0(x, powers), deep])


def solid_harmonic_scattering_3d(
    x,
    J,
    L=3,
    sigma_0=1.0,
    integral_powers=(0.5, 1.0, 2.0),
    max_order=2,
    *,
    bandwidth_tol=None,
    dtype=np.float64,
    n_jobs=None,
    _input_sigma=0.0,
):
    """Solid harmonic scattering invariants of 3D grids (orders 0 to 2).

    Equal to kymatio's ``HarmonicScattering3D(J, shape, L, sigma_0,
    max_order, method="integral", integral_powers)`` with its order-0
    integrals prepended (the layout of kymatio's own golden test).

    Parameters
    ----------
    x : array-like of shape (..., M, N, O)
        Real grids; leading dimensions are batch dimensions.
    J : int
        Largest scale: wavelet widths ``sigma_0 * 2**j``, ``j = 0..J``; the
        widest must fit the grid, ``sigma_0 * 2**J <= min(M, N, O) / 2``.
    L : int, default=3
        Largest degree of the solid harmonics (at most 16).
    sigma_0 : float, default=1.0
        Width of the finest wavelet, in grid units.
    integral_powers : sequence of float, default=(0.5, 1.0, 2.0)
        Exponents ``q`` of the integrals ``sum_u U(u)^q``.  At order 0 an
        integer ``q`` takes ``x^q`` with its sign (as kymatio), a fractional
        one takes ``|x|^q`` (kymatio would return NaN for negative voxels).
    max_order : {1, 2}, default=2
        Largest scattering order.
    bandwidth_tol : float or None, default=None
        None: exact full-grid evaluation in float64.  A float in (0, 0.1]:
        compute each scale on a grid just fine enough for the frequencies
        where the filter exceeds this fraction of its peak (see the module
        notes); much faster for ``sigma_0 >= 2``.  Order-1 ``q = 2``
        integrals stay exact (to ``bandwidth_tol``); other powers and order
        2 deviate by aliasing, measured on QM7 densities (grid 192 x 128 x
        96, J=2, L=3) at up to about 1e-3 relative for 1e-6 and 8e-4 for
        1e-9 (``asv_benchmarks/compare_kymatio_3d.py``).
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        Working precision of the fast path (sums are always float64).
    n_jobs : int or None, default=None
        CPU threads the call may use (None: 1, -1: all cores): a single grid
        uses them for its FFTs and kernels, several grids run side by side,
        one thread each (the execution plan of ``skscatter/utils/_parallel.py``).
    _input_sigma : float, default=0.0
        For :class:`~skscatter.SolidHarmonicScattering` only: the width (grid
        units) of the Gaussians the grids are made of, which lets the fast
        path use coarser grids.  Leave it at 0 for other grids.

    Returns
    -------
    S : ndarray of shape (..., n_features), float64
        ``n_features = Q * (1 + (L + 1) * n_paths)`` with ``Q`` powers and
        ``n_paths = J + 1`` (+ ``J (J + 1) / 2`` at order 2); columns as
        :func:`~skscatter.harmonic.scattering_3d_layout` describes.

    Raises
    ------
    ValueError
        For a bad parameter or grid (non-real, non-finite, too small), a
        widest wavelet that does not fit the grid (the message gives the
        largest ``J`` it allows), or invariants beyond float64's range;
        each message says what to change.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 16, 16, 16))
    >>> S = solid_harmonic_scattering_3d(x, J=1, L=1, integral_powers=[1.0, 2.0])
    >>> S.shape
    (2, 14)
    >>> bool(np.isclose(S[0, 0], x[0].sum()))
    True
    """
    J, L, sigma_0, powers, max_order = check_scattering_params(J, L, sigma_0, integral_powers, max_order)
    if bandwidth_tol is not None and (
        not isinstance(bandwidth_tol, Real) or isinstance(bandwidth_tol, bool) or not 0 < bandwidth_tol <= 0.1
    ):
        raise ValueError(f"bandwidth_tol={bandwidth_tol!r} must be None (exact) or a float in (0, 0.1].")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype={dtype} must be float32 or float64.")
    if not isinstance(_input_sigma, Real) or not (math.isfinite(_input_sigma) and _input_sigma >= 0):
        raise ValueError(f"_input_sigma={_input_sigma!r} must be a finite number >= 0.")
    validate_parameter_constraints({"n_jobs": N_JOBS}, {"n_jobs": n_jobs}, caller_name="solid_harmonic_scattering_3d")
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(
            f"x has dtype {x.dtype}; solid harmonic scattering needs real grids (for complex data pass x.real, "
            "x.imag or np.abs(x) as separate grids)."
        )
    if x.ndim < 3:
        raise ValueError(f"x has shape {x.shape}; it must end with three grid axes (..., M, N, O).")
    if min(x.shape[-3:]) < 2:
        raise ValueError(f"x has grid shape {x.shape[-3:]}; every grid axis needs at least 2 points.")
    if x.size == 0:
        raise ValueError(f"x has shape {x.shape}: no grids to transform.")
    shape = x.shape[-3:]
    check_grid_scales(shape, J, sigma_0)
    batch_shape, grids = x.shape[:-3], x.reshape((-1,) + shape)
    tol = None if bandwidth_tol is None else float(bandwidth_tol)
    plan = plan_execution(
        len(grids),
        backend="numba",
        n_jobs=n_jobs,
        bytes_per_sample=_grid_bytes(shape, L),
        # Grids run one after the other within a batch: small batches only
        # balance the load between concurrent ones.
        max_batch=8,
    )

    n_features = powers.size * (1 + (L + 1) * len(_paths(J, max_order)))

    def scatter(start, stop):
        rows = np.empty((stop - start, n_features))
        for i in range(start, stop):
            # One grid at a time in float64: never a copy of the whole input.
            g = np.ascontiguousarray(grids[i], dtype=np.float64)
            where = f"x[{', '.join(map(str, np.unravel_index(i, batch_shape)))}]" if batch_shape else "x"
            if not np.all(np.isfinite(g)):
                raise ValueError(f"{where} contains NaN or infinity; remove or impute those values.")
            with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused below, with its fix
                rows[i - start] = scatter_grid(g, J, L, sigma_0, powers, max_order, tol, _input_sigma, dtype, plan.threads)
            if not np.all(np.isfinite(rows[i - start])):
                raise ValueError(
                    f"The invariants of {where} overflow float64 (largest |x| = {np.abs(g).max():.3g}, integral powers "
                    f"up to {powers.max():g}). Rescale x: the invariants are homogeneous, S(c x) = c**q S(x)"
                    + ("; or compute with dtype=float64." if dtype == np.float32 else ".")
                )
        return rows

    out = np.empty((len(grids), n_features))
    for start, stop, rows in plan.run(scatter, numba_parallel=True, unit="grids", label="solid_harmonic_scattering_3d"):
        out[start:stop] = rows
    return out.reshape(batch_shape + (-1,))


def _grid_bytes(shape, L):
    """Temporaries of one grid: about six complex grids (spectrum, product, inverse FFT, modulus, U1 and its
    spectrum) and the filters of one degree being built (then cached, see ``_filter_bank``)."""
    return (6 * 16 + (2 * L + 1) * 8) * math.prod(shape)
