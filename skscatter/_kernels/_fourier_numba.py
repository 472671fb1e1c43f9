"""Numba kernels for Fourier-domain filtering, folding and modulus.

Each kernel fuses what an FFT library leaves to separate NumPy passes
(Hermitian extension of an rfft half spectrum, multiplication by a real
filter, aliasing sum, scaling) into one read of the input and one write of
the smaller output.  They match :mod:`skscatter._kernels._fourier_xp`.

Callers allocate ``out`` and check shapes (see
:mod:`skscatter._kernels.fourier`); the kernels index without bounds checks.
Every kernel has a serial twin (``*_serial``) compiled from the same source,
used when a single thread is requested.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _full_spectrum_value(x_half, r, u, v, M, N):
    # Hermitian symmetry of the spectrum of a real signal.
    if v < x_half.shape[2]:
        return x_half[r, u, v]
    return np.conj(x_half[r, (M - u) % M, N - v])


def _filter_fold(x_half, filters, k, out):
    R, M, _ = x_half.shape
    P, _, N = filters.shape
    Mo, No = M // k, N // k
    scale = 1.0 / (k * k)
    for t in prange(R * P):
        r = t // P
        p = t - r * P
        for u in range(Mo):
            for v in range(No):
                acc = 0j
                for i in range(k):
                    uu = u + i * Mo
                    for j in range(k):
                        vv = v + j * No
                        acc += _full_spectrum_value(x_half, r, uu, vv, M, N) * filters[p, uu, vv]
                out[r, p, u, v] = acc * scale


def _lowpass_fold(x_half, phi, k, out):
    R, M, _ = x_half.shape
    N = phi.shape[1]
    Mo, No = M // k, N // k
    n_half_out = out.shape[2]
    scale = 1.0 / (k * k)
    for r in prange(R):
        for u in range(Mo):
            for v in range(n_half_out):
                acc = 0j
                for i in range(k):
                    uu = u + i * Mo
                    for j in range(k):
                        vv = v + j * No
                        acc += _full_spectrum_value(x_half, r, uu, vv, M, N) * phi[uu, vv]
                out[r, u, v] = acc * scale


def _modulus(z, out):
    # z and out are flat views of the same length.
    for t in prange(z.shape[0]):
        out[t] = np.sqrt(z[t].real * z[t].real + z[t].imag * z[t].imag)


filter_fold = njit(parallel=True, cache=True, nogil=True)(_filter_fold)
filter_fold_serial = njit(parallel=False, cache=True, nogil=True)(_filter_fold)
lowpass_fold = njit(parallel=True, cache=True, nogil=True)(_lowpass_fold)
lowpass_fold_serial = njit(parallel=False, cache=True, nogil=True)(_lowpass_fold)
modulus = njit(parallel=True, cache=True, nogil=True)(_modulus)
modulus_serial = njit(parallel=False, cache=True, nogil=True)(_modulus)
