"""The Gaussian baseline of synthesis: random phases under the example's power spectrum.

A stationary Gaussian field is described by its mean and power spectrum
alone; drawing phases at random keeps both and loses everything else
(vortices, edges, heavy tails).  This is the model the scattering models are
compared with.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

# No import of skscatter here: the module is self-contained NumPy.

__all__ = ["gaussian_synthesis"]


def gaussian_synthesis(X_example, *, n_samples=1, random_state=None):
    r"""Random-phase fields with the mean and power spectrum of the example(s).

    Each sample keeps the modulus of the example's Fourier transform and
    draws its phases uniformly at random (random phase noise, [1]_), so it
    is a periodic field with exactly the example's mean and power spectrum,
    and otherwise as random as a Gaussian field can be: the baseline that
    shows what a model of higher-order statistics adds.

    Parameters
    ----------
    X_example : array-like of shape (H, W), (n, H, W) or (n, H, W, C)
        One grey field; ``n`` grey fields of one texture (their power spectra
        are averaged); or ``n`` fields of ``C`` channels (e.g. colour, C=3).
        Finite, at least 2 x 2 pixels; treated as periodic.
    n_samples : int, default=1
        Number of fields drawn.
    random_state : int, RandomState instance or None, default=None
        Seeds the phases.

    Returns
    -------
    X_new : ndarray of shape (n_samples, H, W) or (n_samples, H, W, C)
        Fields in float64; grey input gives grey output, a channel axis keeps it.

    Raises
    ------
    ValueError
        ``X_example`` with another number of dimensions, too small, or not
        finite; ``n_samples`` not a positive int.

    Notes
    -----
    With :math:`\hat{x}_i` the discrete Fourier transform of example
    :math:`i` less its mean, a grey sample is

    .. math::

        \hat{y}(k) = \Big(\frac{1}{n} \sum_i |\hat{x}_i(k)|^2\Big)^{1/2}
                     e^{i \theta(k)},

    plus the examples' mean (:math:`\hat{y}(0) = 0`), where :math:`\theta` is the phase of the transform of
    white noise: uniform, independent between frequencies and odd
    (:math:`\theta(-k) = -\theta(k)`), so that :math:`y` is real.  Its power
    spectrum :math:`|\hat{y}|^2` is the examples' average exactly, not only
    in expectation.

    Channels share the random phase :math:`\theta(k)` and keep their
    relative phases: channel :math:`c` gets modulus :math:`S_{cc}(k)^{1/2}`
    and phase :math:`\arg S_{cr}(k) + \theta(k)`, with
    :math:`S(k) = \frac{1}{n} \sum_i \hat{x}_i(k) \hat{x}_i(k)^*` the
    averaged cross-spectral matrix and :math:`r` the channel of largest
    power at :math:`k`.  For one example this is :math:`\hat{x}(k)
    e^{i(\theta(k) - \arg \hat{x}_r(k))}`, so every power and cross spectrum
    is kept exactly; for several, the power spectra are kept exactly and
    the cross-spectra keep their phases but become fully coherent
    (:math:`|\hat{y}_c \hat{y}_d^*| = (S_{cc} S_{dd})^{1/2} \geq |S_{cd}|`).

    References
    ----------
    .. [1] B. Galerne, Y. Gousseau and J.-M. Morel, "Random phase textures:
       theory and synthesis", IEEE Trans. Image Process. 20(1):257-267,
       2011. https://doi.org/10.1109/TIP.2010.2052822

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis._gaussian import gaussian_synthesis
    >>> x = np.random.default_rng(0).standard_normal((32, 32)).cumsum(axis=1)
    >>> y = gaussian_synthesis(x, n_samples=2, random_state=0)
    >>> y.shape, y.dtype
    ((2, 32, 32), dtype('float64'))
    >>> bool(np.allclose(np.abs(np.fft.fft2(y[0] - y[0].mean())), np.abs(np.fft.fft2(x - x.mean()))))
    True
    """
    X, grey = _check_examples(X_example)
    if isinstance(n_samples, (bool, np.bool_)) or not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples={n_samples!r} is not a number of fields; pass an int >= 1.")
    rng = check_random_state(random_state)
    n, height, width, n_channels = X.shape

    mean = X.mean(axis=(0, 1, 2))  # per channel
    X_hat = np.fft.fft2(X - mean, axes=(1, 2))  # (n, H, W, C)
    power = np.mean(np.abs(X_hat) ** 2, axis=0)  # (H, W, C): the averaged S_cc
    if n_channels == 1:
        spectrum = np.sqrt(power)
    else:
        # Reference channel per frequency: the strongest, chosen on a
        # power symmetrised in k <-> -k so that k and -k pick the same one
        # and the spectrum stays Hermitian (the output stays real).
        mirrored = np.roll(power[::-1, ::-1], 1, axis=(0, 1))
        ref = np.argmax(power + mirrored, axis=-1)  # (H, W)
        X_ref = np.take_along_axis(X_hat, ref[None, :, :, None], axis=-1)  # (n, H, W, 1)
        cross = np.mean(X_hat * np.conj(X_ref), axis=0)  # S_cr, (H, W, C)
        spectrum = np.sqrt(power) * _unit_phase(cross)
    # Several examples with different means leave power at k = 0; the mean
    # of the samples is the examples' mean, added back below.
    spectrum[0, 0] = 0.0

    out = np.empty((n_samples, height, width, n_channels))
    for i in range(n_samples):
        # The phase of white noise's transform: uniform, independent, odd.
        phase = _unit_phase(np.fft.fft2(rng.standard_normal((height, width))))
        out[i] = np.fft.ifft2(spectrum * phase[:, :, None], axes=(0, 1)).real + mean
    return out[..., 0] if grey else out


def _unit_phase(z):
    """z / |z|, and 1 where z = 0 (a zero modulus makes the phase irrelevant)."""
    modulus = np.abs(z)
    return np.divide(z, modulus, out=np.ones_like(z), where=modulus > 0)


def _check_examples(X_example):
    """(n, H, W, C) float64 examples, and whether the input was grey."""
    X = np.asarray(X_example, dtype=np.float64)
    if X.ndim == 2:
        X, grey = X[None, :, :, None], True
    elif X.ndim == 3:
        X, grey = X[:, :, :, None], True
    elif X.ndim == 4:
        grey = False
    else:
        raise ValueError(
            f"X_example has shape {X.shape}; pass one field (H, W), several fields (n, H, W) "
            "or fields with channels (n, H, W, C)."
        )
    if min(X.shape[:3]) < 1 or min(X.shape[1:3]) < 2:
        raise ValueError(f"X_example has shape {np.shape(X_example)}; each field needs at least 2 x 2 pixels.")
    if X.shape[3] < 1:
        raise ValueError(f"X_example has shape {np.shape(X_example)}; the channel axis is empty.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X_example contains NaN or infinity; pass finite fields.")
    return X, grey
