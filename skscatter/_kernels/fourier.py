"""Fourier operations of the scattering core, one object per backend.

The scattering algorithm (:mod:`skscatter.scattering._core`) is written once
against the small interface below; the backend decides who does the work:

========  ===========================  ==============================  ==========
backend   FFTs                         filter + fold, modulus          low-pass
========  ===========================  ==============================  ==========
numpy     ``scipy.fft`` (``workers``)  NumPy array expressions         BLAS GEMM
numba     ``scipy.fft`` (``workers``)  fused numba kernels, parallel   BLAS GEMM
cupy      ``cupyx.scipy.fft``          cupy array expressions          cuBLAS
========  ===========================  ==============================  ==========

The numpy and cupy backends share one implementation
(:mod:`skscatter._kernels._fourier_xp`); the numba kernels are its twins.
"""

from contextlib import ExitStack
from functools import lru_cache

import numpy as np
import scipy.fft
from threadpoolctl import threadpool_limits

from ..scattering._filter_bank import filter_bank, map_filter_bank
from . import _fourier_xp
from ._threads import limit_numba_threads


def fold_blocked(a, k):
    """Reorder ``(..., M, W)`` into its ``k x k`` aliased blocks, flattened: ``(..., M * W)``.

    Block ``(i, j)`` holds rows ``i*M/k .. (i+1)*M/k`` and columns
    ``j*W/k .. (j+1)*W/k``; blocks follow one another in C order.
    """
    *lead, M, W = a.shape
    blocks = a.reshape(*lead, k, M // k, k, W // k)
    return np.ascontiguousarray(np.swapaxes(blocks, -3, -2)).reshape(*lead, M * W)


@lru_cache(maxsize=8)
def _blocked_filter_bank(M, N, J, L, dtype):
    # Wavelet j is only ever applied at resolution r <= j, folded by
    # k = 2**(j - r): store it interleaved (each value twice, to multiply
    # (re, im) pairs) and in fold-blocked order for that k.
    def prepare(level, r):
        out = np.empty((J * L, level.shape[1] * 2 * level.shape[2]), dtype=level.dtype)
        for j in range(J):
            k = 2 ** max(j - r, 0)
            out[j * L : (j + 1) * L] = fold_blocked(np.repeat(level[j * L : (j + 1) * L], 2, axis=-1), k)
        out.setflags(write=False)
        return out

    bank = filter_bank(M, N, J, L, dtype)
    blocked = map_filter_bank(bank, lambda a: a)
    return blocked._replace(psi=tuple(prepare(level, r) for r, level in enumerate(bank.psi)))


@lru_cache(maxsize=8)
def _device_filter_bank(M, N, J, L, dtype, device_id):
    import cupy

    with cupy.cuda.Device(device_id):
        return map_filter_bank(filter_bank(M, N, J, L, dtype), cupy.asarray)


def _interleaved(z):
    """Real view of a C-contiguous complex array: last axis doubled, (re, im) pairs."""
    return z.view(z.real.dtype)


class NumpyFourierOps:
    """Array-expression path on NumPy; FFTs by scipy.fft with ``workers``."""

    name = "numpy"
    xp = np

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def __reduce__(self):
        # Pickled by name: a process-based joblib backend rebuilds the ops
        # (and reloads compiled kernels from numba's cache) in the worker.
        return get_fourier_ops, (self.name, self.n_threads)

    def asarray(self, a):
        return np.asarray(a)

    def filter_bank(self, M, N, J, L, dtype):
        """The Morlet filter bank in the layout and on the device this backend uses."""
        return filter_bank(M, N, J, L, dtype)

    def rfft2(self, x):
        return scipy.fft.rfft2(x, workers=self.n_threads)

    def ifft2(self, x):
        return scipy.fft.ifft2(x, workers=self.n_threads, overwrite_x=True)

    def filter_fold(self, x_half, filters, k, n_cols):
        """``(R, P, M/k, n_cols/k)``: each half spectrum times each filter, folded by ``k``."""
        return _fourier_xp.filter_fold(x_half, filters, k, n_cols, self.xp)

    def modulus(self, z):
        return _fourier_xp.modulus(z, self.xp)

    def lowpass(self, u, rows, cols):
        """``rows @ u[r] @ cols.T`` for each real map ``u[r]`` (see MorletFilterBank)."""
        return _fourier_xp.lowpass(u, rows, cols, self.xp)

    def threads(self):
        """Context in which the heavy calls run: BLAS limited to ``n_threads``.

        Unbounded BLAS threads would also spin and steal cores from the FFT
        workers and numba threads.
        """
        return threadpool_limits(self.n_threads, user_api="blas")


class NumbaFourierOps(NumpyFourierOps):
    """Fused numba kernels for filtering, folding and modulus."""

    name = "numba"

    def __init__(self, n_threads=1):
        super().__init__(n_threads)
        # Imported here so that numba compiles (or loads from its cache) only
        # when this backend is used.
        from . import _fourier_numba

        serial = n_threads == 1
        self._filter_fold = _fourier_numba.filter_fold_serial if serial else _fourier_numba.filter_fold
        self._modulus = _fourier_numba.modulus_serial if serial else _fourier_numba.modulus

    def filter_bank(self, M, N, J, L, dtype):
        return _blocked_filter_bank(M, N, J, L, np.dtype(dtype))

    def filter_fold(self, x_half, filters, k, n_cols):
        # filters come from self.filter_bank: (P, M * 2 * n_cols), interleaved
        # and fold-blocked for this k.
        R, M, n_half = x_half.shape
        if filters.shape[1] != M * 2 * n_cols or n_half != n_cols // 2 + 1 or M % k or n_cols % k:
            raise ValueError(
                f"Inconsistent spectrum {x_half.shape}, blocked filters {filters.shape}, "
                f"n_cols={n_cols} and fold k={k}."
            )
        x_half = np.ascontiguousarray(x_half)
        out = np.empty((R, filters.shape[0], M // k, n_cols // k), dtype=x_half.dtype)
        P = filters.shape[0]
        self._filter_fold(_interleaved(x_half), filters, k, n_cols, _interleaved(out).reshape(R, P, -1))
        return out

    def modulus(self, z):
        z = np.ascontiguousarray(z)
        out = np.empty(z.shape, dtype=z.real.dtype)
        self._modulus(_interleaved(z).reshape(-1), out.reshape(-1))
        return out

    def threads(self):
        stack = ExitStack()
        stack.enter_context(super().threads())
        stack.enter_context(limit_numba_threads(self.n_threads))
        return stack


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

    def filter_bank(self, M, N, J, L, dtype):
        return _device_filter_bank(M, N, J, L, np.dtype(dtype), self.xp.cuda.Device().id)

    def rfft2(self, x):
        return self._fft.rfft2(x)

    def ifft2(self, x):
        return self._fft.ifft2(x, overwrite_x=True)


_OPS = {"numpy": NumpyFourierOps, "numba": NumbaFourierOps, "cupy": CupyFourierOps}


def get_fourier_ops(backend, n_threads=1):
    """Return the Fourier operations of ``backend`` ("numpy", "numba" or "cupy")."""
    return _OPS[backend](n_threads)
