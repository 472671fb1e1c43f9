"""Dispatcher for the solid harmonic scattering kernels: the one door to them, and their bounds check.

The numba kernels of :mod:`._harmonic_numba` trust their arguments (an
index out of range writes outside an array, a wrong dtype compiles another
specialisation or reads garbage).  Every call goes through a function here,
which checks shapes, dtypes, contiguity and index ranges of everything the
kernel receives and raises a ``ValueError`` naming the inconsistency:

* :func:`crop_multiply` -- cropped spectrum times real filters, with phase
  and scale;
* :func:`modulus_power_sums` -- ``U = sqrt(sum_m f_m^2)`` and ``sum_u U^q``,
  by the numba kernel or by array expressions (NumPy or CuPy);
* :func:`power_sums` -- the order-0 integrals ``sum_u x^q``;
* :func:`splat_gaussians` -- sums of truncated Gaussians on a grid.

Callers set the thread limits (numba, BLAS); nothing here reads ``n_jobs``.
"""

import numpy as np

from .._backend import get_array_module, to_host

__all__ = ["crop_multiply", "modulus_power_sums", "power_sums", "splat_gaussians"]

# Integer powers above this would overflow the kernel's int conversion.
_MAX_SIGNED_POWER = 2**31 - 1


def _kernels():
    # Imported on first use: numba compiles (or loads its cache) only then.
    from . import _harmonic_numba

    return _harmonic_numba


def _check_array(name, a, ndim, dtypes, *, writeable=False):
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array, got {type(a).__name__}.")
    if a.ndim != ndim:
        raise ValueError(f"{name} has shape {a.shape}; expected {ndim} dimensions.")
    if a.dtype not in dtypes:
        raise ValueError(f"{name} has dtype {a.dtype}; expected one of {[str(np.dtype(d)) for d in dtypes]}.")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (pass np.ascontiguousarray({name})).")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name} is read-only; pass a writeable output array.")


def _check_powers(powers):
    powers = np.ascontiguousarray(powers, dtype=np.float64)
    if powers.ndim != 1 or powers.size == 0 or not np.all(np.isfinite(powers)) or np.any(powers <= 0):
        raise ValueError(f"powers={powers.tolist()!r} must be a non-empty 1D array of finite numbers > 0.")
    return powers


def _check_scalar(name, value, *, positive=False):
    if not np.isfinite(value) or (positive and not value > 0):
        raise ValueError(f"{name}={value!r} must be finite{' and > 0' if positive else ''}.")
    return float(value)


def crop_multiply(x_hat, filters, phase, scale, out=None):
    """``out[p] = crop(x_hat) * filters[p] * phase * scale``: a spectrum cropped to a coarser grid, filtered.

    Parameters
    ----------
    x_hat : ndarray of shape (M, N, Oh), complex64 or complex128
        Half spectrum (``rfftn`` layout) on the fine grid.
    filters : ndarray of shape (P, M2, N2, Oh2), real, the precision of ``x_hat``
        Real filter values on the coarse grid; ``M2 <= M``, ``N2 <= N`` and
        ``Oh2 <= Oh`` (the coarse grid keeps a subset of the frequencies).
    phase : complex
        Global factor (the ``(-i)^l`` of the solid harmonic wavelets).
    scale : float
        Real factor (the change of grid size of the inverse FFT).
    out : ndarray of shape (P, M2, N2, Oh2), dtype of ``x_hat``, optional
        Allocated if None.

    Returns
    -------
    out : ndarray of shape (P, M2, N2, Oh2)
    """
    _check_array("x_hat", x_hat, 3, (np.complex64, np.complex128))
    _check_array("filters", filters, 4, (x_hat.real.dtype,))
    if any(c > f for c, f in zip(filters.shape[1:], x_hat.shape)) or min(filters.shape) < 1:
        raise ValueError(
            f"filters of shape {filters.shape} do not fit the spectrum {x_hat.shape}: the filter grid "
            "(M2, N2, Oh2) must be non-empty and no larger than the spectrum along any axis."
        )
    phase = complex(phase)
    _check_scalar("phase", abs(phase))
    scale = _check_scalar("scale", scale)
    if out is None:
        out = np.empty(filters.shape, dtype=x_hat.dtype)
    _check_array("out", out, 4, (x_hat.dtype,), writeable=True)
    if out.shape != filters.shape:
        raise ValueError(f"out has shape {out.shape}; expected the filters' shape {filters.shape}.")
    _kernels().crop_multiply(x_hat, filters, phase.real, phase.imag, scale, out)
    return out


def modulus_power_sums(f, powers, *, store=False, backend="numba"):
    """Sums ``sum_u U(u)^q`` of the modulus ``U = sqrt(sum_p f[p]^2)``, and ``U`` itself if ``store``.

    Parameters
    ----------
    f : array of shape (P, M, N, O), float32 or float64
        Real fields (NumPy; CuPy too with ``backend="cupy"``).
    powers : array-like of shape (Q,)
        Exponents ``q``, finite and > 0.
    store : bool, default=False
        Also return ``U`` (in ``f``'s array library and dtype).
    backend : {"numba", "numpy", "cupy"}, default="numba"
        The numba kernel (fused, one pass), or array expressions in ``f``'s
        array library.

    Returns
    -------
    sums : ndarray of shape (Q,), float64, on the host
    U : array of shape (M, N, O) or None
    """
    powers = _check_powers(powers)
    if backend != "numba":
        return _modulus_power_sums_xp(f, powers, store)
    _check_array("f", f, 4, (np.float32, np.float64))
    if f.shape[0] < 1:
        raise ValueError(f"f has shape {f.shape}; it needs at least one field (P >= 1).")
    # The kernel writes U only when storing; otherwise a one-voxel dummy.
    U = np.empty(f.shape[1:] if store else (1, 1, 1), dtype=f.dtype)
    sums = _kernels().modulus_power_sums(f, powers, U, bool(store))
    return sums, (U if store else None)


def _modulus_power_sums_xp(f, powers, store):
    xp = get_array_module(f)
    if f.ndim != 4 or f.shape[0] < 1 or f.dtype.kind != "f":
        raise ValueError(f"f has shape {f.shape} and dtype {f.dtype}; expected real fields (P >= 1, M, N, O).")
    U2 = (f * f).sum(axis=0)
    U = xp.sqrt(U2)
    sums = xp.stack([U2.sum() if q == 2.0 else (U**q).sum() for q in powers.tolist()])
    return to_host(sums).astype(np.float64), (U if store else None)


def power_sums(x, powers, signed):
    """Order-0 integrals ``sum_u x(u)^q`` (with its sign where ``signed``) or ``sum_u |x(u)|^q``.

    Parameters
    ----------
    x : ndarray of shape (M, N, O), float64
    powers : array-like of shape (Q,)
        Exponents, finite and > 0; integers where ``signed``.
    signed : array-like of bool, shape (Q,)

    Returns
    -------
    sums : ndarray of shape (Q,), float64
    """
    _check_array("x", x, 3, (np.float64,))
    powers = _check_powers(powers)
    signed = np.ascontiguousarray(signed, dtype=np.bool_)
    if signed.shape != powers.shape:
        raise ValueError(f"signed has shape {signed.shape}; expected one flag per power {powers.shape}.")
    q = powers[signed]
    if np.any(q != np.round(q)) or np.any(q > _MAX_SIGNED_POWER):
        raise ValueError(f"signed powers {q.tolist()} must be integers below 2**31 (x^q keeps its sign only then).")
    return _kernels().power_sums(x, powers, signed)


def splat_gaussians(centres, weights, sigma, radius, out):
    """``out += sum_k weights[k] g_sigma(u - centres[k])``, each Gaussian truncated to ``radius`` voxels.

    Parameters
    ----------
    centres : ndarray of shape (K, 3), float64
        Centres in voxel units.
    weights : ndarray of shape (K,), float64
    sigma : float
        Width in voxels, > 0.
    radius : int
        Half-width of the truncation box, >= 0: voxels ``floor(c) - radius``
        to ``floor(c) + radius + 1`` along each axis, which must lie inside
        ``out``.
    out : ndarray of shape (M, N, O), float64
        Accumulated in place.

    Returns
    -------
    out : ndarray of shape (M, N, O)
    """
    _check_array("centres", centres, 2, (np.float64,))
    _check_array("weights", weights, 1, (np.float64,))
    _check_array("out", out, 3, (np.float64,), writeable=True)
    if centres.shape[1] != 3 or weights.shape[0] != centres.shape[0]:
        raise ValueError(f"centres have shape {centres.shape} and weights {weights.shape}; expected (K, 3) and (K,).")
    if not (np.all(np.isfinite(centres)) and np.all(np.isfinite(weights))):
        raise ValueError("centres and weights must be finite.")
    sigma = _check_scalar("sigma", sigma, positive=True)
    if isinstance(radius, (bool, np.bool_)) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise ValueError(f"radius={radius!r} must be an int >= 0.")
    if len(centres):
        low = np.floor(centres) - radius
        high = np.floor(centres) + radius + 1
        outside = np.any(low < 0, axis=1) | np.any(high > np.array(out.shape) - 1, axis=1)
        if outside.any():
            k = int(np.argmax(outside))
            raise ValueError(
                f"Gaussians of width sigma={sigma:g} need {radius + 1} voxels around each centre inside the grid "
                f"{out.shape}; centre {k} at {np.round(centres[k], 2).tolist()} is too close to the border. "
                "Enlarge the grid or move the centres."
            )
    _kernels().splat_gaussians(centres, weights, sigma, int(radius), out)
    return out

