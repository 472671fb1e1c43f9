import numpy as np
import pytest
import scipy.fft

from skscatter._kernels import _fourier_numba, _fourier_xp
from skscatter._kernels.fourier import _interleaved, get_fourier_ops
from skscatter.scattering._filter_bank import fold_blocked


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
        blocked = fold_blocked(np.repeat(filters, 2, axis=-1), k)
        kernel(_interleaved(x_half), blocked, k, N, _interleaved(out).reshape(3, 4, -1))
        np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("shape, k", [((8, 12), 4), ((6, 5), 1), ((12, 8), 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_adjoint_kernels_equal_the_array_expressions(shape, k, dtype, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    M, N = shape
    R, P = 3, 4
    plain = rng.normal(size=(P, M, N)).astype(dtype)
    # The numba kernels read the filters interleaved and in fold-blocked order.
    blocked = fold_blocked(np.repeat(plain, 2, axis=-1), k)
    ctype = np.result_type(dtype, np.complex64)
    g = (rng.normal(size=(R, P, M // k, N // k)) + 1j * rng.normal(size=(R, P, M // k, N // k))).astype(ctype)
    start = scipy.fft.rfft2(rng.normal(size=(R, M, N))).astype(ctype)
    ops = [get_fourier_ops(name, threads) for name, threads in [("numpy", 1), ("numba", 1), ("numba", 2)]]
    expected = ops[0].filter_fold_adjoint(g, plain, k, N, start.copy())
    z = g.copy()
    z[0, 0, 0, 0] = 0  # the subgradient 0 where the modulus is not differentiable
    gu = rng.normal(size=z.shape).astype(dtype)
    expected_modulus = ops[0].modulus_adjoint(gu, z)
    assert expected_modulus[0, 0, 0, 0] == 0
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    for numba_ops in ops[1:]:
        got = numba_ops.filter_fold_adjoint(g, blocked, k, N, start.copy())
        np.testing.assert_allclose(got, expected, **tol)
        np.testing.assert_allclose(numba_ops.modulus_adjoint(gu, z), expected_modulus, **tol)
    with pytest.raises(ValueError, match="Inconsistent spectra"):
        ops[1].filter_fold_adjoint(g, blocked, k, N, start[:, :, :-1].copy())
    with pytest.raises(ValueError, match="Inconsistent spectra"):
        ops[1].filter_fold_adjoint(g, plain, k, N, start.copy())
    with pytest.raises(ValueError, match="Inconsistent modulus gradient"):
        ops[1].modulus_adjoint(gu[:1], z)


def test_hermitian_half_is_the_spectrum_of_the_real_part(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    for M, N in [(6, 8), (5, 7), (4, 1)]:
        G = rng.normal(size=(2, M, N)) + 1j * rng.normal(size=(2, M, N))
        half = _fourier_xp.hermitian_half(G, np)
        np.testing.assert_allclose(np.fft.irfft2(half, s=(M, N)), np.fft.ifft2(G).real, atol=1e-12)


def test_modulus_adjoint_kernel_is_overflow_safe():
    z = np.array([3e38 + 3e38j, 3 + 4j, 0], dtype=np.complex64)
    gu = np.array([2, 5, 7], dtype=np.float32)
    out = get_fourier_ops("numba", 1).modulus_adjoint(gu, z)
    np.testing.assert_allclose(out, [np.sqrt(2) * (1 + 1j), 3 + 4j, 0], rtol=1e-6)


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
        ops.filter_fold(x_half, np.zeros((2, 128)), 3, 8)
    with pytest.raises(ValueError, match="Inconsistent spectrum"):
        ops.filter_fold(x_half, np.zeros((2, 64)), 2, 8)


def test_fold_blocked_lists_the_aliased_blocks():
    a = np.arange(4 * 6).reshape(4, 6)
    blocks = fold_blocked(a, 2).reshape(2, 2, 2, 3)
    np.testing.assert_array_equal(blocks[1, 0], a[2:, :3])
    np.testing.assert_array_equal(blocks[0, 1], a[:2, 3:])
    np.testing.assert_array_equal(blocks.sum(axis=(0, 1)), a.reshape(2, 2, 2, 3).sum(axis=(0, 2)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lowpass_is_the_two_sided_matrix_product(dtype, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    u = rng.normal(size=(6, 10, 14)).astype(dtype)
    rows = rng.normal(size=(3, 10)).astype(dtype)
    cols = rng.normal(size=(4, 14)).astype(dtype)
    expected = np.einsum("ym,rmn,xn->ryx", rows, u, cols)
    got = _fourier_xp.lowpass(u, rows, cols, np)
    np.testing.assert_allclose(got, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    # Each map on its own: batching does not change a bit.
    np.testing.assert_array_equal(_fourier_xp.lowpass(u[2:4], rows, cols, np), got[2:4])


def test_serial_twins_have_their_own_disk_cache_entries(tmp_path):
    # numba keys its disk cache by function, not by compile options: twins
    # compiled from one Python function would load each other's machine code.
    # In a fresh cache, compiling the threaded kernel first must leave the
    # serial twin a cache miss of its own.
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from skscatter._kernels import _fourier_numba as F, _knn_numba as K\n"
        "z = np.zeros(8); out = np.zeros(4)\n"
        "F.modulus(z, out)\n"
        "F.modulus_serial(z, out)\n"
        "print(sum(F.modulus_serial.stats.cache_hits.values()), len(F.modulus_serial.stats.cache_misses))\n"
        "print(K.knn_pool_serial.py_func.__name__, K.knn_pool.py_func.__name__)\n"
    )
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    lines = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert lines[:2] == ["0", "1"]
    assert lines[2] == "_knn_pool_serial" and lines[3] == "_knn_pool"
