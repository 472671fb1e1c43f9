"""Free-space solid harmonic scattering of Gaussian-sum densities.

For a molecule the density is ``x = sum_k w_k g_sigma(u - p_k)`` and the
invariants are continuum integrals over all of space (voxel units, so
that they match the voxel sums of a periodic box once that box is large
enough not to wrap the fields around).  Nothing here uses a box shared by
all molecules: every field gets its own grid, just large and fine enough
for the tolerance ``tol``.

Order 1 needs no convolution at all.  A Gaussian convolved with a
solid harmonic Gaussian is one again, so ``x * psi_{j,l,m}`` is, with
``s^2 = sigma^2 + sigma_j^2`` and ``R_{l,m}(v) = |v|^l Y_{l,m}(v/|v|)``,

    f_{j,l,m}(u) = c_l sigma_j^l / ((2 pi)^(3/2) s^(2l+3))
                   sum_k w_k R_{l,m}(u - p_k) exp(-|u - p_k|^2 / (2 s^2))

(the l = 0 wavelet is a plain Gaussian: ``R`` is replaced by 1).  ``R``
is a homogeneous polynomial, so every term is a sum of separable products
``(x - x_k)^a (y - y_k)^b (z - z_k)^c`` times three 1D Gaussians: the
fields of all monomials with ``a + b + c <= L`` are matrix products over
the atoms (BLAS), and the harmonics are fixed combinations of them.  The
fields are sampled exactly; only the integrals ``sum U^q h^3`` are
Riemann sums, whose error is the spectrum of ``U^q`` at ``2 pi / h``.

Order 2 convolves ``U1`` (a sampled, non-Gaussian field) with the coarser
wavelet.  The product ``U1_hat * psi_hat_{j2}`` is negligible beyond the
wavelet's cut-off frequency, so the output field is band-limited and its
samples on a grid at that Nyquist rate are exact.  ``U1_hat`` is needed
only at that grid's DFT frequencies, which do not belong to ``U1``'s own
grid (a larger box, a coarser lattice): a zoomed DFT computes them as
three small matrix products, one per axis, and an inverse real FFT gives
the samples.

Grid spacings and margins follow from ``tol``: a field of width ``s`` has
a Gaussian spectrum ``exp(-s^2 w^2 / 2)`` (times ``(sigma_j w)^l``), so
``U^q`` aliases below ``tol`` for a spacing ``h`` with
``2 pi / h >= sqrt(q) w_c``; its tail ``exp(-q r^2 / (2 s^2))`` is below
``tol`` at ``r = s sqrt(2 ln(1 / tol) / q)`` beyond the last atom.
"""

import math
from functools import lru_cache

import numpy as np
import scipy.fft

from .._backend import import_cupy
from .._kernels.harmonic import modulus_power_sums
from ._filter_bank import _harmonic_coefficients, _monomials, solid_harmonic_spectrum, wavelet_constant

__all__ = ["free_space_scattering"]

# Grid spacings are this fraction of the aliasing bound of the module notes:
# the bound holds for Gaussian fields, and the U = sqrt(sum_m f_m^2) of
# degrees l >= 1 has cusps where it vanishes (measured on QM7: 0.7 keeps
# every invariant within 5e-4 of a 288 x 240 x 192 periodic box at tol 1e-4).
_SPACING = 0.7


def _tail_radius(s, tol, q_min):
    """Distance beyond which ``exp(-q r^2 / 2 s^2)`` is below ``tol``, plus room for the ``r^l`` factor."""
    return s * (math.sqrt(2.0 * math.log(1.0 / tol) / q_min) + 1.0)


@lru_cache(maxsize=256)
def _cutoff(sigma_filter, s_field, l_max, tol):
    """Frequency beyond which ``(sigma_filter w)^l exp(-s_field^2 w^2 / 2)`` stays below ``tol`` of its peak."""
    # From just above 0 (log 0 is -inf) to 40 / s_field; for fields wider
    # than 1000 voxels the start scales with the band, which 1e-6 would pass.
    w = np.linspace(min(1e-6, 1e-3 / s_field), 40.0 / s_field, 8193)
    cut = 0.0
    for l in range(l_max + 1):
        log_env = l * np.log(np.maximum(sigma_filter, 1e-300) * w) - 0.5 * s_field**2 * w**2
        log_env -= log_env.max()
        cut = max(cut, w[np.nonzero(log_env > math.log(tol))[0][-1]])
    return cut


def _axis_grid(lo, hi, h, fft):
    """Points ``o + h i`` covering [lo, hi] symmetrically (FFT-friendly count if ``fft``)."""
    n = int(math.ceil((hi - lo) / h)) + 1
    if fft:
        n = scipy.fft.next_fast_len(n, real=True)
    origin = 0.5 * (lo + hi) - 0.5 * (n - 1) * h
    return origin, n


class _Grid:
    """A box ``origin + h * index`` with ``shape`` points per axis."""

    def __init__(self, centres, margin, h, fft=False):
        lo = centres.min(axis=0) - margin
        hi = centres.max(axis=0) + margin
        axes = [_axis_grid(lo[d], hi[d], h, fft) for d in range(3)]
        self.origin = np.array([a[0] for a in axes])
        self.shape = tuple(a[1] for a in axes)
        self.h = float(h)

    def coordinates(self, d):
        return self.origin[d] + self.h * np.arange(self.shape[d])


def _monomial_fields(centres, weights, s, L, grid, xp=np):
    """``F[ch, i] = sum_k w[k, ch] prod_d (u_d - p_kd)^e_id exp(-(u_d - p_kd)^2 / 2 s^2)`` on ``grid``."""
    monos = _monomials(L)
    K, C = weights.shape
    nx, ny, nz = grid.shape
    factors = []
    for d in range(3):
        diff = xp.asarray(grid.coordinates(d)[None, :] - centres[:, d : d + 1])  # (K, n_d)
        gauss = xp.exp(-0.5 * (diff / s) ** 2)
        factors.append(xp.stack([gauss * diff**e for e in range(L + 1)], axis=1))  # (K, L+1, n_d)
    X, Y, Z = factors
    # all channels at once: rows (channel, x), the atoms are the inner dimension
    Xw = (xp.asarray(weights.T)[:, :, None, None] * X[None]).transpose(2, 0, 3, 1)  # (L+1, C, nx, K)
    F = xp.empty((C, len(monos), nx, ny, nz))
    yz = {}
    for i, (a, b, c) in enumerate(monos):
        if (b, c) not in yz:
            yz[b, c] = (Y[:, b, :, None] * Z[:, c, None, :]).reshape(K, ny * nz)
        lhs = xp.ascontiguousarray(Xw[a]).reshape(C * nx, K)
        F[:, i] = (lhs @ yz[b, c]).reshape(C, nx, ny, nz)
    return F


def _order1_fields(F, L, prefactors, xp=np):
    """Per channel and degree l, the (2l+1, nx, ny, nz) harmonic fields from the monomial fields."""
    coefs = [xp.asarray(c) for c in _harmonic_coefficients(L)]
    C = F.shape[0]
    flat = F.reshape(C, F.shape[1], -1)
    out = []
    for ch in range(C):
        per_l = []
        for l in range(L + 1):
            start = l * (l + 1) * (l + 2) // 6
            stop = start + (l + 1) * (l + 2) // 2
            A = prefactors[l] * coefs[l][:, start:stop]
            per_l.append((A @ flat[ch, start:stop]).reshape((2 * l + 1,) + F.shape[2:]))
        out.append(per_l)
    return out


def _plan(centres, J, L, sigma, sigma_0, powers, max_order, tol):
    """Grids of one molecule: order 0, order 1 per scale, order 2 per (j1, j2)."""
    q_min, q_max = float(np.min(powers)), max(float(np.max(powers)), 2.0)

    def spacing(sigma_filter, s, l_max):
        # U^q of a field of width s aliases below tol (module notes)
        return _SPACING * 2.0 * math.pi / (math.sqrt(q_max) * _cutoff(sigma_filter, s, l_max, tol))

    grid0 = _Grid(centres, _tail_radius(sigma, tol, q_min), spacing(0.0, sigma, 0))
    widths = [math.hypot(sigma, sigma_0 * 2**j) for j in range(J + 1)]
    grids1 = [_Grid(centres, _tail_radius(s, tol, q_min), spacing(sigma_0 * 2**j, s, L)) for j, s in enumerate(widths)]
    grids2 = {}
    if max_order == 2:
        for j1 in range(J):
            for j2 in range(j1 + 1, J + 1):
                sigma_2 = sigma_0 * 2**j2
                s2 = math.hypot(widths[j1], sigma_2)
                # Nyquist of the band-limited output field (exact samples),
                # and fine enough for the integrals.
                h = min(math.pi / _cutoff(sigma_2, sigma_2, L, tol), spacing(sigma_2, s2, L))
                grids2[j1, j2] = _Grid(centres, _tail_radius(s2, tol, q_min), h, fft=True)
    return grid0, widths, grids1, grids2


def largest_free_space_grid(centres, n_channels, J, L, sigma, powers, max_order, tol):
    """``(points, bytes)`` of the largest temporaries :func:`free_space_scattering` allocates."""
    centres = np.asarray(centres, dtype=np.float64)
    grid0, _, grids1, grids2 = _plan(centres, J, L, sigma, sigma, powers, max_order, tol)
    n_mono = len(_monomials(L))

    def per_atom(grid, degree):
        # _monomial_fields' per-atom factors: the (y, z) products of every
        # pair of exponents, and the weighted x factors.
        nx, ny, nz = grid.shape
        return 8 * len(centres) * (ny * nz * (degree + 1) * (degree + 2) // 2 + (degree + 1) * (n_channels * nx + nx + ny + nz))

    sizes = [(math.prod(grid0.shape), 3 * 8 * n_channels * math.prod(grid0.shape) + per_atom(grid0, 0))]
    # order 1: monomial and harmonic fields (float64); order 2: half spectra
    # (complex128, half the points) and fields (float64) of the top degree
    sizes += [(math.prod(g.shape), (n_mono + (L + 1) ** 2) * 8 * n_channels * math.prod(g.shape) + per_atom(g, L)) for g in grids1]
    sizes += [(math.prod(g.shape), (2 * L + 1) * 16 * n_channels * math.prod(g.shape)) for g in grids2.values()]
    return max(n for n, _ in sizes), max(b for _, b in sizes)


def free_space_scattering(centres, weights, J, L, sigma, sigma_0, powers, max_order, tol, n_threads=1, backend="numba"):
    """Scattering invariants of ``sum_k w_k g_sigma(u - p_k)``, orders 0 to 2, over all of space.

    Parameters
    ----------
    centres : ndarray of shape (K, 3)
        Atom positions in voxel units.
    weights : ndarray of shape (K, C)
        One column of Gaussian weights per density channel.
    J, L, sigma_0, powers, max_order
        As :func:`skscatter.harmonic.solid_harmonic_scattering_3d`.
    sigma : float
        Width of the atomic Gaussians (voxels).
    tol : float
        Truncation tolerance of grid spacings and margins.
    n_threads : int, default=1
        FFT workers (the caller sets BLAS and numba threads).
    backend : {"numba", "numpy", "cupy"}, default="numba"
        Who computes the moduli and integrals (numba kernels, or NumPy /
        CuPy array expressions), and where the fields live (CuPy: the GPU,
        with ``cupyx.scipy.fft``).  All three compute the same values.

    Returns
    -------
    S : ndarray of shape (C, n_features)
        Columns as :func:`skscatter.harmonic.scattering_3d_layout`.

    Examples
    --------
    >>> water = np.array([[0.0, 0, 0], [8.6, 0, 0], [-2.1, 8.3, 0]])
    >>> S = free_space_scattering(water, np.array([[8.0], [1.0], [1.0]]), 1, 1, 2.0, 2.0, [1.0, 2.0], 2, 1e-6)
    >>> S.shape
    (1, 14)
    >>> round(float(S[0, 0]), 6)  # the integral of the density: the total charge
    10.0
    """
    centres = np.ascontiguousarray(centres, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    C = weights.shape[1]
    powers = np.asarray(powers, dtype=np.float64)
    n_paths = J + 1 + (J * (J + 1) // 2 if max_order == 2 else 0)
    out = np.empty((C, 1 + n_paths * (L + 1), powers.size))
    grid0, widths, grids1, grids2 = _plan(centres, J, L, sigma, sigma_0, powers, max_order, tol)
    if backend == "cupy":
        xp = import_cupy("backend='cupy'")
        import cupyx.scipy.fft as fft
    else:
        xp, fft = np, scipy.fft

    # Order 0: the density itself (|x|^q, as the grid path's fractional powers).
    density = _monomial_fields(centres, weights, sigma, 0, grid0, xp)[:, 0] / ((2.0 * math.pi) ** 1.5 * sigma**3)
    for ch in range(C):
        out[ch, 0] = modulus_power_sums(xp.abs(density[ch])[None], powers, backend=backend)[0] * grid0.h**3

    # Order 1 on per-scale grids; U1 kept for order 2.
    U1 = {}
    for j, (s, grid) in enumerate(zip(widths, grids1)):
        sigma_j = sigma_0 * 2**j
        prefactors = [1.0 / ((2.0 * math.pi) ** 1.5 * s**3)]
        prefactors += [wavelet_constant(l) * sigma_j**l / ((2.0 * math.pi) ** 1.5 * s ** (2 * l + 3)) for l in range(1, L + 1)]
        fields = _order1_fields(_monomial_fields(centres, weights, s, L, grid, xp), L, prefactors, xp)
        store = max_order == 2 and j < J
        for ch in range(C):
            for l in range(L + 1):
                sums, U1[ch, j, l] = modulus_power_sums(fields[ch][l], powers, store=store, backend=backend)
                out[ch, 1 + j * (L + 1) + l] = sums * grid.h**3

    # Order 2: same l, j2 > j1, all channels of one (j1, l) in one zoomed DFT.
    p = J + 1
    for (j1, j2), g2 in grids2.items():
        for l in range(L + 1):
            stack = xp.stack([U1[ch, j1, l] for ch in range(C)])
            fields = _convolve_zoomed(stack, grids1[j1], g2, sigma_0 * 2**j2, l, n_threads, xp, fft)
            for ch in range(C):
                out[ch, 1 + p * (L + 1) + l] = modulus_power_sums(fields[ch], powers, backend=backend)[0] * g2.h**3
        p += 1
    return out.reshape(C, -1)


def _zoom_matrix(omega, shift, h1, n1, xp=np):
    """``exp(-i omega_k (shift + h1 v))``, shape (len(omega), n1)."""
    return xp.asarray(np.exp(-1j * np.outer(omega, shift + h1 * np.arange(n1))))


def _convolve_zoomed(U, g1, g2, sigma, l, n_threads=1, xp=np, fft=scipy.fft):
    """Samples on ``g2`` of ``U * psi_{sigma,l,m}`` for fields ``U`` (B, *g1.shape) sampled on ``g1``.

    Returns an array (B, 2l+1, *g2.shape).  The DFT of ``U`` at ``g2``'s
    frequencies ``2 pi k / (n2 h2)`` is a Riemann sum over ``g1``; one
    matrix per axis applies it (the zoomed DFT), the filter multiplies it,
    and an inverse real FFT returns the periodic field on ``g2``, whose box
    is large enough for the period not to matter.
    """
    B = U.shape[0]
    n1, n2 = g1.shape, g2.shape
    period = [n * g2.h for n in n2]
    omegas = [2 * math.pi * np.fft.fftfreq(n2[0], 1.0 / n2[0]) / period[0], 2 * math.pi * np.fft.fftfreq(n2[1], 1.0 / n2[1]) / period[1]]
    omegas.append(2 * math.pi * np.arange(n2[2] // 2 + 1) / period[2])
    # Double precision throughout: in single precision the FFT round-off
    # of the near-empty voxels (~1e-7 of the peak), raised to q = 0.5,
    # adds up to ~5e-3 of the q = 0.5 integrals over a large box.
    E = [_zoom_matrix(omegas[d], g1.origin[d] - g2.origin[d], g1.h, n1[d], xp) for d in range(3)]
    # z first on the real data (the half spectrum), then y, then x
    Ez = xp.concatenate([E[2].real, E[2].imag]).T  # one real GEMM for the real input
    T = U.reshape(-1, n1[2]) @ Ez
    T = T[:, : len(omegas[2])] + 1j * T[:, len(omegas[2]) :]  # (B n1x n1y, n2z')
    T = xp.matmul(E[1], T.reshape(B * n1[0], n1[1], -1))  # (B n1x, n2y, n2z')
    T = xp.matmul(E[0], T.reshape(B, n1[0], -1))  # (B, n2x, n2y n2z')
    T = T.reshape(B, n2[0], n2[1], -1)
    filt = solid_harmonic_spectrum(omegas, sigma, l, xp)  # (2l+1, n2x, n2y, n2z') real
    phase = (1.0, -1j, -1.0, 1j)[l % 4]
    filt *= (g1.h / g2.h) ** 3
    G = xp.empty((B, 2 * l + 1) + T.shape[1:], dtype=T.dtype)
    for b in range(B):
        xp.multiply(T[b, None], filt, out=G[b])
        if l % 4:
            G[b] *= phase
    if fft is scipy.fft:
        return fft.irfftn(G, s=n2, axes=(2, 3, 4), workers=n_threads)
    return fft.irfftn(G, s=n2, axes=(2, 3, 4))
