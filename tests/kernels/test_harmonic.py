"""The solid harmonic kernels through their dispatcher: results against NumPy references, and the bounds check."""

import math

import numpy as np
import pytest

from skscatter._kernels.harmonic import crop_multiply, modulus_power_sums, power_sums, splat_gaussians


def _crop_reference(x_hat, shape):
    """Rows of the fine spectrum holding the frequencies of a coarser (M2, N2, Oh2) grid."""
    M2, N2, Oh2 = shape
    rows = [np.fft.fftfreq(M2, 1 / M2).astype(int) % x_hat.shape[0]]
    rows.append(np.fft.fftfreq(N2, 1 / N2).astype(int) % x_hat.shape[1])
    return x_hat[np.ix_(rows[0], rows[1], np.arange(Oh2))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("coarse", [(12, 10, 6), (7, 5, 3), (3, 2, 1)])
def test_crop_multiply_is_the_cropped_product(dtype, coarse, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    cdtype = np.result_type(dtype, np.complex64)
    x_hat = (rng.normal(size=(12, 10, 6)) + 1j * rng.normal(size=(12, 10, 6))).astype(cdtype)
    filters = rng.normal(size=(3,) + coarse).astype(dtype)
    out = crop_multiply(x_hat, filters, -1j, 0.5)
    expected = _crop_reference(x_hat, coarse)[None] * filters * (-1j) * 0.5
    assert out.dtype == cdtype and out.shape == filters.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda x, f: (x, np.zeros((1, 13, 10, 6))), r"do not fit the spectrum"),
        (lambda x, f: (x, np.zeros((1, 12, 10, 7))), r"do not fit the spectrum"),
        (lambda x, f: (x, np.zeros((0, 4, 4, 4))), r"non-empty"),
        (lambda x, f: (x, f.astype(np.float32)), r"filters has dtype float32"),
        (lambda x, f: (x.real.copy(), f), r"x_hat has dtype float64"),
        (lambda x, f: (x[:, :, ::2], f[..., :3]), r"x_hat must be C-contiguous"),
        (lambda x, f: (x, f[0]), r"filters has shape .*expected 4 dimensions"),
        (lambda x, f: (list(x), f), r"x_hat must be a NumPy array"),
    ],
)
def test_crop_multiply_refuses_inconsistent_arguments(make, match):
    x = np.zeros((12, 10, 6), dtype=complex)
    f = np.zeros((2, 6, 4, 3))
    x_hat, filters = make(x, f)
    with pytest.raises(ValueError, match=match):
        crop_multiply(x_hat, filters, 1.0, 1.0)


def test_crop_multiply_checks_its_output_and_scalars():
    x, f = np.zeros((8, 8, 5), dtype=complex), np.zeros((2, 4, 4, 3))
    with pytest.raises(ValueError, match=r"out has shape \(2, 4, 4, 2\)"):
        crop_multiply(x, f, 1.0, 1.0, out=np.empty((2, 4, 4, 2), dtype=complex))
    with pytest.raises(ValueError, match=r"out has dtype complex64"):
        crop_multiply(x, f, 1.0, 1.0, out=np.empty((2, 4, 4, 3), dtype=np.complex64))
    read_only = np.empty((2, 4, 4, 3), dtype=complex)
    read_only.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        crop_multiply(x, f, 1.0, 1.0, out=read_only)
    with pytest.raises(ValueError, match="scale=nan"):
        crop_multiply(x, f, 1.0, np.nan)
    with pytest.raises(ValueError, match="phase=inf"):
        crop_multiply(x, f, complex(np.inf, 0), 1.0)


@pytest.mark.parametrize("powers", [[0.5, 1.0, 2.0, 3.0], [0.7, 2.0], [3.0, 0.5], [1.5, 0.5, 2.5, 4.0, 0.7, 16.0]])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_modulus_power_sums(powers, backend):
    f = np.random.default_rng(4).normal(size=(5, 6, 7, 8))
    sums, U_out = modulus_power_sums(f, powers, store=True, backend=backend)
    U = np.sqrt((f**2).sum(0))
    np.testing.assert_allclose(U_out, U, rtol=1e-14)
    np.testing.assert_allclose(sums, [(U**q).sum() for q in powers], rtol=1e-12)
    assert modulus_power_sums(f, powers, backend=backend)[1] is None


def test_modulus_power_sums_float32_keeps_the_fields_dtype():
    f = np.random.default_rng(5).normal(size=(3, 4, 5, 6)).astype(np.float32)
    sums, U = modulus_power_sums(f, [2.0], store=True)
    assert U.dtype == np.float32 and sums.dtype == np.float64
    np.testing.assert_allclose(sums, [(f.astype(np.float64) ** 2).sum()], rtol=1e-6)


@pytest.mark.parametrize(
    ("f", "powers", "match"),
    [
        (np.zeros((2, 3, 3, 3)), [0.0], "finite numbers > 0"),
        (np.zeros((2, 3, 3, 3)), [-1.0, 2.0], "finite numbers > 0"),
        (np.zeros((2, 3, 3, 3)), [np.nan], "finite numbers > 0"),
        (np.zeros((2, 3, 3, 3)), [], "non-empty"),
        (np.zeros((3, 3, 3)), [1.0], "expected 4 dimensions"),
        (np.zeros((0, 3, 3, 3)), [1.0], r"at least one field"),
        (np.zeros((2, 3, 3, 3), dtype=np.int64), [1.0], "dtype int64"),
        (np.zeros((2, 3, 3, 6))[..., ::2], [1.0], "C-contiguous"),
    ],
)
def test_modulus_power_sums_refuses_inconsistent_arguments(f, powers, match):
    with pytest.raises(ValueError, match=match):
        modulus_power_sums(f, powers)


def test_power_sums_signs_and_checks():
    x = np.random.default_rng(1).normal(size=(6, 5, 4))
    got = power_sums(x, [0.5, 1.0, 3.0], [False, True, True])
    np.testing.assert_allclose(got, [np.sum(np.abs(x) ** 0.5), x.sum(), (x**3).sum()], rtol=1e-12)
    with pytest.raises(ValueError, match=r"signed powers \[0.5\] must be integers"):
        power_sums(x, [0.5], [True])
    with pytest.raises(ValueError, match="one flag per power"):
        power_sums(x, [1.0, 2.0], [True])
    with pytest.raises(ValueError, match="x has dtype float32"):
        power_sums(x.astype(np.float32), [1.0], [True])


def test_splat_gaussians_samples_unit_integral_gaussians():
    centres = np.array([[14.3, 13.7, 15.2], [16.0, 14.5, 13.9]])
    weights = np.array([2.0, 0.5])
    out = splat_gaussians(centres, weights, 1.5, 12, np.zeros((32, 30, 31)))
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in out.shape], indexing="ij"), axis=-1)
    expected = sum(
        w * np.exp(-((grid - c) ** 2).sum(-1) / (2 * 1.5**2)) / ((2 * math.pi) ** 1.5 * 1.5**3) for c, w in zip(centres, weights)
    )
    # Truncated at 12 voxels: what is left out is below 1e-12 of the peak.
    np.testing.assert_allclose(out, expected, atol=1e-12 * expected.max())
    assert math.isclose(out.sum(), weights.sum(), rel_tol=1e-9)


@pytest.mark.parametrize(
    ("centres", "weights", "sigma", "radius", "out", "match"),
    [
        ([[2.5, 10, 10]], [1.0], 1.0, 3, (20, 20, 20), r"centre 0 at \[2.5, 10.0, 10.0\] is too close to the border"),
        ([[10, 10, 10], [10, 10, 16.0]], [1.0, 1.0], 1.0, 3, (20, 20, 20), r"centre 1 .* too close to the border"),
        ([[10, 10, 10]], [1.0, 2.0], 1.0, 3, (20, 20, 20), r"expected \(K, 3\) and \(K,\)"),
        ([[10, 10, 10]], [1.0], 0.0, 3, (20, 20, 20), r"sigma=0.0 must be finite and > 0"),
        ([[10, 10, 10]], [1.0], 1.0, -1, (20, 20, 20), r"radius=-1 must be an int >= 0"),
        ([[10, 10, 10]], [1.0], 1.0, True, (20, 20, 20), r"radius=True must be an int >= 0"),
        ([[np.nan, 10, 10]], [1.0], 1.0, 3, (20, 20, 20), r"must be finite"),
        ([[10, 10]], [1.0], 1.0, 3, (20, 20, 20), r"expected \(K, 3\)"),
    ],
)
def test_splat_gaussians_refuses_what_would_write_outside_the_grid(centres, weights, sigma, radius, out, match):
    with pytest.raises(ValueError, match=match):
        splat_gaussians(np.array(centres, dtype=float), np.array(weights), sigma, radius, np.zeros(out))


def test_splat_gaussians_checks_its_output():
    centres, weights = np.array([[5.0, 5, 5]]), np.array([1.0])
    with pytest.raises(ValueError, match="out has dtype float32"):
        splat_gaussians(centres, weights, 1.0, 2, np.zeros((10, 10, 10), dtype=np.float32))
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        splat_gaussians(centres, weights, 1.0, 2, np.zeros((10, 10, 20))[:, :, ::2])
