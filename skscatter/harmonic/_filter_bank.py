"""Solid harmonic wavelets in Fourier space.

A solid harmonic wavelet of scale ``sigma`` and degree ``l`` is a Gaussian
window times a solid harmonic, ``psi_{l,m}(u) ∝ |u|^l Y_l^m(u/|u|)
exp(-|u|^2 / (2 sigma^2))``.  Its Fourier transform has the same form,
``psi_hat_{l,m}(w) = c_l (-i)^l (sigma |w|)^l Y_l^m(w/|w|)
exp(-sigma^2 |w|^2 / 2)``, so the filters are built directly on the DFT
frequency grid, with the constants of Eickenberg et al. (2017) as
implemented by kymatio (``c_0 = 1``: the l = 0 filter is a plain
unit-integral Gaussian).

We use *real* spherical harmonics.  The invariants only ever see
``sum_m |x * psi_{l,m}|^2``, and the real and complex harmonics of one
degree differ by a unitary change of basis, so the sum is the same; with
real harmonics the spatial filters are real (up to the discrete Nyquist
planes), which lets the fast path use real FFTs.  The global phase
``(-i)^l`` does not change a modulus and is left to the callers that need
real outputs.
"""

import math
from functools import lru_cache

import numpy as np
from scipy.special import factorial

try:
    from scipy.special import sph_harm_y
except ImportError:  # SciPy < 1.15, where only sph_harm exists
    from scipy.special import sph_harm as _sph_harm

    def sph_harm_y(n, m, theta, phi):
        # sph_harm_y takes (degree, order, polar, azimuth); the older
        # sph_harm (order, degree, azimuth, polar): the same function.
        return _sph_harm(m, n, phi, theta)


def wavelet_constant(l):
    """Return ``c_l``, the Fourier-side normalisation of degree ``l``.

    Examples
    --------
    >>> wavelet_constant(0)
    1.0
    >>> round(wavelet_constant(1), 6)
    1.28255
    """
    if l == 0:
        return 1.0
    if l % 2 == 0:
        # (l + 1)!! for odd l + 1
        double_fact = float(np.prod(np.arange(l + 1, 0, -2)))
        c = 1.0 / (2 * math.pi * math.sqrt(l + 0.5) * double_fact)
    else:
        c = 1.0 / (2 ** (0.5 * (l + 3)) * math.sqrt(math.pi * (2 * l + 1)) * float(factorial((l + 1) // 2)))
    return c * (2 * math.pi) ** 1.5


def real_spherical_harmonics(l, x, y, z):
    """Real orthonormal spherical harmonics of degree ``l`` at directions (x, y, z).

    Returns an array of shape ``(2l + 1,) + x.shape`` ordered m = -l..l;
    at the origin every harmonic of degree l > 0 is set to 0 (the solid
    harmonic ``|w|^l Y`` vanishes there), and ``Y_0^0 = 1 / sqrt(4 pi)``.

    Examples
    --------
    >>> v = np.array([0.3, -1.0, 2.0])
    >>> Y = real_spherical_harmonics(3, v[:1], v[1:2], v[2:])
    >>> bool(np.isclose((Y ** 2).sum(), 7 / (4 * np.pi)))
    True
    """
    x, y, z = (np.asarray(a, dtype=np.float64) for a in (x, y, z))
    rxy = np.hypot(x, y)
    polar = np.arctan2(rxy, z)
    azimuth = np.arctan2(y, x)
    out = np.empty((2 * l + 1,) + x.shape)
    for m in range(0, l + 1):
        Y = sph_harm_y(l, m, polar, azimuth)
        if m == 0:
            out[l] = Y.real
        else:
            # Condon-Shortley phase (-1)^m undone so that the real harmonics
            # are the usual cos(m phi) / sin(m phi) combinations.
            out[l + m] = math.sqrt(2) * (-1) ** m * Y.real
            out[l - m] = math.sqrt(2) * (-1) ** m * Y.imag
    if l > 0:
        out[:, (x == 0) & (y == 0) & (z == 0)] = 0.0
    return out


def frequency_axes(shape, half=False, period=None):
    """Angular frequencies ``2 pi k / period`` of the DFT bins ``k`` of a grid of ``shape``.

    ``period`` (default ``shape``) is the grid the frequencies are measured
    on: a spectrum cropped from a finer grid keeps the fine grid's
    frequencies.  The last axis takes the rfft layout if ``half``.
    """
    period = shape if period is None else period
    axes = [2 * math.pi * np.fft.fftfreq(n) * n / p for n, p in zip(shape, period)]
    if half:
        axes[-1] = 2 * math.pi * np.fft.rfftfreq(shape[-1]) * shape[-1] / period[-1]
    return axes


@lru_cache(maxsize=8)
def _monomials(L):
    """Exponents ``(a, b, c)`` with ``a + b + c <= L``, by degree (those of degree l start at ``l(l+1)(l+2)/6``)."""
    return tuple((a, b, l - a - b) for l in range(L + 1) for a in range(l, -1, -1) for b in range(l - a, -1, -1))


@lru_cache(maxsize=8)
def _harmonic_coefficients(L):
    """Per degree l, the matrix (2l+1, n_monomials) of ``R_{l,m}`` on the monomials.

    ``R_{l,m}`` is a homogeneous polynomial of degree l, so least squares
    on more random points than monomials recovers it exactly (residual at
    round-off; checked below).  For l = 0 the wavelet has no ``Y_00``
    factor, so the single coefficient is 1.
    """
    monos = _monomials(L)
    rng = np.random.default_rng(0)
    v = rng.standard_normal((3, 4 * len(monos) + 8))
    powers = np.array(monos)
    A = np.prod(v.T[:, None, :] ** powers[None], axis=2)  # (points, monomials)
    r = np.sqrt((v**2).sum(0))
    coefs = []
    for l in range(L + 1):
        if l == 0:
            C = np.zeros((1, len(monos)))
            C[0, monos.index((0, 0, 0))] = 1.0
        else:
            target = real_spherical_harmonics(l, *v) * r**l  # (2l+1, points)
            cols = [i for i, m in enumerate(monos) if sum(m) == l]
            sol, *_ = np.linalg.lstsq(A[:, cols], target.T, rcond=None)
            if not np.allclose(A[:, cols] @ sol, target.T, atol=1e-10 * max(1.0, np.abs(target).max())):
                raise RuntimeError(f"solid harmonics of degree {l} are not spanned by the monomials")
            C = np.zeros((2 * l + 1, len(monos)))
            C[:, cols] = sol.T
        C.setflags(write=False)
        coefs.append(C)
    return tuple(coefs)


def solid_harmonic_spectrum(axes, sigma, l, xp=np):
    """Real filter values ``R_{l,m}(w)`` (``psi_hat = (-i)^l R``) on the frequency grid ``axes``.

    ``axes`` holds three 1D arrays of angular frequencies (any spacing);
    returns an array of shape ``(2l + 1, len(ax), len(ay), len(az))``, in
    the array library ``xp`` (NumPy or CuPy).  The Gaussian and the powers
    of each axis are separable, so only the harmonic combination of the
    monomials is evaluated per frequency (one small matrix product).

    Examples
    --------
    >>> w = np.array([0.0, 0.5])
    >>> solid_harmonic_spectrum((w, w, w), 1.0, 1).shape
    (3, 2, 2, 2)
    """
    coefs = _harmonic_coefficients(l)[l] * wavelet_constant(l) * sigma**l
    monos = _monomials(l)
    start = l * (l + 1) * (l + 2) // 6  # the degree-l monomials
    axes = [xp.asarray(w, dtype=xp.float64) for w in axes]
    gauss = [xp.exp(-0.5 * (sigma * w) ** 2) for w in axes]
    n = [len(w) for w in axes]
    M = xp.empty((len(monos) - start, n[0], n[1], n[2]))
    for k, (a, b, c) in enumerate(monos[start:]):
        xp.multiply((gauss[0] * axes[0] ** a)[:, None, None], (gauss[1] * axes[1] ** b)[None, :, None], out=M[k])
        M[k] *= (gauss[2] * axes[2] ** c)[None, None, :]
    return (xp.asarray(coefs[:, start:]) @ M.reshape(len(M), -1)).reshape((2 * l + 1,) + tuple(n))


@lru_cache(maxsize=64)
def _filters_cached(shape, sigma, l, half, dtype_str, period):
    filt = solid_harmonic_spectrum(frequency_axes(shape, half, period), sigma, l)
    filt = np.ascontiguousarray(filt, dtype=np.dtype(dtype_str))
    filt.setflags(write=False)
    return filt


def solid_harmonic_filters(shape, sigma, l, *, half=False, dtype=np.float64, period=None):
    """Fourier-domain solid harmonic wavelets of one scale and degree, without the ``(-i)^l`` phase.

    Parameters
    ----------
    shape : tuple of 3 int
        Spatial grid ``(M, N, O)``.
    sigma : float
        Spatial width of the wavelet in grid units (``sigma_0 * 2**j``).
    l : int
        Degree, ``l >= 0``.
    half : bool, default=False
        Return the rfft half spectrum (last axis ``O // 2 + 1``) instead of
        the full one.
    dtype : dtype, default=float64
    period : tuple of 3 int, optional
        The grid whose frequencies the bins stand for (default ``shape``);
        pass the fine grid when ``shape`` is a cropped (coarser) one, and
        ``sigma`` stays in fine-grid units.

    Returns
    -------
    filters : ndarray of shape (2l + 1, M, N, O or O // 2 + 1), read-only
        Real values ``R_{l,m}(w)`` with ``psi_hat_{l,m} = (-i)^l R_{l,m}``,
        m = -l..l.  Cached: do not modify.

    Examples
    --------
    >>> F = solid_harmonic_filters((8, 8, 8), 1.0, 2)
    >>> F.shape
    (5, 8, 8, 8)
    >>> float(solid_harmonic_filters((8, 8, 8), 1.0, 0)[0, 0, 0, 0])
    1.0
    """
    shape = tuple(int(s) for s in shape)
    period = shape if period is None else tuple(int(p) for p in period)
    return _filters_cached(shape, float(sigma), int(l), bool(half), np.dtype(dtype).str, period)
