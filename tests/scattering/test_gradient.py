"""ScatteringTransformer.vjp and inverse_transform: against finite differences and the adjoint identity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits

from skscatter import ScatteringTransformer
from skscatter._kernels.fourier import get_fourier_ops
from skscatter.scattering._core import pad_images
from skscatter.scattering._filter_bank import filter_bank, filter_bank_for
from skscatter.scattering._gradient import lowpass_adjoint, pad_images_adjoint, wavelet_adjoint

OPS = get_fourier_ops("numpy", 1)
# Every CPU backend's adjoint steps, serial and threaded.
CPU_OPS = [OPS, get_fourier_ops("numba", 1), get_fourier_ops("numba", 2)]


def _complex(rng, shape):
    return rng.normal(size=shape) + 1j * rng.normal(size=shape)


def _inner(a, b):
    # The real inner product of complex arrays seen as real vectors.
    return float(np.real(np.vdot(a, b)))


# -- the adjoint identity <A v, w> = <v, A^H w>, step by step -----------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), J=st.integers(1, 3), H=st.integers(1, 12), W=st.integers(1, 12))
def test_each_linear_step_is_adjoint_to_its_forward(seed, J, H, W):
    rng = np.random.default_rng(seed)
    M, N = 2**J * (H // 2**J + 2), 2**J * (W // 2**J + 2)
    bank = filter_bank(M, N, J, 2, np.float64)

    # Reflect padding.
    v, w = rng.normal(size=(2, H, W)), rng.normal(size=(2, M, N))
    lhs = _inner(pad_images(v, (M, N), np), w)
    assert lhs == pytest.approx(_inner(v, pad_images_adjoint(w, (H, W), (M, N), np)), rel=1e-12, abs=1e-12)

    # Low-pass, decimation and crop.
    rows, cols = bank.lowpass_rows[0], bank.lowpass_cols[0]
    v, w = rng.normal(size=(2, M, N)), rng.normal(size=(2, rows.shape[0], cols.shape[0]))
    lhs = _inner(OPS.lowpass(v, rows, cols), w)
    assert lhs == pytest.approx(_inner(v, lowpass_adjoint(w, rows, cols, np)), rel=1e-12, abs=1e-12)

    # Wavelet filtering, folding by k and inverse FFT, from the real maps at
    # resolution r (r = 1: the second order's), on every CPU backend.
    for r in range(max(J - 1, 1)):
        j = J - 1
        k = 2 ** (j - r)
        m, n = M // 2**r, N // 2**r
        v = rng.normal(size=(2, m, n))
        Wz = _complex(rng, (2, 2, m // k, n // k))
        for ops in CPU_OPS:
            psi = filter_bank_for(ops, M, N, J, 2, np.float64).psi[r][j * 2 : (j + 1) * 2]
            lhs = _inner(ops.ifft2(ops.filter_fold(ops.rfft2(v), psi, k, n)), Wz)
            half = wavelet_adjoint(Wz.copy(), psi, k, n, np.zeros((2, m, n // 2 + 1), complex), ops)
            rhs = _inner(v, ops.irfft2(half, (m, n)))
            assert lhs == pytest.approx(rhs, rel=1e-10, abs=1e-12), ops.name


# -- the whole product against central finite differences ----------------------


def _directional_check(est, X, rng, h=1e-6):
    Y = est.transform(X)
    w = rng.normal(size=Y.shape)
    v = rng.normal(size=X.shape)
    grad = est.vjp(X, w)
    assert grad.shape == X.shape and grad.dtype == np.float64
    fd = (np.sum(est.transform(X + h * v) * w) - np.sum(est.transform(X - h * v) * w)) / (2 * h)
    exact = float(np.sum(grad * v))
    assert abs(fd - exact) <= 1e-6 * max(abs(fd), 1e-3 * np.linalg.norm(grad) * np.linalg.norm(v))


@pytest.mark.parametrize(
    "params, shape",
    [
        (dict(J=1, L=4), (2, 8, 8)),
        (dict(J=2, L=4, max_order=1), (2, 12, 10)),
        (dict(J=2, L=3), (1, 16, 16, 3)),
        (dict(J=2, L=2, channel_layout="first"), (2, 2, 9, 11)),
        (dict(J=2, L=4, output="mean"), (2, 16, 16)),
        (dict(J=2, L=4, log=True, log_eps=1e-2), (2, 16, 16)),
        (dict(J=3, L=2, output="mean", log=True), (1, 24, 20, 2)),
        (dict(J=2, L=4, second_order="roto-translation"), (2, 16, 16)),
        (dict(J=3, L=5, second_order="roto-translation", log=True), (1, 20, 18, 2)),
    ],
)
def test_vjp_equals_finite_differences(params, shape, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=shape)
    est = ScatteringTransformer(**params).fit(X)
    _directional_check(est, X, rng)


def test_vjp_of_flat_input_and_float32(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(3, 16 * 16))
    est = ScatteringTransformer(J=2, L=4, shape=(16, 16)).fit(X)
    w = rng.normal(size=est.transform(X).shape)
    grad = est.vjp(X, w)
    assert grad.shape == X.shape
    grad32 = est.vjp(X.astype(np.float32), w)
    assert grad32.dtype == np.float32
    np.testing.assert_allclose(grad32, grad, rtol=0, atol=1e-4 * np.abs(grad).max())
    # Rows are independent: one sample's gradient does not depend on the others.
    np.testing.assert_allclose(est.vjp(X[1:2], w[1:2]), grad[1:2], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.set_params(n_jobs=2, batch_size=1).vjp(X, w), grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "params, shape",
    [
        (dict(J=3, L=3), (2, 20, 17, 3)),
        (dict(J=2, L=4, output="mean", log=True), (3, 16, 16)),
        (dict(J=1, L=2, max_order=1, channel_layout="first"), (2, 2, 5, 7)),
        (dict(J=2, L=4, second_order="roto-translation"), (2, 16, 16, 3)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_vjp_equals_the_array_expressions(params, shape, dtype, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=shape).astype(dtype)
    est = ScatteringTransformer(backend="numpy", **params).fit(X)
    w = rng.normal(size=est.transform(X).shape).astype(dtype)
    expected = est.vjp(X, w)
    assert expected.dtype == dtype
    scale = np.abs(expected).max()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    # Serial kernels; threaded kernels in one batch; batches side by side.
    for execution in [dict(n_jobs=1), dict(n_jobs=2, batch_size=64), dict(n_jobs=2, batch_size=1)]:
        got = est.set_params(backend="numba", **execution).vjp(X, w)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale, err_msg=str(execution))


def test_vjp_refuses_a_cotangent_of_the_wrong_shape_or_not_finite():
    X = np.random.default_rng(0).normal(size=(2, 8, 8))
    est = ScatteringTransformer(J=1, L=2).fit(X)
    with pytest.raises(ValueError, match=r"shape \(2, 5\).*output is \(2, 48\).*shaped like transform's output"):
        est.vjp(X, np.ones((2, 5)))
    with pytest.raises(ValueError, match="finite real numbers"):
        est.vjp(X, np.full((2, 48), np.nan))


def test_cupy_vjp_computes_the_same_function(fake_cupy, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = rng.normal(size=(2, 12, 12, 3))
    est = ScatteringTransformer(J=2, L=2).fit(X)
    w = rng.normal(size=est.transform(X).shape)
    cpu = est.vjp(X, w)
    np.testing.assert_allclose(est.set_params(backend="cupy").vjp(X, w), cpu, rtol=1e-12, atol=1e-14)


def test_inverse_transform_reaches_the_coefficients_of_a_digit():
    X = load_digits().data[:2] / 16
    est = ScatteringTransformer(J=1, L=8, shape=(8, 8)).fit(X)
    S = est.transform(X)
    X_hat = est.inverse_transform(S, random_state=0)
    assert X_hat.shape == X.shape
    error = np.linalg.norm(est.transform(X_hat) - S, axis=1) / np.linalg.norm(S, axis=1)
    assert (error < 1e-3).all()
    with pytest.raises(ValueError, match="max_iter=0 must be a positive int"):
        est.inverse_transform(S, max_iter=0)
