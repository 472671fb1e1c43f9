"""Fourier operations of the scattering core, one object per backend.

The scattering algorithm (:mod:`skscatter.scattering._core`) is written once
against the small interface below; the backend decides who does the work:

========  ===========================  ===================================
backend   FFTs                         filter/fold/modulus
========  ===========================  ===================================
numpy     ``scipy.fft`` (``workers``)  NumPy array expressions
numba     ``scipy.fft`` (``workers``)  fused numba kernels, parallel
cupy      ``cupyx.scipy.fft``          cupy array expressions (same code
                                       as the numpy path)
========  ===========================  ===================================
"""

import numpy as np
import scipy.fft

from . import _fourier_xp
from ._threads import limit_numba_threads


class NumpyFourierOps:
    """Array-expression path on NumPy, FFTs by scipy.fft with ``workers``."""

    name = "numpy"
    xp = np

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def asarray(self, a):
        return np.asarray(a)

    def rfft2(self, x):
        return scipy.fft.rfft2(x, workers=self.n_threads)

    def irfft2(self, x_half, n_cols):
        return scipy.fft.irfft2(x_half, s=(x_half.shape[-2], n_cols), workers=self.n_threads)

    def ifft2(self, x):
        return scipy.fft.ifft2(x, workers=self.n_threads, overwrite_x=True)

    def filter_fold(self, x_half, filters, k, n_cols):
        return _fourier_xp.filter_fold(x_half, filters, k, n_cols, self.xp)

    def lowpass_fold(self, x_half, phi, k, n_cols):
        return _fourier_xp.lowpass_fold(x_half, phi, k, n_cols, self.xp)

    def modulus(self, z):
        return _fourier_xp.modulus(z, self.xp)

    def threads(self):
        """Context in which the heavy calls run (thread limits)."""
        return limit_numba_threads(None)


def _check_fold_shapes(x_half, n_rows_filter, n_cols, k):
    R, M, n_half = x_half.shape
    if M != n_rows_filter or n_half != n_cols // 2 + 1 or M % k or n_cols % k:
        raise ValueError(
            f"Inconsistent spectrum {x_half.shape}, filter rows {n_rows_filter}, "
            f"n_cols={n_cols} and fold k={k}."
        )


class NumbaFourierOps(NumpyFourierOps):
    """Fused numba kernels for filtering, folding and modulus."""

    name = "numba"

    def __init__(self, n_threads=1):
        super().__init__(n_threads)
        # Imported here so that numba compiles (or loads from cache) only
        # when this backend is used.
        from . import _fourier_numba

        serial = n_threads == 1
        self._filter_fold = _fourier_numba.filter_fold_serial if serial else _fourier_numba.filter_fold
        self._lowpass_fold = _fourier_numba.lowpass_fold_serial if serial else _fourier_numba.lowpass_fold
        self._modulus = _fourier_numba.modulus_serial if serial else _fourier_numba.modulus

    def filter_fold(self, x_half, filters, k, n_cols):
        _check_fold_shapes(x_half, filters.shape[1], n_cols, k)
        if filters.shape[2] != n_cols:
            raise ValueError(f"filters have {filters.shape[2]} columns, expected {n_cols}.")
        R, M, _ = x_half.shape
        out = np.empty((R, filters.shape[0], M // k, n_cols // k), dtype=x_half.dtype)
        self._filter_fold(x_half, filters, k, out)
        return out

    def lowpass_fold(self, x_half, phi, k, n_cols):
        _check_fold_shapes(x_half, phi.shape[0], n_cols, k)
        if phi.shape[1] != n_cols:
            raise ValueError(f"phi has {phi.shape[1]} columns, expected {n_cols}.")
        R, M, _ = x_half.shape
        out = np.empty((R, M // k, (n_cols // k) // 2 + 1), dtype=x_half.dtype)
        self._lowpass_fold(x_half, phi, k, out)
        return out

    def modulus(self, z):
        z = np.ascontiguousarray(z)
        out = np.empty(z.shape, dtype=z.real.dtype)
        self._modulus(z.reshape(-1), out.reshape(-1))
        return out

    def threads(self):
        return limit_numba_threads(self.n_threads)


class CupyFourierOps(NumpyFourierOps):
    """The array-expression path on the GPU; FFTs by cuFFT through cupyx."""

    name = "cupy"

    def __init__(self, n_threads=1):
        super().__init__(n_threads)
        from .._backend import import_cupy

        self.xp = import_cupy("backend='cupy'")
        import cupyx.scipy.fft

        self._fft = cupyx.scipy.fft

    def asarray(self, a):
        return self.xp.asarray(a)

    def rfft2(self, x):
        return self._fft.rfft2(x)

    def irfft2(self, x_half, n_cols):
        return self._fft.irfft2(x_half, s=(x_half.shape[-2], n_cols))

    def ifft2(self, x):
        return self._fft.ifft2(x, overwrite_x=True)


_OPS = {"numpy": NumpyFourierOps, "numba": NumbaFourierOps, "cupy": CupyFourierOps}


def get_fourier_ops(backend, n_threads=1):
    """Return the Fourier operations of ``backend`` ("numpy", "numba" or "cupy")."""
    return _OPS[backend](n_threads)
