import numpy as np
import pytest
import scipy.fft

from skscatter._kernels import _fourier_numba, _fourier_xp
from skscatter._kernels.fourier import get_fourier_ops


def _half_spectra(rng, R, M, N, dtype):
    return scipy.fft.rfft2(rng.normal(size=(R, M, N)).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, N, k", [(8, 8, 1), (8, 12, 2), (16, 8, 4), (6, 10, 2)])
def test_filter_fold_kernels_match_array_expressions(dtype, M, N, k, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    x_half = _half_spectra(rng, 3, M, N, dtype)
    filters = rng.normal(size=(4, M, N)).astype(dtype)
    expected = _fourier_xp.filter_fold(x_half, filters, k, N, np)
    for kernel in (_fourier_numba.filter_fold, _fourier_numba.filter_fold_serial):
        out = np.empty((3, 4, M // k, N // k), dtype=x_half.dtype)
        kernel(x_half, filters, k, out)
        np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("M, N, k", [(8, 8, 1), (8, 12, 2), (16, 8, 4)])
def test_lowpass_fold_kernels_match_array_expressions(dtype, M, N, k, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    x_half = _half_spectra(rng, 5, M, N, dtype)
    phi = rng.normal(size=(M, N)).astype(dtype)
    expected = _fourier_xp.lowpass_fold(x_half, phi, k, N, np)
    for kernel in (_fourier_numba.lowpass_fold, _fourier_numba.lowpass_fold_serial):
        out = np.empty(expected.shape, dtype=x_half.dtype)
        kernel(x_half, phi, k, out)
        np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_hermitian_full_rebuilds_the_fft2(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    for M, N in [(6, 8), (5, 7), (4, 1)]:
        x = rng.normal(size=(2, M, N))
        full = _fourier_xp.hermitian_full(np.fft.rfft2(x), N, np)
        np.testing.assert_allclose(full, np.fft.fft2(x), atol=1e-12)


def test_modulus_kernel_is_overflow_safe():
    z = np.array([3e38 + 3e38j, 3 + 4j], dtype=np.complex64)
    out = get_fourier_ops("numba", 1).modulus(z)
    np.testing.assert_allclose(out, np.abs(z), rtol=1e-6)


def test_dispatcher_rejects_inconsistent_shapes():
    ops = get_fourier_ops("numba", 1)
    x_half = np.zeros((1, 8, 5), dtype=np.complex128)
    with pytest.raises(ValueError, match="Inconsistent spectrum"):
        ops.filter_fold(x_half, np.zeros((2, 8, 8)), 3, 8)
    with pytest.raises(ValueError, match="columns"):
        ops.lowpass_fold(x_half, np.zeros((8, 10)), 2, 8)
