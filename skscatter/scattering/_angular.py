"""Wavelets along the orientation axis: the roto-translation second layer.

Oyallon & Mallat (2015) made the second scattering layer joint in space
and angle: the complex maps :math:`W_2 x[\\theta_1, j_2, \\theta_2] =
|x \\star \\psi_{j_1, \\theta_1}| \\star \\psi_{j_2, \\theta_2}` are also
filtered along :math:`\\theta_1` (a periodic axis of ``L`` samples over
:math:`[0, \\pi)`, since :math:`|x \\star \\psi_{j, \\theta + \\pi}| =
|x \\star \\psi_{j, \\theta}|` for real images) before the modulus.  The
filters along the angle are few and fixed, so the whole step is one small
complex matrix applied to the :math:`\\theta_1` axis (see
:func:`angular_filter_bank`); the core applies it with a matrix product.

The filters here are ours, in the spirit of the authors' (two octaves of
Morlet wavelets and a low-pass, periodic, both signs of frequency):

* angular scale ``a = 0, 1``: a Morlet wavelet centred on
  :math:`\\xi_a = \\tfrac{3\\pi}{4} 2^{-a}` radians per sample with a
  Gaussian of standard deviation :math:`\\xi_a / 3.5` in frequency, minus
  the Gaussian at 0 that makes its mean zero; and its mirror
  :math:`\\hat\\psi(-\\omega)` (the other sense of rotation);
* a Gaussian low-pass of standard deviation :math:`\\xi_1 / 3.5`;

all periodised over :math:`2\\pi` and scaled together so that the sum of
their squared responses is at most 1 at every frequency (the step does not
amplify energy).  The outputs of scale 0 keep all ``L`` samples; those of
scale 1 and of the low-pass, whose bandwidth is half as large, keep every
second sample when ``L`` is even.  With ``L = 8``: 8 + 8 + 4 + 4 + 4 = 28
angular outputs per ``(j1, j2, theta2)``, against 8 for the translation
layer.
"""

import numpy as np

# Centre of the finest angular wavelet, radians per orientation sample, and
# the ratio centre / standard deviation of every Gaussian (a Morlet with
# about one octave of bandwidth at half maximum).
XI0 = 0.75 * np.pi
XI_OVER_SIGMA = 3.5
N_SCALES = 2
MIN_ORIENTATIONS = 4


def _periodic_gaussian(omega, centre, sigma):
    """``sum_m exp(-(omega + 2 pi m - centre)**2 / (2 sigma**2))`` over the periods that matter."""
    shifts = 2 * np.pi * np.arange(-3, 4)[:, None]
    return np.exp(-((omega[None, :] + shifts - centre) ** 2) / (2 * sigma**2)).sum(axis=0)


def _responses(L):
    """Frequency responses on the ``L`` angular frequencies ``2 pi k / L``: list of (label, response, step)."""
    omega = 2 * np.pi * np.arange(L) / L
    step = 2 if L % 2 == 0 else 1
    responses = []
    for a in range(N_SCALES):
        xi = XI0 / 2**a
        sigma = xi / XI_OVER_SIGMA
        gauss = _periodic_gaussian(omega, xi, sigma)
        # Subtract the Gaussian at 0 scaled to cancel the response at 0
        # (zero mean: a constant along the angle goes to the low-pass only).
        envelope = _periodic_gaussian(omega, 0.0, sigma)
        psi = gauss - envelope * (_periodic_gaussian(np.zeros(1), xi, sigma)[0] / envelope[0])
        keep = 1 if a == 0 else step
        responses.append((f"k{a}p", psi, keep))
        # The mirror filter: response at -omega, i.e. at index (-k) mod L.
        responses.append((f"k{a}m", psi[(-np.arange(L)) % L], keep))
    sigma_low = XI0 / 2 ** (N_SCALES - 1) / XI_OVER_SIGMA
    responses.append(("lp", _periodic_gaussian(omega, 0.0, sigma_low), step))
    return responses


def angular_filter_bank(L):
    """Complex matrix of the angular filtering and subsampling, and the name of each output row.

    Parameters
    ----------
    L : int
        Orientations of the spatial wavelets (at least 4).

    Returns
    -------
    A : ndarray of shape (R, L), complex128
        ``(A @ w)[r]`` is output ``r`` of the periodic filtering along the
        orientation axis of ``w``: row ``r`` of a filter ``h`` kept at
        sample ``s`` holds ``h[(s * step - theta) mod L]``.
    labels : list of str
        ``"{filter}_a{s}"`` per row: ``k0p`` / ``k0m`` the finest wavelet
        and its mirror, ``k1p`` / ``k1m`` the next, ``lp`` the low-pass;
        ``s`` the angular sample kept.

    Examples
    --------
    >>> A, labels = angular_filter_bank(8)
    >>> A.shape, labels[0], labels[-1]
    ((28, 8), 'k0p_a0', 'lp_a3')
    """
    if L < MIN_ORIENTATIONS:
        raise ValueError(
            f"second_order='roto-translation' filters along the L={L} orientations, which needs "
            f"L >= {MIN_ORIENTATIONS}; use L >= {MIN_ORIENTATIONS} (8 is the authors' choice) "
            "or second_order='translation'."
        )
    responses = _responses(L)
    # Scale every filter by one constant: the largest Littlewood-Paley sum is 1.
    energy = sum(np.abs(r) ** 2 for _, r, _ in responses)
    norm = 1.0 / np.sqrt(energy.max())
    rows, labels = [], []
    theta = np.arange(L)
    for name, response, step in responses:
        h = np.fft.ifft(response * norm)
        for s in range(L // step):
            rows.append(h[(s * step - theta) % L])
            labels.append(f"{name}_a{s}")
    return np.asarray(rows, dtype=np.complex128), labels
