"""Morlet filter bank and padding plan of the 1D scattering transform, in NumPy.

The design is the one of kymatio's ``Scattering1D`` (Andén & Mallat 2014;
Lostanlen's thesis, 2017; Andreux et al. 2020), so that coefficients agree
with the reference implementation:

* ``Q`` wavelets per octave in a constant-Q region: the highest centre
  frequency is ``xi_max = max(1 / (1 + 2**(3/Q)), 0.35)`` cycles/sample,
  each next one ``2**(-1/Q)`` lower with a bandwidth ``sigma`` that keeps
  neighbours crossing at ``r_psi = sqrt(1/2)`` of their peak;
* below the "elbow", where ``sigma`` would drop under ``sigma0 / 2**J``, a
  constant-bandwidth extension of ``Q - 1`` wavelets spaced linearly down to
  zero frequency;
* each Morlet is a Gaussian around ``xi`` minus the multiple of the low-pass
  Gaussian that gives it a zero mean, periodised in frequency (sampled in
  time), normalised to unit l1 norm in time;
* the low-pass ``phi`` is a Gaussian of width ``sigma0 / T``;
* a filter applied to a signal already decimated by ``2**k`` is the sum of
  its ``2**k`` aliased copies (the convention of kymatio's golden test
  values: magnitudes do not depend on the subsampling; kymatio 0.3 averaged
  the copies instead, which divides its first-order coefficients by
  ``2**k1`` and its second-order ones by ``2**(2 k1 + k2)``);
* signals are reflect-padded to a power of two that holds three temporal
  supports of ``phi`` on each side (at most ``3 N - 2`` samples).

Everything is pure NumPy, float64, cached with :func:`functools.lru_cache`.
"""

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from .._kernels.fourier import BandFilters

# The constants of the reference's filter design.
R_PSI = math.sqrt(0.5)
SIGMA0 = 0.1
ALPHA = 5.0
# Frequency periods summed for a Gaussian are chosen so that what is left
# out is below this, with at most _MAX_PERIODS on each side.
_PERIOD_EPS = 1e-7
_MAX_PERIODS = 5
# Gaussian values below exp(-_GAUSSIAN_EXPONENT) (about 1e-40) of their
# peak are left at zero: far below what float64 coefficients can resolve.
_GAUSSIAN_EXPONENT = 92.0
# Amplitude below which phi's tail may be cut: it sets the padding.
_SUPPORT_CRITERION = 1e-3


class Morlet1DBank(NamedTuple):
    """Everything a 1D scattering needs for one signal length, frozen.

    Attributes
    ----------
    length : int
        Unpadded signal length ``N``.
    padded_length : int
        Power of two the signal is reflect-padded to.
    pad_left : int
        Samples of padding before the signal (the rest goes after).
    log2_T : int
        ``floor(log2(T))``: the low-pass decimates by ``2**(log2_T - oversampling)``.
    oversampling : int
    xi1, sigma1, j1 : tuple
        Centre frequency (cycles/sample), bandwidth and largest dyadic
        subsampling of each first-order wavelet.
    xi2, sigma2, j2 : tuple
        The same for the second-order wavelets.
    psi1 : ndarray of shape (n1, padded_length)
        First-order wavelets in Fourier.
    psi2 : tuple of ndarray
        ``psi2[k]``: every second-order wavelet folded onto ``padded_length
        / 2**k`` frequencies, for each subsampling ``k`` a parent can have.
    phi : tuple of ndarray
        ``phi[k]``: the low-pass filter folded by ``2**k``.
    start, stop : tuple of int
        ``signal[start[k]:stop[k]]`` is the unpadded part of a padded signal
        decimated by ``2**k``.
    border_effects : bool
        True when the signal is shorter than the low-pass filter's support.
    """

    length: int
    padded_length: int
    pad_left: int
    log2_T: int
    oversampling: int
    xi1: tuple
    sigma1: tuple
    j1: tuple
    xi2: tuple
    sigma2: tuple
    j2: tuple
    psi1: np.ndarray
    psi2: tuple
    phi: tuple
    start: tuple
    stop: tuple
    border_effects: bool

    @property
    def output_length(self):
        """Samples per map: the signal span at the final resolution."""
        k = max(self.log2_T - self.oversampling, 0)
        return self.stop[k] - self.start[k]


def _periods(sigma):
    # Frequency periods on each side of [0, 1) so that the Gaussian of width
    # sigma left out is below _PERIOD_EPS.
    return min(int(math.ceil(math.sqrt(-2.0 * sigma**2 * math.log(_PERIOD_EPS)) + 1)), _MAX_PERIODS)


def _periodised_gaussian(n, centre, sigma, P):
    """Mean over the periods ``1 - P .. P - 1`` of a Gaussian sampled at ``i / n + p``.

    Only the bins where the Gaussian exceeds ``exp(-_GAUSSIAN_EXPONENT)``
    of its peak are evaluated: the narrow wavelets cover a few bins of the
    ``2 P - 1`` periods, and the rest would be exponentials of nothing.
    Periods are added in increasing order, as a mean over rows would.
    """
    reach = math.sqrt(2.0 * _GAUSSIAN_EXPONENT) * sigma
    lo = max(int(math.ceil((centre - reach) * n)), (1 - P) * n)
    hi = min(int(math.floor((centre + reach) * n)) + 1, P * n)
    out = np.zeros(n)
    if lo >= hi:
        return out
    # The arithmetic of sampling the whole range, on the window only.
    values = np.exp(-((np.arange(lo, hi, dtype=np.float64) / n - centre) ** 2) / (2 * sigma**2))
    for p in range(1 - P, P):
        a, b = max(lo, p * n), min(hi, (p + 1) * n)
        if a < b:
            out[a - p * n : b - p * n] += values[a - lo : b - lo]
    return out / (2 * P - 1)


def _morlet_unnormalised(n, xi, sigma, lows=None):
    """:func:`morlet_1d` before its l1 normalisation; ``lows`` caches low-pass Gaussians by ``sigma``."""
    P = _periods(sigma)
    if P == 1:
        # One period: the low-pass is centred on fftfreq's signed frequencies.
        low = np.exp(-(np.fft.fftfreq(n) ** 2) / (2 * sigma**2))
        if not xi:
            return low
        gabor = np.exp(-((np.arange(n, dtype=np.float64) / n - xi) ** 2) / (2 * sigma**2))
        return gabor - (gabor[0] / low[0]) * low
    if xi:
        gabor = _periodised_gaussian(n, xi, sigma, P)
        if gabor[0] == 0:
            # Far from zero frequency the wavelet has a zero mean already:
            # the correction below would subtract 0 * low.
            return gabor
    lows = {} if lows is None else lows
    low = lows.get(sigma)
    if low is None:
        low = lows[sigma] = _periodised_gaussian(n, 0.0, sigma, P)
    if not xi:
        return low
    # Minus the multiple of the low-pass that gives the wavelet a zero mean.
    return gabor - (gabor[0] / low[0]) * low


def _l1_in_time(filters_hat):
    """``np.abs(np.fft.ifft(filters_hat)).sum(-1)`` for real spectra, from half the transform.

    For a real spectrum ``F`` the filter in time is ``conj(rfft(F)) / n``
    on ``0 .. n // 2`` and its mirror beyond, so one real FFT of every
    filter at once gives every norm.
    """
    n = filters_hat.shape[-1]
    half = np.abs(np.fft.rfft(filters_hat, axis=-1))
    # Bins 1 .. ceil(n / 2) - 1 have a mirror; 0 (and n / 2 for even n) do not.
    mirrored = half[..., 1 : (n + 1) // 2].sum(axis=-1)
    alone = half[..., 0] + (half[..., n // 2] if n % 2 == 0 and n > 1 else 0.0)
    return (alone + 2 * mirrored) / n


def _morlet_bank(n, xis, sigmas):
    """``np.stack([morlet_1d(n, xi, sigma) ...])``, normalised in one batch."""
    filters = np.empty((len(xis), n))
    lows = {}  # the wavelets below the elbow share one bandwidth
    for row, xi, sigma in zip(filters, xis, sigmas):
        row[:] = _morlet_unnormalised(n, xi, sigma, lows)
    filters /= _l1_in_time(filters)[:, None]
    return filters


def morlet_1d(n, xi, sigma):
    """Fourier transform of a Morlet wavelet (or, with ``xi=None``, a Gaussian) on ``n`` samples.

    Parameters
    ----------
    n : int
        Number of frequencies (``np.fft.fftfreq(n)`` order).
    xi : float or None
        Centre frequency in cycles per sample; None gives the low-pass.
    sigma : float
        Bandwidth (standard deviation of the Gaussian, in cycles/sample).

    Returns
    -------
    filter_hat : ndarray of shape (n,)
        Real; the filter has unit l1 norm in time, and zero mean for a wavelet.

    Examples
    --------
    >>> psi = morlet_1d(64, 0.25, 0.05)
    >>> float(abs(psi[0])) < 1e-15, round(float(np.abs(np.fft.ifft(psi)).sum()), 12)
    (True, 1.0)
    """
    # The Gaussians are sampled on [1 - P, P) and averaged period by
    # period: sampling in time is periodising in frequency.
    return _morlet_bank(n, [xi], [sigma])[0]


def _sigma_of(xi, Q):
    # Width for which wavelets 2**(1/Q) apart cross at R_PSI of their peak.
    ratio = 2.0 ** (-1.0 / Q)
    return xi * (1 - ratio) / (1 + ratio) / math.sqrt(2 * math.log(1 / R_PSI))


def _largest_subsampling(xi, sigma):
    # Decimating by 2**j keeps frequencies below 2**-(j + 1): the filter's
    # band, up to xi + ALPHA * sigma, must fit.
    top = min(xi + ALPHA * sigma, 0.5)
    return int(math.floor(-math.log2(top))) - 1


def wavelet_parameters(J, Q):
    """Centre frequencies, bandwidths and largest subsamplings of one order's wavelets.

    Parameters
    ----------
    J : int
        The smallest bandwidth is ``sigma0 / 2**J``.
    Q : int
        Wavelets per octave.

    Returns
    -------
    xi, sigma : list of float
        In decreasing frequency.
    j : list of int

    Examples
    --------
    >>> xi, sigma, j = wavelet_parameters(4, 1)
    >>> [round(x, 4) for x in xi], j
    ([0.35, 0.175, 0.0875, 0.0437, 0.0219], [0, 0, 0, 1, 2])
    """
    sigma_min = SIGMA0 / 2.0**J
    xi_max = max(1.0 / (1.0 + 2.0 ** (3.0 / Q)), 0.35)
    sigma_max = _sigma_of(xi_max, Q)
    xis, sigmas = [], []
    elbow = sigma_max
    if sigma_max > sigma_min:
        xis, sigmas = [xi_max], [sigma_max]
        step = 2.0 ** (1.0 / Q)
        while sigmas[-1] > sigma_min * step:
            xis.append(xis[-1] / step)
            sigmas.append(sigmas[-1] / step)
        elbow = xis[-1]
    # Below the elbow: constant bandwidth, frequencies spaced evenly to 0.
    for q in range(1, Q):
        xis.append(elbow - q / Q * elbow)
        sigmas.append(sigma_min)
    return xis, sigmas, [_largest_subsampling(x, s) for x, s in zip(xis, sigmas)]


def second_order_pairs(j1, j2):
    """``(n1, n2)`` of every second-order path, in output order: ``j2 > j1``.

    Examples
    --------
    >>> second_order_pairs([0, 0, 1], [0, 1, 2])
    [(0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    """
    return [(a, b) for a in range(len(j1)) for b in range(len(j2)) if j2[b] > j1[a]]


def _half_support(filter_hat):
    """Smallest half-width outside which the filter's l1 mass is at most the criterion.

    None when even half the length does not hold that much.
    """
    h = np.abs(np.fft.ifft(filter_hat))
    half = h.shape[0] // 2
    tail = np.cumsum(h[:half][::-1])[::-1]
    inside = np.flatnonzero(tail <= _SUPPORT_CRITERION)
    return int(inside[0]) + 1 if inside.size else None


def padding(length, T):
    """Padded length (a power of two), left padding, and whether borders will show.

    The signal is padded by three half-supports of the low-pass filter on
    each side, capped where reflection stops (``3 * length - 2`` in all).
    When the signal is too short to hold the low-pass filter's support,
    half its length stands in for the support and the last value is True.

    Examples
    --------
    >>> padding(512, 64)
    (1024, 256, False)
    """
    support = _half_support(morlet_1d(length, None, SIGMA0 / T))
    short = support is None
    if short:
        support = length // 2
    log2_padded = min(
        int(math.ceil(math.log2(length + 6 * support))),
        int(math.floor(math.log2(3 * length - 2))) if length > 1 else 0,
    )
    padded = 2**log2_padded
    return padded, (padded - length) // 2, short


def _fold_sum(filter_hat, k):
    # The filter of a signal decimated by 2**k: its aliased copies summed.
    n = filter_hat.shape[-1]
    return filter_hat.reshape(*filter_hat.shape[:-1], 2**k, n // 2**k).sum(axis=-2)


def _readonly(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@lru_cache(maxsize=16)
def morlet_1d_bank(length, J, Q1, Q2, T, oversampling):
    """The cached filter bank and padding plan for signals of ``length`` samples.

    Parameters
    ----------
    length : int
        Unpadded signal length.
    J : int
        Largest wavelet scale ``2**J`` (sets the smallest bandwidth).
    Q1, Q2 : int
        Wavelets per octave at orders 1 and 2.
    T : int
        Width of the low-pass averaging, in samples; ``T <= length``.
    oversampling : int
        Keep ``2**oversampling`` times more samples than the bandwidths allow.

    Returns
    -------
    bank : Morlet1DBank

    Examples
    --------
    >>> bank = morlet_1d_bank(512, 6, 16, 1, 64, 0)
    >>> len(bank.xi1), len(bank.xi2), bank.padded_length, bank.output_length
    (63, 7, 1024, 8)
    """
    N, pad_left, border_effects = padding(length, T)
    log2_T = int(math.floor(math.log2(T)))
    xi1, sigma1, j1 = wavelet_parameters(J, Q1)
    xi2, sigma2, j2 = wavelet_parameters(J, Q2)
    psi1 = _morlet_bank(N, xi1, sigma1)
    psi2_full = _morlet_bank(N, xi2, sigma2)
    phi_full = morlet_1d(N, None, SIGMA0 / T)
    # The subsamplings a first-order map can arrive with, and the total ones
    # the low-pass sees (see skscatter.scattering._core_1d).
    k1s = sorted({max(min(j, log2_T) - oversampling, 0) for j in j1})
    k_max = max(int(math.log2(N)), 0)
    psi2 = tuple(_readonly(_fold_sum(psi2_full, k)) if k in k1s else None for k in range(max(k1s) + 1))
    phi = tuple(_readonly(_fold_sum(phi_full, k)) for k in range(min(max(log2_T, 0), k_max) + 1))
    start, stop = [pad_left], [pad_left + length]
    for _ in range(max(log2_T, J)):
        # Conservative: a sample that holds any part of the signal is kept.
        start.append((start[-1] + 1) // 2)
        stop.append((stop[-1] + 1) // 2)
    return Morlet1DBank(
        length=length,
        padded_length=N,
        pad_left=pad_left,
        log2_T=log2_T,
        oversampling=oversampling,
        xi1=tuple(xi1),
        sigma1=tuple(sigma1),
        j1=tuple(j1),
        xi2=tuple(xi2),
        sigma2=tuple(sigma2),
        j2=tuple(j2),
        psi1=_readonly(psi1),
        psi2=psi2,
        phi=phi,
        start=tuple(start),
        stop=tuple(stop),
        border_effects=border_effects,
    )


# Filter values below this fraction of a filter's peak are left out by the
# numba kernels: Gaussian tails fall below it within ~10 bandwidths, and what
# is left out cannot move a coefficient by more than a few parts in 1e17.
_NEGLIGIBLE = 1e-20


def band_window(filter_hat):
    """``(start, width)`` of the smallest circular window outside which ``filter_hat`` is negligible.

    Examples
    --------
    >>> band_window(np.array([1.0, 0, 0, 0, 0, 0, 0.5, 2.0]))
    (6, 3)
    """
    n = filter_hat.shape[0]
    keep = np.flatnonzero(np.abs(filter_hat) > _NEGLIGIBLE * np.abs(filter_hat).max(initial=0.0))
    if keep.size == 0:
        return 0, 0
    # The window is the complement of the largest circular gap between kept frequencies.
    gaps = np.diff(np.append(keep, keep[0] + n))
    largest = int(np.argmax(gaps))
    start = int(keep[(largest + 1) % keep.size])
    return start, n - int(gaps[largest]) + 1


_CONVERTED = {}


def filters_for(ops, bank, dtype):
    """``(psi1, psi2, phi)`` of ``bank`` in ``dtype``, laid out and placed for ``ops``.

    The numba kernels read each level as a
    :class:`skscatter._kernels.fourier.BandFilters` (values plus the window
    where each filter is not negligible); the array backends read the
    values as they are, on their device.  Cached per bank, dtype, layout and
    device.
    """
    dtype = np.dtype(dtype)
    key = (id(bank), dtype.str, ops.filter_layout, ops.device)
    hit = _CONVERTED.get(key)
    if hit is not None and hit[0] is bank:
        return hit[1]

    def convert(a):
        if a is None:
            return None
        a = np.ascontiguousarray(np.atleast_2d(a), dtype=dtype)
        if ops.filter_layout == "blocked":
            a.setflags(write=False)
            windows = np.asarray([band_window(f) for f in a], dtype=np.int64).reshape(-1, 2)
            return BandFilters(a, np.ascontiguousarray(windows[:, 0]), np.ascontiguousarray(windows[:, 1]))
        if ops.device is None:
            a.setflags(write=False)
            return a
        return ops.asarray(a)

    converted = (
        convert(bank.psi1),
        tuple(convert(a) for a in bank.psi2),
        tuple(convert(a) for a in bank.phi),
    )
    if len(_CONVERTED) >= 16:
        _CONVERTED.pop(next(iter(_CONVERTED)))
    # The bank is kept alongside so that its id cannot be reused by another.
    _CONVERTED[key] = (bank, converted)
    return converted
