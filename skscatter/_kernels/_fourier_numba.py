"""Numba kernels for the scattering core: filter + fold, and modulus.

* ``filter_fold`` fuses what an FFT library leaves to separate NumPy passes
  (Hermitian extension of an rfft half spectrum, multiplication by a real
  filter, aliasing sum, scaling) into one pass per signal;
* ``modulus`` is the complex modulus, overflow-safe for float32.

They compute what :mod:`skscatter._kernels._fourier_xp` computes.  Complex
arrays are passed as real views with interleaved ``(re, im)`` pairs
(``z.view(z.real.dtype)``) and real filters with each value repeated twice,
so that inner loops are contiguous real multiply-adds.  Inner loops run over
1D row views with a plain ``range`` index, which LLVM vectorises; computed 2D
indices would keep numba's negative-index checks inside the loop.

Callers allocate ``out`` and check shapes (see
:mod:`skscatter._kernels.fourier`); the kernels index without bounds checks.
Every kernel has a serial twin (``*_serial``) compiled from the same source,
used when one thread is requested.  Each output element is computed by one
thread in a fixed order, so results do not depend on the thread count or on
how the input was split into batches.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, fastmath=True, nogil=True)
def _unfold_hermitian(x_half, n_cols, full):
    """Write the full ``(M, 2 * n_cols)`` interleaved spectrum of one real signal.

    ``x_half`` is its interleaved rfft2 half spectrum, ``(M, 2 * n_half)``;
    the missing columns follow from ``X[u, v] = conj(X[-u mod M, N - v])``.
    """
    M = x_half.shape[0]
    n_half = x_half.shape[1] // 2
    for u in range(M):
        full[u, : 2 * n_half] = x_half[u]
        mirror = x_half[(M - u) % M]
        row = full[u]
        for v in range(n_half, n_cols):
            row[2 * v] = mirror[2 * (n_cols - v)]
            row[2 * v + 1] = -mirror[2 * (n_cols - v) + 1]


def _filter_fold(x_half, filters2, k, n_cols, out):
    # x_half (R, M, 2*n_half); filters2 (P, M, 2*n_cols); out (R, P, Mo, 2*No).
    R, M, _ = x_half.shape
    P = filters2.shape[0]
    Mo, No = M // k, n_cols // k
    width = 2 * No
    scale = 1.0 / (k * k)
    for r in prange(R):
        full = np.empty((M, 2 * n_cols), dtype=x_half.dtype)
        _unfold_hermitian(x_half[r], n_cols, full)
        for p in range(P):
            f = filters2[p]
            for u in range(Mo):
                o = out[r, p, u]
                o[:] = 0.0
                for i in range(k):
                    row = u + i * Mo
                    for j in range(k):
                        x_row = full[row, j * width : (j + 1) * width]
                        f_row = f[row, j * width : (j + 1) * width]
                        for w in range(width):
                            o[w] += x_row[w] * f_row[w]
                if k > 1:
                    for w in range(width):
                        o[w] *= scale


def _modulus(z, out):
    # z: interleaved (re, im) pairs, flat (2n,); out: (n,).  Squares are
    # summed in float64, where float32 values cannot overflow; a float64
    # modulus beyond ~1e154 becomes inf, which the caller reports.
    for t in prange(out.shape[0]):
        re = np.float64(z[2 * t])
        im = np.float64(z[2 * t + 1])
        out[t] = np.sqrt(re * re + im * im)


filter_fold = njit(parallel=True, cache=True, fastmath=True, nogil=True)(_filter_fold)
filter_fold_serial = njit(parallel=False, cache=True, fastmath=True, nogil=True)(_filter_fold)
modulus = njit(parallel=True, cache=True, nogil=True)(_modulus)
modulus_serial = njit(parallel=False, cache=True, nogil=True)(_modulus)
