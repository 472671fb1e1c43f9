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
# Gaussian values below exp(-_GAUSSIAN_EXPONENT) (about 1e-20) of their
# peak are left at zero: the kernels leave out what is below 1e-20 of a
# filter's peak anyway (_NEGLIGIBLE, below), and float64 coefficients cannot
# resolve it.
_GAUSSIAN_EXPONENT = 46.0
# Time Gaussians below exp(-_TIME_EXPONENT) of their peak half a period
# away do not overlap their periodic copies (see _morlet_bank).
_TIME_EXPONENT = 46.0
# Padding a block of windows to its widest costs less than a block of its
# own while the widths differ by this many bins (see _groups).
_GROUP_SLACK = 256
# Amplitude below which phi's tail may be cut: it sets the padding.
_SUPPORT_CRITERION = 1e-3
# Where the l1 norm of a filter has a closed form: Gaussians
# narrow enough that the periods left out of a spectrum weigh below
# exp(-1 / (2 * 0.1**2)) = exp(-50) of it, and wavelets whose low-pass
# correction is zero (see _closed_form_norms).
_CLOSED_FORM_SIGMA = 0.1
# Terms of the series that gives the norms of the wavelets near zero
# frequency (see _series_norms).
_SERIES_TERMS = 40
_SERIES_HARMONICS = 12


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


def _periods(sigmas):
    # Frequency periods on each side of [0, 1) so that the Gaussians of
    # widths sigmas left out are below _PERIOD_EPS.
    reach = np.sqrt(-2.0 * np.square(sigmas) * math.log(_PERIOD_EPS))
    return np.minimum(np.ceil(reach + 1), _MAX_PERIODS).astype(np.int64)


def _windows(n, centres, sigmas, periods):
    """First and last + 1 bin, on the unfolded axis, where each row's Gaussian is evaluated.

    Bins are the samples ``i / n + p`` numbered ``p * n + i``, over the
    periods ``1 - P .. P - 1``, where the Gaussian exceeds
    ``exp(-_GAUSSIAN_EXPONENT)`` of its peak: the narrow wavelets cover a few
    bins of the ``2 P - 1`` periods, and the rest would be exponentials of
    nothing.
    """
    reach = math.sqrt(2.0 * _GAUSSIAN_EXPONENT) * sigmas
    lo = np.maximum(np.ceil((centres - reach) * n).astype(np.int64), (1 - periods) * n)
    hi = np.minimum(np.floor((centres + reach) * n).astype(np.int64) + 1, periods * n)
    return lo, np.maximum(hi, lo)


# 0, 1, 2, ... as floats: the bins of a window counted from its start.
_RAMP = np.arange(1 << 14, dtype=np.float64)
_RAMP.setflags(write=False)


def _ramp(size):
    global _RAMP
    if size > _RAMP.shape[0]:
        ramp = np.arange(1 << (size - 1).bit_length(), dtype=np.float64)
        ramp.setflags(write=False)
        _RAMP = ramp
    return _RAMP[:size]


def _groups(widths):
    """Runs of ``widths`` (sorted, widest first) evaluated as one padded block each.

    A row joins the block of the widest one while it is at least half as
    wide or the block is narrow: what padding wastes then costs less than
    the NumPy calls of one more block.
    """
    bounds, first = [], 0
    for i in range(1, len(widths)):
        if 2 * widths[i] < widths[first] and widths[first] - widths[i] > _GROUP_SLACK:
            bounds.append((first, i))
            first = i
    bounds.append((first, len(widths)))
    return bounds


def _dilations(centres, sigmas, lo, hi):
    """For each term (widest first), ``(parent, e)`` when it is the parent's Gaussian dilated by ``2**e``, else None.

    A term whose centre and width are exactly ``2**-e`` times those of a
    wider term has, at bin ``k``, the value the wider one has at bin
    ``2**e k``: the same floating-point exponent, since scaling by a power
    of two is exact.  This holds for the bank of one wavelet per octave
    (``Q = 1``, kymatio's default at the second order), whose rows, and
    low-pass corrections, are each the previous one at half the scale; it
    then takes every other sample of the wider window instead of an
    exponential per sample.  The parent's window must hold the bins
    ``2**e k`` of the term's window.
    """
    # Two terms are dilations of each other when their widths and centres
    # scaled to the width's binary exponent agree.
    family, parents = {}, []
    for t, (c, s, start, stop) in enumerate(zip(centres, sigmas, lo, hi)):
        mantissa, exponent = math.frexp(s)
        members = family.setdefault((mantissa, math.ldexp(c, -exponent)), [])
        found = None
        for p, p_exponent in reversed(members):
            e = p_exponent - exponent
            if e > 0 and lo[p] <= start << e and (stop - 1) << e < hi[p]:
                found = (p, e)
                break
        parents.append(found)
        members.append((t, exponent))
    return parents


def _add_gaussians(filters, rows, centres, sigmas, lo, hi, factors):
    """``filters[rows[i]] += factors[i] * exp(-(k / n - centres[i])**2 / (2 sigmas[i]**2))`` on each window, folded.

    The window ``k = lo[i] .. hi[i] - 1`` of each term, counted from its
    start, is a row of a padded block, so that every operation broadcasts
    one value per term (no per-sample copies of the parameters); terms of
    similar widths share a block, and a term that is a wider one dilated by
    a power of two reads its samples (see :func:`_dilations`).  Each window
    is then written onto ``[0, 1)`` one period at a time, in increasing
    order, as contiguous slices: no sample needs an index of its own.
    """
    n = filters.shape[1]
    widths = hi - lo
    order = np.argsort(-widths, kind="stable")
    centres, sigmas, lo, hi = centres[order], sigmas[order], lo[order], hi[order]
    starts, stops = lo.tolist(), hi.tolist()
    parents = _dilations(centres.tolist(), sigmas.tolist(), starts, stops)
    direct = np.array([t for t, parent in enumerate(parents) if parent is None], dtype=np.int64)
    widths = widths[order][direct]
    # The window's first bin relative to the centre, in bins.
    offsets = (lo[direct] - centres[direct] * n)[:, None]
    scales = (-0.5 / np.square(sigmas[direct] * n))[:, None]
    values = [None] * len(parents)
    for a, b in _groups(widths.tolist()):
        block = _ramp(int(widths[a])) + offsets[a:b]
        np.square(block, out=block)
        block *= scales[a:b]
        # The padding beyond a narrower window would reach exponents whose
        # exp is subnormal or zero, which the vectorised exp computes two
        # orders of magnitude slower; no sample of a window is below
        # -_GAUSSIAN_EXPONENT, so the clip changes none of them.
        np.maximum(block, -2 * _GAUSSIAN_EXPONENT, out=block)
        np.exp(block, out=block)
        for t, v in zip(direct[a:b].tolist(), block):
            values[t] = v
    for t, parent in enumerate(parents):
        if parent is not None:
            p, e = parent
            values[t] = values[p][(starts[t] << e) - starts[p] :: 1 << e][: stops[t] - starts[t]]
    # Rows still all zeros take their first piece stored, not added: one
    # pass that also applies the factor, without reading the row.
    untouched = [True] * filters.shape[0]
    for v, r, start, stop, factor in zip(values, rows[order].tolist(), starts, stops, factors[order].tolist()):
        row, used = filters[r], 0
        if untouched[r] and 0 <= start and stop <= n:
            # The common case: one piece, in the first period, on zeros.
            np.multiply(v[: stop - start], factor, out=row[start:stop])
            untouched[r] = False
            continue
        while start < stop:
            p = start // n
            end = min(stop, (p + 1) * n)
            piece = v[used : used + end - start]
            if untouched[r]:
                np.multiply(piece, factor, out=row[start - p * n : end - p * n])
                untouched[r] = False
            else:
                row[start - p * n : end - p * n] += piece * factor
            used += end - start
            start = end


def _at_zero_frequency(n, centres, sigmas, lo, hi):
    """Each row's periodised Gaussian at bin 0: the periods whose sample ``p`` is in its window."""
    p = np.arange(1 - _MAX_PERIODS, _MAX_PERIODS)
    inside = (lo[:, None] <= p * n) & (p * n < hi[:, None])
    return np.where(inside, np.exp(-((p - centres[:, None]) ** 2) / (2 * sigmas[:, None] ** 2)), 0.0).sum(axis=1)


def _series_pairs():
    # (2 - [m == 0]) b_j b_{j+m} of the binomial series of (1 - z)**(1/2),
    # for j < _SERIES_TERMS and m < _SERIES_HARMONICS: a constant matrix.
    binomial = np.ones(_SERIES_TERMS + _SERIES_HARMONICS)
    binomial[1:] = np.cumprod((np.arange(len(binomial) - 1) - 0.5) / np.arange(1, len(binomial)))
    j = np.arange(_SERIES_TERMS)[:, None]
    m = np.arange(_SERIES_HARMONICS)[None, :]
    pairs = binomial[j] * binomial[j + m] * np.where(m == 0, 1.0, 2.0)
    pairs.setflags(write=False)
    return pairs


_SERIES_PAIRS = _series_pairs()


def _series_norms(xis, sigmas, kappas):
    """l1 norms in time of ``G - kappa L`` from the Fourier series of their modulus (see :func:`_morlet_bank`).

    In time the row is ``sqrt(2 pi) sigma exp(-2 pi**2 sigma**2 t**2)
    (exp(i theta) - kappa)`` with ``theta = 2 pi xi t``.  The modulus
    ``|1 - kappa exp(-i theta)|`` is ``sum_m a_m cos(m theta)``, with
    ``a_m`` from the binomial series of ``(1 - z)**(1/2)``, and the sum over
    ``t`` of the Gaussian times ``cos(2 pi m xi t)`` is, by Poisson
    summation, the periodised Gaussian at frequency ``m xi``.  With
    ``kappa <= 1/2`` the first 40 binomial terms and 12 harmonics leave out
    less than ``2**-80``.
    """
    # a[r, m] = (2 - [m == 0]) kappa_r**m sum_j b_j b_{j+m} (kappa_r**2)**j
    powers = np.square(kappas)[:, None] ** np.arange(_SERIES_TERMS)
    m = np.arange(_SERIES_HARMONICS)[None, :]
    a = (powers @ _SERIES_PAIRS) * kappas[:, None] ** m
    # The Gaussian periodised in frequency, at m xi: the periods that matter.
    harmonics = m * xis[:, None]
    nearest = np.rint(harmonics)[..., None] + np.arange(-2, 3)
    at = np.exp(-((harmonics[..., None] - nearest) ** 2) / (2 * sigmas[:, None, None] ** 2)).sum(axis=-1)
    return (a * at).sum(axis=1)


def _one_period_morlet(n, xi, sigma):
    # A Gaussian so narrow that one period holds it (P == 1): the low-pass is
    # centred on fftfreq's signed frequencies.
    low = np.exp(-(np.fft.fftfreq(n) ** 2) / (2 * sigma**2))
    if not xi:
        return low
    gabor = np.exp(-((np.arange(n, dtype=np.float64) / n - xi) ** 2) / (2 * sigma**2))
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
    """``np.stack([morlet_1d(n, xi, sigma) ...])``, built and normalised in one batch.

    Each row is ``G - kappa L``: ``G`` the Gaussian of width ``sigma``
    around ``xi`` summed over periods, ``L`` the same around 0 and ``kappa
    = G[0] / L[0]`` (0 for the low-pass rows), divided by its l1 norm in
    time.  Both are known before any row is built, so the samples of every
    window are added to the bank already divided, and bins outside the
    windows are never written.  The norms come from time: a Gaussian
    periodised in frequency is, in time, a sampled Gaussian of width
    ``1 / (2 pi sigma)`` periodised over ``n`` samples (Poisson summation),
    so ``L`` is positive there (its norm is ``L[0]``), ``G`` is the same
    times ``exp(2 i pi xi t)``, and the norm of ``G - kappa L`` is ``L[0]``
    when ``kappa`` is 0 and a short series otherwise
    (:func:`_series_norms`).  This holds while the time Gaussian does not
    overlap its own periodic copies and the periods left out of the
    spectrum are negligible; the rows where either fails (the widest
    wavelets, short signals) are normalised with one real FFT each once
    built.
    """
    centres = np.array([xi if xi else 0.0 for xi in xis], dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    periods = _periods(sigmas)
    R = len(centres)
    zeros = np.zeros(R)
    # The rows' Gaussians and their low-pass twins, in one pass each.
    both = np.concatenate([centres, zeros]), np.concatenate([sigmas, sigmas]), np.concatenate([periods, periods])
    lo, hi = _windows(n, *both)
    at_zero = _at_zero_frequency(n, both[0], both[1], lo, hi)
    lo, low_lo, hi, low_hi = lo[:R], lo[R:], hi[:R], hi[R:]
    low_at_zero = at_zero[R:]
    several = periods > 1
    kappa = np.where(several & (centres != 0), at_zero[:R] / low_at_zero, 0.0)
    # Half a period in time is many widths: the time Gaussian there, and
    # what it overlaps with its copies, is below exp(-46) (1e-20) of its peak.
    apart = (math.pi * n * sigmas) ** 2 / 2 >= _TIME_EXPONENT
    closed = several & (sigmas <= _CLOSED_FORM_SIGMA) & ((centres == 0) | apart & (kappa <= 0.5))
    norms = np.where(closed, low_at_zero, 1.0)
    series = np.flatnonzero(closed & (kappa != 0))
    if series.size:
        norms[series] = _series_norms(centres[series], sigmas[series], kappa[series])
    filters = np.zeros((R, n))
    # Each row's Gaussian, and minus kappa times the low-pass of the same
    # width on its own window where kappa is not zero.
    fix = np.flatnonzero(kappa != 0)
    _add_gaussians(
        filters,
        np.concatenate([np.arange(R), fix]),
        np.concatenate([centres, zeros[fix]]),
        np.concatenate([sigmas, sigmas[fix]]),
        np.concatenate([lo, low_lo[fix]]),
        np.concatenate([hi, low_hi[fix]]),
        np.concatenate([1 / norms, -(kappa / norms)[fix]]),
    )
    # kappa makes the wavelet's mean zero: exactly, not up to the rounding
    # of the two exponentials, which matters where the Gaussian is narrower
    # than a bin and its other samples are tiny.
    filters[fix, 0] = 0.0
    rest = np.flatnonzero(~closed)
    if rest.size:
        part = filters[rest]
        for r, row in zip(rest, part):
            if periods[r] == 1:
                row[:] = _one_period_morlet(n, centres[r], sigmas[r])
        # A wavelet narrower than a frequency bin can cancel against its
        # low-pass correction to exactly zero: it stays zero, not NaN.
        norms = _l1_in_time(part)
        part /= np.where(norms > 0, norms, 1.0)[:, None]
        filters[rest] = part
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


def _low_pass_support(n, sigma):
    """:func:`_half_support` of the low-pass of width ``sigma`` on ``n`` samples, from its closed form.

    Where the low-pass has a closed-form norm (see :func:`_morlet_bank`),
    it is in time the sampled Gaussian ``exp(-2 pi**2 sigma**2 t**2)``
    periodised over ``n`` samples, divided by its sum over all integers, so
    its tail masses come from samples of that Gaussian instead of an inverse
    FFT of the built filter.  Where a tail mass is so close to the criterion
    that rounding in the FFT could decide differently, the filter is built
    and transformed as before.
    """
    half = n // 2
    if sigma <= _CLOSED_FORM_SIGMA and half > 0:
        # Beyond `reach` samples the Gaussian is below exp(-_TIME_EXPONENT).
        reach = int(math.sqrt(2 * _TIME_EXPONENT) / (2 * math.pi * sigma)) + 2
        g = np.exp(-2 * (math.pi * sigma) ** 2 * np.square(np.arange(reach + 1, dtype=np.float64)))
        total = 2 * g.sum() - g[0]
        if reach < half:
            # No periodic copy reaches the first half.
            h = g
        else:
            # Sample t of the period sums g(|t + q n|) over q = -Q .. Q - 1.
            Q = reach // n + 1
            padded = np.zeros(Q * n + 1)
            padded[: reach + 1] = g
            h = np.concatenate([padded[Q * n : 0 : -1], padded[: Q * n]]).reshape(2 * Q, n).sum(axis=0)[:half]
        tail = np.cumsum(h[::-1])[::-1] / total
        inside = np.flatnonzero(tail <= _SUPPORT_CRITERION)
        if not inside.size and h.size == half and tail[-1] - _SUPPORT_CRITERION > 1e-9:
            return None
        if inside.size and inside[0] > 0:
            i = int(inside[0])
            if min(_SUPPORT_CRITERION - tail[i], tail[i - 1] - _SUPPORT_CRITERION) > 1e-9:
                return i + 1
    return _half_support(morlet_1d(n, None, sigma))


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
    support = _low_pass_support(length, SIGMA0 / T)
    short = support is None
    if short:
        support = length // 2
    log2_padded = min(
        int(math.ceil(math.log2(length + 6 * support))),
        int(math.floor(math.log2(3 * length - 2))) if length > 1 else 0,
    )
    padded = 2**log2_padded
    return padded, (padded - length) // 2, short


def _folds(filter_hat, k_max):
    """The filters of a signal decimated by ``2**k``, ``k = 0 .. k_max``: their aliased copies summed.

    Each level folds the previous one in half, so all of them cost what the
    first fold would.
    """
    levels = [filter_hat]
    for _ in range(k_max):
        half = levels[-1].shape[-1] // 2
        levels.append(levels[-1][..., :half] + levels[-1][..., half:])
    return levels


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
    # Both orders and the low-pass in one batch: rows are independent, and
    # one batch has one set of NumPy calls instead of three.
    everything = _morlet_bank(N, xi1 + xi2 + [None], sigma1 + sigma2 + [SIGMA0 / T])
    psi1, psi2_full, phi_full = everything[: len(xi1)], everything[len(xi1) : -1], everything[-1]
    # The subsamplings a first-order map can arrive with, and the total ones
    # the low-pass sees (see skscatter.scattering._core_1d).
    k1s = sorted({max(min(j, log2_T) - oversampling, 0) for j in j1})
    k_max = max(int(math.log2(N)), 0)
    psi2 = tuple(_readonly(a) if k in k1s else None for k, a in enumerate(_folds(psi2_full, max(k1s))))
    phi = tuple(_readonly(a) for a in _folds(phi_full, min(max(log2_T, 0), k_max)))
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


def band_windows(filters_hat):
    """``(starts, widths)``: for each row, the smallest circular window outside which it is negligible.

    The window is the complement of the largest circular gap between the
    row's frequencies above ``_NEGLIGIBLE`` of its peak (the first such gap
    on ties); ``(0, 0)`` for a row of zeros.  Most rows keep one run of
    frequencies, whose window is the run itself; the others (bands around
    zero frequency, folded filters) have the gaps of all their kept
    frequencies in one array, and each row's largest is found by one
    ``maximum.reduceat``.

    Examples
    --------
    >>> band_windows(np.array([[1.0, 0, 0, 0, 0, 0, 0.5, 2.0], [0, 0, 3.0, 0, 1.0, 0, 0, 0]]))
    (array([6, 2]), array([3, 3]))
    """
    n = filters_hat.shape[1]
    magnitude = np.abs(filters_hat)
    keep = magnitude > _NEGLIGIBLE * magnitude.max(axis=1, initial=0.0, keepdims=True)
    widths = np.count_nonzero(keep, axis=1).astype(np.int64)
    starts = np.argmax(keep, axis=1).astype(np.int64)
    last = n - 1 - np.argmax(keep[:, ::-1], axis=1)
    # Every frequency kept: every gap is 1 and the first is after bin 0.
    full = widths == n
    starts[full] = 1 % n
    # One run (not wrapping around): the window is the run.
    others = np.flatnonzero((widths > 0) & ~full & (last - starts + 1 != widths))
    if others.size == 0:
        return starts, widths
    rows, bins = np.nonzero(keep[others])  # by row, then by frequency
    counts = np.bincount(rows, minlength=others.size)
    first = np.cumsum(counts) - counts
    last = first + counts - 1
    # The gap after each kept frequency: to the next one, or around to the row's first.
    gaps = np.empty(bins.size, dtype=np.int64)
    gaps[:-1] = np.diff(bins)
    gaps[last] = bins[first] + n - bins[last]
    # Largest gap per row, the first one on ties: gap and reversed position in one key.
    m = bins.size
    best = np.maximum.reduceat(gaps * m + (m - 1 - np.arange(m)), first)
    largest = m - 1 - best % m
    starts[others] = bins[np.where(largest == last, first, largest + 1)]
    widths[others] = n - best // m + 1
    return starts, widths


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
            return BandFilters(a, *band_windows(a))
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
