"""Statistics that compare a synthesised field with its example.

Each takes one field ``(H, W)`` or several ``(n, H, W)`` of the same kind
(pooled: averaged spectra, pooled pixels, pooled increments), periodic:

* :func:`radial_power_spectrum` -- second order, what a Gaussian model keeps;
* :func:`power_spectrum_error` -- the distance between two such spectra;
* :func:`histogram_distance` -- one-point statistics (Wasserstein-1);
* :func:`increment_kurtosis` -- the intermittency of increments across
  scales, which a Gaussian field lacks (zero at every lag).

None of them is a statistic that the scattering models fit, so they measure
how well a model generalises beyond what it matched.
"""

from numbers import Real

import numpy as np
import scipy.stats

# No import of skscatter here: the module is self-contained NumPy and SciPy.

__all__ = ["histogram_distance", "increment_kurtosis", "power_spectrum_error", "radial_power_spectrum"]


def radial_power_spectrum(x):
    r"""Isotropic power spectrum, averaged over rings of integer wavenumber.

    Parameters
    ----------
    x : array-like of shape (H, W) or (n, H, W)
        One field or several (their spectra are averaged); periodic.

    Returns
    -------
    k : ndarray of shape (min(H, W) // 2,)
        Wavenumbers 1, 2, ..., ``min(H, W) // 2``, in cycles per
        ``min(H, W)`` pixels (cycles per image for a square field).
    power : ndarray of shape (min(H, W) // 2,)
        Mean of :math:`|\hat{x}(\xi)|^2 / (HW)` over the frequencies
        :math:`\xi` of the ring :math:`\mathrm{round}(\min(H, W) |\xi|) = k`
        (:math:`\xi` in cycles per pixel), averaged over the fields.

    Notes
    -----
    With this normalisation, white noise of variance :math:`\sigma^2` has
    :math:`E[\text{power}] = \sigma^2` at every :math:`k`, and by Parseval
    the variance of a field is the sum of ``power`` times the ring sizes
    (plus the corners beyond the largest ring).  The mean (:math:`k = 0`)
    and the corners :math:`|\xi| > 1/2` in a square field are left out:
    their rings are not full circles.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis._field_stats import radial_power_spectrum
    >>> x = np.random.default_rng(0).standard_normal((8, 64, 64))
    >>> k, power = radial_power_spectrum(x)
    >>> k.shape, bool(np.allclose(power, 1.0, atol=0.3))
    ((32,), True)
    """
    x = _check_fields(x, "x")
    n, height, width = x.shape
    side = min(height, width)
    spectrum = np.mean(np.abs(np.fft.fft2(x)) ** 2, axis=0) / (height * width)
    xi = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :])
    ring = np.rint(side * xi).astype(np.intp).ravel()
    k = np.arange(1, side // 2 + 1)
    keep = (ring >= 1) & (ring <= k[-1])
    counts = np.bincount(ring[keep], minlength=k[-1] + 1)[1:]
    sums = np.bincount(ring[keep], weights=spectrum.ravel()[keep], minlength=k[-1] + 1)[1:]
    return k, sums / counts


def power_spectrum_error(x, ref, *, log=True, floor=1e-10):
    r"""Relative error of the radial power spectrum of ``x`` against that of ``ref``.

    Parameters
    ----------
    x : array-like of shape (H, W) or (n, H, W)
        Field(s) to assess.
    ref : array-like of shape (H, W) or (m, H, W)
        Reference field(s), of the same ``H`` and ``W``.
    log : bool, default=True
        True: the root mean square over the wavenumbers of
        :math:`\log(P_x(k) / P_\mathrm{ref}(k))`, every scale weighing the
        same (for :math:`P_x = (1 + \epsilon) P_\mathrm{ref}`, about
        :math:`\epsilon`).  False: :math:`\|P_x - P_\mathrm{ref}\|_2 /
        \|P_\mathrm{ref}\|_2`, dominated by the largest scales, which carry
        most of the power in natural fields.
    floor : float, default=1e-10
        With ``log=True``, both spectra are raised to at least ``floor``
        times the largest ring power of ``ref`` before the log: rings that
        are empty to rounding (such as the wavenumbers above ``size / 3``
        that :func:`~skscatter.datasets.make_turbulence` truncates) then
        compare as equal instead of as ratios of rounding errors, while
        power where ``ref`` has none still counts, as :math:`\log(P_x /
        \text{floor})`.  In ``[0, 1)``.

    Returns
    -------
    error : float
        0 for equal spectra.

    Raises
    ------
    ValueError
        Fields of different sizes, ``floor`` outside ``[0, 1)``, or a
        ``ref`` without power at any wavenumber; with ``log=True``, a ring
        without power left after the floor (``floor=0``).

    See Also
    --------
    radial_power_spectrum : The spectra :math:`P` compared.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis._field_stats import power_spectrum_error
    >>> x = np.random.default_rng(0).standard_normal((64, 64))
    >>> round(power_spectrum_error(2 * x, x), 6)  # log(4)
    1.386294
    >>> round(power_spectrum_error(2 * x, x, log=False), 6)
    3.0
    """
    x, ref = _check_fields(x, "x"), _check_fields(ref, "ref")
    if x.shape[1:] != ref.shape[1:]:
        raise ValueError(
            f"x has fields of {x.shape[1:]} pixels and ref of {ref.shape[1:]}; compare fields of one size."
        )
    if not (isinstance(floor, Real) and 0 <= floor < 1):
        raise ValueError(f"floor={floor!r} is not a fraction of the largest power; pass a float in [0, 1).")
    (_, p), (_, p_ref) = radial_power_spectrum(x), radial_power_spectrum(ref)
    if not p_ref.max() > 0:
        raise ValueError("ref has no power at any wavenumber (a constant field); compare against a varying field.")
    if not log:
        return float(np.linalg.norm(p - p_ref) / np.linalg.norm(p_ref))
    lowest = floor * p_ref.max()
    p, p_ref = np.maximum(p, lowest), np.maximum(p_ref, lowest)
    if np.any(p <= 0) or np.any(p_ref <= 0):
        raise ValueError("a wavenumber ring has no power in x or ref, so its log ratio is undefined; pass floor > 0.")
    return float(np.sqrt(np.mean(np.log(p / p_ref) ** 2)))


def histogram_distance(x, ref):
    r"""Wasserstein-1 distance between the pixel-value distributions of ``x`` and ``ref``.

    Parameters
    ----------
    x : array-like of shape (H, W) or (n, H, W)
        Field(s) to assess; all pixels pooled.
    ref : array-like of shape (H', W') or (m, H', W')
        Reference field(s); all pixels pooled (sizes may differ from ``x``).

    Returns
    -------
    distance : float
        :math:`W_1 = \int |F_x(t) - F_\mathrm{ref}(t)|\, dt`, with
        :math:`F` the empirical distribution functions: in the units of the
        pixel values, with no normalisation (so it sees a wrong mean or
        variance as well as a wrong shape; a constant shift :math:`c` gives
        exactly :math:`|c|`).

    See Also
    --------
    scipy.stats.wasserstein_distance : The computation.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis._field_stats import histogram_distance
    >>> x = np.random.default_rng(0).standard_normal((32, 32))
    >>> round(histogram_distance(x + 0.5, x), 12)
    0.5
    """
    x, ref = _check_fields(x, "x"), _check_fields(ref, "ref")
    return float(scipy.stats.wasserstein_distance(x.ravel(), ref.ravel()))


def increment_kurtosis(x, lags=None):
    r"""Excess kurtosis of the field's increments at several lags.

    Parameters
    ----------
    x : array-like of shape (H, W) or (n, H, W)
        Field(s), periodic; increments of all fields and both axes pooled.
    lags : sequence of int or None, default=None
        Lags :math:`\ell` in pixels, each in ``[1, min(H, W) - 1]``.  None:
        the powers of 2 up to ``min(H, W) // 2``.

    Returns
    -------
    lags : ndarray of shape (n_lags,)
        The lags used.
    kurtosis : ndarray of shape (n_lags,)
        :math:`E[\delta^4] / E[\delta^2]^2 - 3` of the increments
        :math:`\delta = x(p + \ell e) - x(p)`, :math:`e` each unit vector,
        wrapping round the periodic field; 0 for a Gaussian field, and NaN
        for a field whose increments at that lag are all 0.

    Raises
    ------
    ValueError
        A lag that is not an int in ``[1, min(H, W) - 1]``.

    Notes
    -----
    Over a whole period the increments have mean 0, so no mean is
    subtracted.  Intermittent fields (turbulence, edges) have increments with
    heavy tails at small lags, more Gaussian at large ones: a statistic of
    shape across scales that a power spectrum does not see.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis._field_stats import increment_kurtosis
    >>> x = np.random.default_rng(0).standard_normal((4, 64, 64))
    >>> lags, kurt = increment_kurtosis(x)
    >>> lags.tolist(), bool(np.all(np.abs(kurt) < 0.2))
    ([1, 2, 4, 8, 16, 32], True)
    """
    x = _check_fields(x, "x")
    side = min(x.shape[1:])
    if lags is None:
        lags = 2 ** np.arange(int(np.log2(side // 2)) + 1)
    else:
        lags = np.atleast_1d(np.asarray(lags))
        is_int = np.issubdtype(lags.dtype, np.integer)
        if lags.size == 0 or lags.ndim != 1 or not is_int or lags.min() < 1 or lags.max() >= side:
            raise ValueError(f"lags={lags.tolist()!r} are not lags of these fields; pass ints in [1, {side - 1}].")
    out = np.empty(len(lags))
    for i, lag in enumerate(lags):
        delta = np.concatenate([(np.roll(x, -lag, axis=axis) - x).ravel() for axis in (1, 2)])
        m2 = np.mean(delta**2)
        out[i] = np.mean(delta**4) / m2**2 - 3.0 if m2 > 0 else np.nan
    return lags.astype(np.intp), out


def _check_fields(x, name):
    """x as float64 (n, H, W); an (H, W) field becomes n = 1."""
    x = np.asarray(x, dtype=np.float64)
    shape = x.shape
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or min(x.shape) < 1 or min(x.shape[1:]) < 2:
        raise ValueError(
            f"{name} has shape {shape}; pass one field (H, W) or several (n, H, W), at least 2 x 2 pixels."
        )
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinity; pass finite fields.")
    return x
