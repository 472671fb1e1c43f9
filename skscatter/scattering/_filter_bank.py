"""Morlet filter bank of the 2D scattering transform, designed in NumPy.

The design reproduces kymatio's ``Scattering2D`` filters (Bruna & Mallat 2013;
Andreux et al. 2020) so that outputs agree with the reference implementation:

* wavelet ``psi[j, l]``: a Morlet filter with Gaussian width ``0.8 * 2**j``
  pixels, central frequency ``3 pi / 4 / 2**j`` rad/pixel, orientation
  ``(int(L - L/2 - 1) - l) * pi / L`` and slant ``4 / L`` (the envelope is
  ``1 / slant`` times longer across the wave vector than along it);
* low-pass ``phi``: an isotropic Gaussian of width ``0.8 * 2**(J - 1)``;
* each filter is sampled on the padded grid, periodised over 5 x 5 tiles,
  and only the real part of its DFT is kept (the imaginary part vanishes by
  symmetry of the periodised envelope);
* multi-resolution copies are made by zeroing the frequencies that the
  coarser grid cannot hold and folding (alias-summing) the spectrum.

The low-pass filter is separable (an axis-aligned Gaussian, with a separable
band mask and fold), so "multiply by phi, decimate by k, drop the padding" is
also stored as a pair of small real matrices (see :func:`lowpass_matrix`):
the scattering core averages with two matrix products instead of an FFT
round trip, and gets the same numbers.

Everything here is pure NumPy and cached with :func:`functools.lru_cache`, so
that clones of an estimator inside cross-validation share one filter bank.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np

# kymatio normalises Gabor filters by 2 * 3.1415 * sigma**2 / slant (a
# truncated pi).  Keeping the same constant keeps our outputs within
# float32 rounding of the reference, 3e-5 closer than the true pi would.
_REFERENCE_PI = 3.1415

# Where the Gaussian envelope is below exp(-80) ~ 2e-35 of its peak it adds
# nothing representable to a filter whose peak is ~1, so each filter is only
# evaluated on the box that holds the rest.  This is what makes large filter
# banks cheap to build.
_NEGLIGIBLE_EXPONENT = 80.0


class MorletFilterBank(NamedTuple):
    """Fourier-domain Morlet filters for one padded image size.

    Attributes
    ----------
    phi : tuple of ndarray
        ``phi[r]`` is the low-pass filter at resolution ``2**-r``, of shape
        ``(M // 2**r, N // 2**r)``, for ``r = 0 .. J-1``.
    psi : tuple of ndarray
        ``psi[r]`` holds all ``J * L`` wavelets at resolution ``2**-r``, of
        shape ``(J * L, M // 2**r, N // 2**r)``, in ``(j, theta)`` C order,
        for ``r = 0 .. max(J - 2, 0)``.  Only wavelets with ``j > r`` are ever
        applied at resolution ``r > 0``.
    lowpass_rows, lowpass_cols : tuple of ndarray
        ``lowpass_rows[r]`` of shape ``(H', M // 2**r)`` and
        ``lowpass_cols[r]`` of shape ``(W', N // 2**r)``: a real map ``U``
        at resolution ``2**-r`` low-passed by ``phi[r]``, sampled every
        ``2**J`` pixels and cropped, is ``lowpass_rows[r] @ U @
        lowpass_cols[r].T``.
    J : int
        Number of scales.
    L : int
        Number of orientations.
    """

    phi: tuple
    psi: tuple
    lowpass_rows: tuple
    lowpass_cols: tuple
    J: int
    L: int


def padded_shape(shape, J):
    """Return the padded grid size used for an image of ``shape``.

    Each side is padded to ``2**J * (size // 2**J + 2)``: a multiple of
    ``2**J`` with about ``2**J`` pixels of margin on either side, as in
    kymatio.

    Parameters
    ----------
    shape : tuple of int
        Image size ``(H, W)``.
    J : int
        Number of scales.

    Returns
    -------
    padded : tuple of int
        ``(M, N)``, both multiples of ``2**J``.

    Examples
    --------
    >>> padded_shape((32, 32), 2)
    (40, 40)
    >>> padded_shape((45, 28), 3)
    (56, 40)
    """
    step = 2**J
    return tuple(int(step * (size // step + 2)) for size in shape)


def _wave_orientation(theta_index, L):
    # Reproduces the reference's angle convention, int() truncation included.
    return (int(L - L / 2 - 1) - theta_index) * np.pi / L


def _fold_onto_grid(values, x0, y0, M, N):
    """Sum ``values``, sampled at coordinates ``x0 + i, y0 + j``, onto the periodic ``M x N`` grid."""
    nx, ny = values.shape
    sx, sy = x0 % M, y0 % N
    # Place the box in a buffer that starts at a multiple of the period, so
    # that buffer row i holds coordinate x0 - sx + i = i (mod M).
    buf = np.zeros((-(-(sx + nx) // M) * M, -(-(sy + ny) // N) * N), dtype=values.dtype)
    buf[sx : sx + nx, sy : sy + ny] = values
    return buf.reshape(buf.shape[0] // M, M, buf.shape[1] // N, N).sum(axis=(0, 2))


def _periodised_gabor(M, N, sigma, theta, xi, slant):
    """Sum over 5 x 5 tiles of a Gabor filter centred on pixel (0, 0).

    Returns the periodised complex Gabor filter and its periodised envelope
    (the same filter with ``xi = 0``), both of shape ``(M, N)``.
    """
    # float32 rotation matrices, as in the reference design: the envelope's
    # quadratic form is rounded the same way.
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s], [s, c]], dtype=np.float32)
    rot_inv = np.array([[c, s], [-s, c]], dtype=np.float32)
    curv = rot @ np.diag([1.0, slant * slant]) @ rot_inv / (2.0 * sigma * sigma)
    smallest_eig = min(1.0, slant * slant) / (2.0 * sigma * sigma)

    # The 5 x 5 tiles cover coordinates [-2M, 3M) x [-2N, 3N); outside the
    # disc of this radius the envelope is negligible.
    radius = int(np.ceil(np.sqrt(_NEGLIGIBLE_EXPONENT / smallest_eig)))
    x0, y0 = max(-radius, -2 * M), max(-radius, -2 * N)
    x = np.arange(x0, min(radius, 3 * M - 1) + 1, dtype=np.float64)
    y = np.arange(y0, min(radius, 3 * N - 1) + 1, dtype=np.float64)
    quad = curv[0, 0] * (x * x)[:, None] + (curv[0, 1] + curv[1, 0]) * np.multiply.outer(x, y) + curv[1, 1] * (y * y)[None, :]
    env = np.exp(-quad)
    norm = 2.0 * _REFERENCE_PI * sigma * sigma / slant
    envelope = _fold_onto_grid(env, x0, y0, M, N) / norm
    if xi == 0.0:
        return envelope.astype(np.complex128), envelope
    # The plane wave is separable in (x, y).
    wave = np.multiply.outer(np.exp(1j * xi * np.cos(theta) * x), np.exp(1j * xi * np.sin(theta) * y))
    return _fold_onto_grid(env * wave, x0, y0, M, N) / norm, envelope


def morlet_2d(M, N, sigma, theta, xi, slant):
    """Periodised 2D Morlet wavelet in space, with exactly zero mean.

    The Morlet filter is the Gabor filter minus ``K`` times its envelope,
    with ``K`` chosen on the sampled grid so that the sum is zero.

    Parameters
    ----------
    M, N : int
        Grid size.
    sigma : float
        Envelope width along the wave vector, in pixels.
    theta : float
        Orientation of the wave vector, in radians.
    xi : float
        Central frequency, in radians per pixel.
    slant : float
        Ratio of the envelope widths along and across the wave vector.

    Returns
    -------
    psi : ndarray of shape (M, N), complex128

    Examples
    --------
    >>> psi = morlet_2d(16, 16, sigma=0.8, theta=0.0, xi=3 * np.pi / 4, slant=0.5)
    >>> bool(abs(psi.sum()) < 1e-12)
    True
    """
    gabor, envelope = _periodised_gabor(M, N, sigma, theta, xi, slant)
    K = gabor.sum() / envelope.sum()
    return gabor - K * envelope


def gaussian_2d(M, N, sigma):
    """Periodised isotropic Gaussian low-pass filter in space, shape ``(M, N)``."""
    _, envelope = _periodised_gabor(M, N, sigma, 0.0, 0.0, 1.0)
    return envelope


def periodize_filter_fft(filter_hat, res):
    """Restrict a Fourier filter to the grid ``2**res`` times coarser.

    Frequencies with ``|k| >= size / 2**(res + 1)`` along either axis are
    zeroed, then the spectrum is folded (alias-summed) down to
    ``(M // 2**res, N // 2**res)``.

    Parameters
    ----------
    filter_hat : ndarray of shape (..., M, N)
        Fourier-domain filters; ``M`` and ``N`` must be multiples of ``2**res``.
    res : int
        Resolution index.

    Returns
    -------
    coarse : ndarray of shape (..., M // 2**res, N // 2**res)

    Examples
    --------
    >>> periodize_filter_fft(np.ones((8, 8)), 1).shape
    (4, 4)
    """
    *lead, M, N = filter_hat.shape
    k = 2**res
    masked = filter_hat.copy()
    start_m, len_m = int(M * 2.0 ** (-res - 1)), int(M * (1 - 2.0**-res))
    start_n, len_n = int(N * 2.0 ** (-res - 1)), int(N * (1 - 2.0**-res))
    masked[..., start_m : start_m + len_m, :] = 0
    masked[..., :, start_n : start_n + len_n] = 0
    folded = masked.reshape(*lead, k, M // k, k, N // k)
    return folded.sum(axis=(-4, -2))


def lowpass_matrix(multiplier, k, n_out):
    """Matrix of "filter, decimate by ``k``, keep samples ``1 .. n_out``" in 1D.

    Filtering a length-``m`` signal by the real, even Fourier multiplier
    ``multiplier``, averaging the ``k`` aliased copies of its spectrum (the
    spectrum of ``signal[::k]``), inverting, and dropping the first coarse
    sample of padding is the linear map ``C @ signal`` with
    ``C[y, i] = h[(k * (y + 1) - i) mod m]``, ``h`` the inverse DFT of the
    multiplier.

    Parameters
    ----------
    multiplier : ndarray of shape (m,)
        Real, even (``multiplier[i] == multiplier[-i]``) Fourier multiplier.
    k : int
        Decimation factor; divides ``m``.
    n_out : int
        Samples kept.

    Returns
    -------
    C : ndarray of shape (n_out, m)

    Examples
    --------
    >>> a = np.ones(8)                     # identity filter
    >>> lowpass_matrix(a, 2, 2)            # picks samples 2 and 4
    array([[0., 0., 1., 0., 0., 0., 0., 0.],
           [0., 0., 0., 0., 1., 0., 0., 0.]])
    """
    m = multiplier.shape[0]
    h = np.fft.ifft(multiplier).real
    centres = k * (np.arange(n_out) + 1)
    return h[np.mod(centres[:, None] - np.arange(m)[None, :], m)]


def _separable_factors(phi_hat):
    # phi_hat[u, v] == rows[u] * cols[v] for a separable filter.
    return phi_hat[:, 0], phi_hat[0, :] / phi_hat[0, 0]


@lru_cache(maxsize=16)
def _filter_bank_float64(M, N, J, L):
    psi_full = np.empty((J * L, M, N), dtype=np.float64)
    for j in range(J):
        for theta in range(L):
            psi = morlet_2d(
                M, N, 0.8 * 2**j, _wave_orientation(theta, L), 3.0 / 4.0 * np.pi / 2**j, 4.0 / L
            )
            psi_full[j * L + theta] = np.fft.fft2(psi).real
    phi_full = np.fft.fft2(gaussian_2d(M, N, 0.8 * 2 ** (J - 1))).real
    phi = tuple(periodize_filter_fft(phi_full, r) for r in range(J))
    psi = tuple(periodize_filter_fft(psi_full, r) for r in range(max(J - 1, 1)))
    # Output samples per axis: size // 2**J (at least 1) = M // 2**J - 2.
    n_rows, n_cols = max(1, M // 2**J - 2), max(1, N // 2**J - 2)
    rows, cols = [], []
    for r, phi_r in enumerate(phi):
        a, b = _separable_factors(phi_r)
        rows.append(lowpass_matrix(a, 2 ** (J - r), n_rows))
        cols.append(lowpass_matrix(b, 2 ** (J - r), n_cols))
    return MorletFilterBank(phi=phi, psi=psi, lowpass_rows=tuple(rows), lowpass_cols=tuple(cols), J=J, L=L)


def _readonly(a, dtype):
    a = np.ascontiguousarray(a, dtype=dtype)
    a.setflags(write=False)
    return a


@lru_cache(maxsize=16)
def filter_bank(M, N, J, L, dtype=np.float64):
    """Return the cached Morlet filter bank for a padded ``M x N`` grid.

    Parameters
    ----------
    M, N : int
        Padded grid size; both must be multiples of ``2**J``.
    J : int
        Number of dyadic scales; the low-pass window is ``2**J`` pixels.
    L : int
        Number of wavelet orientations in ``[0, pi)``.
    dtype : {np.float64, np.float32}, default=np.float64
        Precision of the returned filters.

    Returns
    -------
    bank : MorletFilterBank
        Read-only real Fourier filters (see :class:`MorletFilterBank`).

    Examples
    --------
    >>> bank = filter_bank(40, 40, J=2, L=8, dtype=np.float32)
    >>> bank.psi[0].shape, bank.phi[1].shape, bank.psi[0].dtype
    ((16, 40, 40), (20, 20), dtype('float32'))
    """
    step = 2**J
    if M % step or N % step:
        raise ValueError(f"Padded size ({M}, {N}) must be a multiple of 2**J={step}.")
    bank = _filter_bank_float64(int(M), int(N), int(J), int(L))
    return map_filter_bank(bank, lambda a: _readonly(a, dtype))


def map_filter_bank(bank, transform, psi_transform=None):
    """Apply ``transform`` to every array of ``bank`` (``psi_transform`` to ``psi``)."""
    psi_transform = psi_transform or transform
    return MorletFilterBank(
        phi=tuple(transform(a) for a in bank.phi),
        psi=tuple(psi_transform(a) for a in bank.psi),
        lowpass_rows=tuple(transform(a) for a in bank.lowpass_rows),
        lowpass_cols=tuple(transform(a) for a in bank.lowpass_cols),
        J=bank.J,
        L=bank.L,
    )


# -- layouts for the backends ------------------------------------------------


def fold_blocked(a, k):
    """Reorder ``(..., M, W)`` into its ``k x k`` aliased blocks, flattened: ``(..., M * W)``.

    Block ``(i, j)`` holds rows ``i*M/k .. (i+1)*M/k`` and columns
    ``j*W/k .. (j+1)*W/k``; blocks follow one another in C order.  This is
    the order in which the numba filter-and-fold kernel reads a filter.

    Examples
    --------
    >>> fold_blocked(np.arange(16).reshape(4, 4), 2).reshape(4, 4).tolist()
    [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]]
    """
    *lead, M, W = a.shape
    blocks = a.reshape(*lead, k, M // k, k, W // k)
    return np.ascontiguousarray(np.swapaxes(blocks, -3, -2)).reshape(*lead, M * W)


@lru_cache(maxsize=8)
def blocked_filter_bank(M, N, J, L, dtype):
    """The bank with wavelets laid out for the numba kernels.

    Wavelet ``j`` is only ever applied at resolution ``r <= j``, folded by
    ``k = 2**(j - r)``: it is stored interleaved (each value twice, to
    multiply ``(re, im)`` pairs) and in fold-blocked order for that ``k``,
    one row of ``M_r * 2 * N_r`` values per wavelet.
    """

    def prepare(level, r):
        out = np.empty((J * L, level.shape[1] * 2 * level.shape[2]), dtype=level.dtype)
        for j in range(J):
            k = 2 ** max(j - r, 0)
            out[j * L : (j + 1) * L] = fold_blocked(np.repeat(level[j * L : (j + 1) * L], 2, axis=-1), k)
        out.setflags(write=False)
        return out

    bank = filter_bank(M, N, J, L, dtype)
    return bank._replace(psi=tuple(prepare(level, r) for r, level in enumerate(bank.psi)))


_DEVICE_BANKS = {}


def filter_bank_for(ops, M, N, J, L, dtype):
    """The bank in the layout and on the device that ``ops`` computes with.

    Parameters
    ----------
    ops : FourierOps
        From :func:`skscatter._kernels.fourier.get_fourier_ops`; its
        ``filter_layout`` (``"blocked"`` for the numba kernels, ``"plain"``
        otherwise) and ``device`` (None on the CPU) decide.
    M, N, J, L : int
    dtype : dtype

    Returns
    -------
    bank : MorletFilterBank
        Cached: one copy per layout, dtype and device.
    """
    dtype = np.dtype(dtype)
    if ops.filter_layout == "blocked":
        return blocked_filter_bank(M, N, J, L, dtype)
    bank = filter_bank(M, N, J, L, dtype)
    if ops.device is None:
        return bank
    key = (M, N, J, L, dtype.str, ops.device)
    if key not in _DEVICE_BANKS:
        if len(_DEVICE_BANKS) >= 8:
            _DEVICE_BANKS.pop(next(iter(_DEVICE_BANKS)))
        _DEVICE_BANKS[key] = map_filter_bank(bank, ops.asarray)
    return _DEVICE_BANKS[key]
