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

The scattering-spectra statistics (:mod:`skscatter.synthesis._spectra`)
use three more: ``gather_support`` and ``scatter_add_support`` (the
frequencies of a support, scaled, read or accumulated) and ``gram``
(``M @ M^H``, by BLAS ``herk`` on the numba backend: half the work of a
general product).
The vector-Jacobian product (:mod:`skscatter.scattering._gradient`) runs
the same steps backwards: ``fft2``, ``filter_fold_adjoint``,
``modulus_adjoint`` and ``irfft2``, each by the same hands as its forward
step.

The same objects serve signals (:mod:`skscatter.scattering._core_1d`):
``rfft``/``ifft`` along the last axis and ``filter_fold_1d`` are the 1D
operations, with the modulus shared.

The numpy and cupy backends share one implementation
(:mod:`skscatter._kernels._fourier_xp`); the numba kernels are its twins.
The filters arrive in the layout each backend declares (``filter_layout``:
``"blocked"`` for the numba kernels, see
:func:`skscatter.scattering._filter_bank.blocked_filter_bank`) and on its
``device``; the caller sets the thread limits (one ``n_threads`` here means
serial kernels and one FFT worker).
"""

from typing import NamedTuple

import numpy as np
import scipy.fft

from . import _fourier_xp


def _interleaved(z):
    """Real view of a C-contiguous complex array: last axis doubled, (re, im) pairs."""
    return z.view(z.real.dtype)


class NumpyFourierOps:
    """Array-expression path on NumPy; FFTs by scipy.fft with ``workers``."""

    name = "numpy"
    xp = np
    filter_layout = "plain"
    device = None

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def __reduce__(self):
        # Pickled by name: a process-based joblib backend rebuilds the ops
        # (and reloads compiled kernels from numba's cache) in the worker.
        return get_fourier_ops, (self.name, self.n_threads)

    def asarray(self, a):
        return np.asarray(a)

    def rfft2(self, x):
        return scipy.fft.rfft2(x, workers=self.n_threads)

    def ifft2(self, x):
        return scipy.fft.ifft2(x, workers=self.n_threads, overwrite_x=True)

    def fft2(self, x, overwrite_x=False):
        return scipy.fft.fft2(x, workers=self.n_threads, overwrite_x=overwrite_x)

    def irfft2(self, x, shape):
        return scipy.fft.irfft2(x, s=shape, workers=self.n_threads, overwrite_x=True)

    def rfft(self, x):
        return scipy.fft.rfft(x, workers=self.n_threads)

    def ifft(self, x):
        return scipy.fft.ifft(x, workers=self.n_threads, overwrite_x=True)

    def filter_fold_1d(self, x_half, filters, k, n):
        """``(R, P, n/k)``: each 1D half spectrum times each filter, folded by ``k``."""
        _check_1d(x_half, filters, k, n, filters.shape[-1] if filters.ndim == 2 else -1, n)
        return _fourier_xp.filter_fold_1d(x_half, filters, k, n, self.xp)

    def filter_fold(self, x_half, filters, k, n_cols):
        """``(R, P, M/k, n_cols/k)``: each half spectrum times each filter, folded by ``k``."""
        return _fourier_xp.filter_fold(x_half, filters, k, n_cols, self.xp)

    def modulus(self, z):
        return _fourier_xp.modulus(z, self.xp)

    def filter_fold_adjoint(self, g, filters, k, n_cols, out):
        """Add to ``out`` ``(R, M, n_cols/2 + 1)`` the half spectrum the adjoint of ``filter_fold`` gives."""
        return _fourier_xp.filter_fold_adjoint(g, filters, k, n_cols, out, self.xp)

    def modulus_adjoint(self, gu, z):
        """``gu * z / |z|`` (0 where ``z = 0``): the adjoint of the modulus at ``z``."""
        return _fourier_xp.modulus_adjoint(gu, z, self.xp)

    def lowpass(self, u, rows, cols):
        """``rows @ u[r] @ cols.T`` for each real map ``u[r]`` (see MorletFilterBank)."""
        return _fourier_xp.lowpass(u, rows, cols, self.xp)

    def gather_support(self, rows, support, scale, out):
        """``out[r, k] = rows[r, support[k]] * scale[k]`` for complex ``(R, P)`` rows."""
        _check_support(rows, support, scale, out)
        _fourier_xp.gather_support(rows, support, scale, out)

    def scatter_add_support(self, out, support, values, scale):
        """``out[r, support[k]] += values[r, k] * scale[k]``; ``support`` holds distinct indices."""
        _check_support(out, support, scale, values)
        _fourier_xp.scatter_add_support(out, support, values, scale)

    def gram(self, M):
        """``M[i] @ M[i]^H`` for complex ``(B, R, s)`` ``M``: Hermitian ``(B, R, R)``."""
        if M.ndim != 3 or M.dtype.kind != "c":
            raise ValueError(f"gram needs a complex (B, R, s) array, not {M.shape} {M.dtype}.")
        return _fourier_xp.gram(M, self.xp)


class NumbaFourierOps(NumpyFourierOps):
    """Fused numba kernels for filtering, folding and modulus."""

    name = "numba"
    filter_layout = "blocked"

    def __init__(self, n_threads=1):
        super().__init__(n_threads)
        # Imported here so that numba compiles (or loads from its cache) only
        # when this backend is used.
        from . import _fourier_numba

        serial = n_threads == 1
        self._filter_fold = _fourier_numba.filter_fold_serial if serial else _fourier_numba.filter_fold
        self._modulus = _fourier_numba.modulus_serial if serial else _fourier_numba.modulus
        self._filter_fold_1d = _fourier_numba.filter_fold_1d_serial if serial else _fourier_numba.filter_fold_1d
        self._filter_fold_adjoint = (
            _fourier_numba.filter_fold_adjoint_serial if serial else _fourier_numba.filter_fold_adjoint
        )
        self._modulus_adjoint = _fourier_numba.modulus_adjoint_serial if serial else _fourier_numba.modulus_adjoint

    def filter_fold(self, x_half, filters, k, n_cols):
        # filters: (P, M * 2 * n_cols), interleaved and fold-blocked for this k.
        R, M, n_half = x_half.shape
        if (
            filters.ndim != 2
            or filters.shape[1] != M * 2 * n_cols
            or n_half != n_cols // 2 + 1
            or M % k
            or n_cols % k
            or filters.dtype != x_half.real.dtype
            or not filters.flags.c_contiguous
        ):
            raise ValueError(
                f"Inconsistent spectrum {x_half.shape} {x_half.dtype}, blocked filters {filters.shape} "
                f"{filters.dtype}, n_cols={n_cols} and fold k={k}."
            )
        x_half = np.ascontiguousarray(x_half)
        out = np.empty((R, filters.shape[0], M // k, n_cols // k), dtype=x_half.dtype)
        P = filters.shape[0]
        self._filter_fold(_interleaved(x_half), filters, k, n_cols, _interleaved(out).reshape(R, P, -1))
        return out

    def filter_fold_adjoint(self, g, filters, k, n_cols, out):
        # filters: (P, M * 2 * n_cols), interleaved and fold-blocked for this
        # k, as in filter_fold; out is written in place, so it must be the
        # contiguous complex array it claims to be.
        R, M, n_half = out.shape
        P = filters.shape[0]
        if (
            g.ndim != 4
            or filters.ndim != 2
            or not isinstance(k, int)
            or k < 1
            or M % k
            or n_cols % k
            or g.shape != (R, P, M // k, n_cols // k)
            or filters.shape[1] != M * 2 * n_cols
            or n_half != n_cols // 2 + 1
            or out.dtype.kind != "c"
            or g.dtype != out.dtype
            or filters.dtype != out.real.dtype
            or not filters.flags.c_contiguous
            or not out.flags.c_contiguous
        ):
            raise ValueError(
                f"Inconsistent spectra {g.shape} {g.dtype}, blocked filters {filters.shape} {filters.dtype}, "
                f"output {out.shape} {out.dtype}, n_cols={n_cols} and fold k={k}."
            )
        g = np.ascontiguousarray(g)
        self._filter_fold_adjoint(
            _interleaved(g).reshape(R, P, -1), filters, k, n_cols, _interleaved(out).reshape(R, M, 2 * n_half)
        )
        return out

    def modulus_adjoint(self, gu, z):
        if z.dtype.kind != "c" or gu.shape != z.shape or gu.dtype != z.real.dtype:
            raise ValueError(f"Inconsistent modulus gradient {gu.shape} {gu.dtype} for {z.shape} {z.dtype}.")
        z = np.ascontiguousarray(z)
        gu = np.ascontiguousarray(gu)
        out = np.empty_like(z)
        self._modulus_adjoint(gu.reshape(-1), _interleaved(z).reshape(-1), _interleaved(out).reshape(-1))
        return out

    def filter_fold_1d(self, x_half, filters, k, n):
        # filters: a BandFilters, each filter with the window of frequencies
        # where it is not negligible.
        values, starts, widths = filters
        _check_1d(x_half, values, k, n, values.shape[-1] if values.ndim == 2 else -1, n)
        P = values.shape[0]
        if (
            not values.flags.c_contiguous
            or starts.shape != (P,)
            or widths.shape != (P,)
            or starts.dtype != np.int64
            or widths.dtype != np.int64
            or (P and (starts.min() < 0 or starts.max() >= n or widths.min() < 0 or widths.max() > n))
        ):
            raise ValueError(f"Band windows out of range for {P} filters of {n} frequencies.")
        x_half = np.ascontiguousarray(x_half)
        R = x_half.shape[0]
        out = np.empty((R, P, n // k), dtype=x_half.dtype)
        self._filter_fold_1d(_interleaved(x_half), values, starts, widths, k, n, _interleaved(out))
        return out

    def modulus(self, z):
        z = np.ascontiguousarray(z)
        out = np.empty(z.shape, dtype=z.real.dtype)
        self._modulus(_interleaved(z).reshape(-1), out.reshape(-1))
        return out

    def gather_support(self, rows, support, scale, out):
        _check_support(rows, support, scale, out)
        _fourier_numba().gather_support(rows, support, scale, out)

    def scatter_add_support(self, out, support, values, scale):
        _check_support(out, support, scale, values)
        _fourier_numba().scatter_add_support(out, support, values, scale)

    def gram(self, M):
        from scipy.linalg import blas

        if M.ndim != 3 or M.dtype.kind != "c":
            raise ValueError(f"gram needs a complex (B, R, s) array, not {M.shape} {M.dtype}.")
        herk = blas.cherk if M.dtype == np.complex64 else blas.zherk
        out = np.empty((M.shape[0], M.shape[1], M.shape[1]), dtype=M.dtype)
        for i, block in enumerate(M):
            # herk fills the upper triangle of A A^H; the lower one is its conjugate.
            upper = np.triu(herk(1.0, block))
            out[i] = upper + np.triu(upper, 1).conj().T
        return out


class CupyFourierOps(NumpyFourierOps):
    """The array-expression path on the GPU; FFTs by cuFFT through cupyx."""

    name = "cupy"

    def __init__(self, n_threads=1):
        super().__init__(n_threads)
        from .._backend import import_cupy

        self.xp = import_cupy("backend='cupy'")
        import cupyx.scipy.fft

        self._fft = cupyx.scipy.fft
        self.device = self.xp.cuda.Device().id

    def asarray(self, a):
        return self.xp.asarray(a)

    def rfft2(self, x):
        return self._fft.rfft2(x)

    def ifft2(self, x):
        return self._fft.ifft2(x, overwrite_x=True)

    def fft2(self, x, overwrite_x=False):
        return self._fft.fft2(x, overwrite_x=overwrite_x)

    def irfft2(self, x, shape):
        return self._fft.irfft2(x, s=shape, overwrite_x=True)

    def rfft(self, x):
        return self._fft.rfft(x)

    def ifft(self, x):
        return self._fft.ifft(x, overwrite_x=True)


class BandFilters(NamedTuple):
    """Real Fourier filters with, for each, the circular window where it is not negligible.

    ``values[p]`` is negligible outside frequencies ``starts[p] ..
    starts[p] + widths[p] - 1`` (mod ``n``).  The numba backend's layout of
    1D filters (``filter_layout == "blocked"``).
    """

    values: np.ndarray
    starts: np.ndarray
    widths: np.ndarray


def _check_1d(x_half, filters, k, n, filter_length, expected_length):
    """Shapes and dtypes of a 1D filter-and-fold, checked before any kernel runs."""
    if (
        x_half.ndim != 2
        or filters.ndim != 2
        or x_half.shape[1] != n // 2 + 1
        or filter_length != expected_length
        or not isinstance(k, int)
        or k < 1
        or n % k
        or x_half.dtype.kind != "c"
        or filters.dtype != x_half.real.dtype
    ):
        raise ValueError(
            f"Inconsistent 1D spectrum {x_half.shape} {x_half.dtype}, filters {filters.shape} {filters.dtype} "
            f"(rows of {expected_length} expected), n={n} and fold k={k}."
        )


def _fourier_numba():
    from . import _fourier_numba as kernels

    return kernels


def _check_support(rows, support, scale, other):
    """A support kernel's operands, checked before any kernel indexes with them."""
    R, P = rows.shape if rows.ndim == 2 else (None, None)
    s = support.shape[0] if support.ndim == 1 else None
    if (
        R is None
        or s is None
        or rows.dtype.kind != "c"
        or other.shape != (R, s)
        or other.dtype != rows.dtype
        or scale.shape != (s,)
        or scale.dtype != rows.real.dtype
        or support.dtype.kind not in "iu"
        or (s and (int(support.min()) < 0 or int(support.max()) >= P))
    ):
        raise ValueError(
            f"Inconsistent support operands: rows {rows.shape} {rows.dtype}, support {support.shape} "
            f"{support.dtype}, scale {scale.shape} {scale.dtype}, values {other.shape} {other.dtype}."
        )


_OPS = {"numpy": NumpyFourierOps, "numba": NumbaFourierOps, "cupy": CupyFourierOps}


def get_fourier_ops(backend, n_threads=1):
    """Return the Fourier operations of ``backend`` ("numpy", "numba" or "cupy")."""
    return _OPS[backend](n_threads)
