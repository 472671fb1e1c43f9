import numpy as np
import pytest

from skscatter.scattering._filter_bank import (
    _periodised_gabor,
    filter_bank,
    padded_shape,
    periodize_filter_fft,
)
from tests._reference import gabor_naive, periodize_naive


@pytest.mark.parametrize("M, N", [(16, 16), (24, 8), (8, 40)])
@pytest.mark.parametrize(
    "sigma, theta, xi, slant",
    [(0.8, 3 * np.pi / 8, 3 * np.pi / 4, 0.5), (3.2, -np.pi / 2, 3 * np.pi / 16, 0.5), (6.4, 0.0, 0.0, 1.0)],
)
def test_periodised_gabor_matches_direct_sum_over_all_tiles(M, N, sigma, theta, xi, slant):
    # The fast construction skips negligible tiles and separates the plane wave.
    gabor, envelope = _periodised_gabor(M, N, sigma, theta, xi, slant)
    expected = gabor_naive(M, N, sigma, theta, xi, slant)
    peak = np.abs(expected).max()
    np.testing.assert_allclose(gabor, expected, rtol=1e-12, atol=1e-14 * peak)
    expected_envelope = gabor_naive(M, N, sigma, theta, 0.0, slant).real
    np.testing.assert_allclose(envelope, expected_envelope, rtol=1e-12, atol=1e-14 * expected_envelope.max())


@pytest.mark.parametrize("res", [0, 1, 2, 3])
def test_periodize_filter_fft_matches_loops(res, global_random_seed):
    x = np.random.default_rng(global_random_seed).normal(size=(32, 48))
    np.testing.assert_allclose(periodize_filter_fft(x, res), periodize_naive(x, res), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("M, N, J, L", [(40, 40, 2, 8), (64, 32, 3, 6), (48, 80, 4, 4)])
def test_wavelets_have_zero_mean_and_lowpass_unit_gain(M, N, J, L):
    bank = filter_bank(M, N, J, L)
    for level in bank.psi:
        np.testing.assert_allclose(level[:, 0, 0], 0.0, atol=1e-12)
    # The reference normalises with pi ~ 3.1415, so the gain is pi / 3.1415.
    for level in bank.phi:
        np.testing.assert_allclose(level[0, 0], np.pi / 3.1415, rtol=1e-9)


@pytest.mark.parametrize("M, N, J, L", [(40, 40, 2, 8), (64, 64, 3, 8), (128, 96, 4, 8), (64, 64, 3, 4), (64, 64, 3, 16)])
def test_littlewood_paley_sum_is_a_frame_in_the_design_band(M, N, J, L):
    # A(w) = |phi(w)|^2 + 1/2 sum |psi(w)|^2 + |psi(-w)|^2: the wavelet
    # transform of a real image is non-expansive (A <= 1.1 everywhere) and
    # stable (A >= 0.5) for |w| <= 3 pi / 4, the highest wavelet frequency.
    bank = filter_bank(M, N, J, L)
    psi = bank.psi[0]
    psi_flipped = np.roll(psi[:, ::-1, ::-1], 1, axis=(-2, -1))
    lp = bank.phi[0] ** 2 + 0.5 * (psi**2 + psi_flipped**2).sum(axis=0)
    assert lp.max() <= 1.1
    radius = np.hypot(2 * np.pi * np.fft.fftfreq(M)[:, None], 2 * np.pi * np.fft.fftfreq(N)[None, :])
    assert lp[radius <= 3 * np.pi / 4].min() >= 0.5


def test_wavelet_transform_energy_is_bounded(global_random_seed):
    # Parseval: ||x * phi||^2 + sum ||x * psi||^2 <= max(A) ||x||^2 with A
    # the Littlewood-Paley sum, whatever the image.
    rng = np.random.default_rng(global_random_seed)
    bank = filter_bank(40, 40, 2, 8)
    for _ in range(5):
        x = rng.normal(size=(40, 40))
        x_hat = np.fft.fft2(x)
        energy = np.sum(np.abs(np.fft.ifft2(x_hat * bank.phi[0])) ** 2)
        energy += np.sum(np.abs(np.fft.ifft2(x_hat[None] * bank.psi[0])) ** 2)
        assert energy <= 1.1 * np.sum(x**2)


def test_filter_bank_is_cached_read_only_and_typed():
    a = filter_bank(40, 40, 2, 8, np.float32)
    assert a is filter_bank(40, 40, 2, 8, np.float32)
    assert a.psi[0].dtype == np.float32 and a.phi[0].dtype == np.float32
    assert not a.psi[0].flags.writeable
    b = filter_bank(40, 40, 2, 8, np.float64)
    np.testing.assert_allclose(a.psi[0], b.psi[0], rtol=1e-6, atol=1e-7)
    assert [p.shape for p in b.phi] == [(40, 40), (20, 20)]
    assert [p.shape for p in b.psi] == [(16, 40, 40)]


def test_filter_bank_rejects_sizes_not_multiple_of_2_to_the_J():
    with pytest.raises(ValueError, match="multiple of 2"):
        filter_bank(42, 40, 2, 8)


@pytest.mark.parametrize("shape, J, expected", [((32, 32), 2, (40, 40)), ((45, 45), 3, (56, 56)), ((1, 7), 1, (4, 10))])
def test_padded_shape_leaves_2_to_the_J_margin(shape, J, expected):
    assert padded_shape(shape, J) == expected


@pytest.mark.parametrize("M, N, J", [(40, 40, 2), (24, 56, 3), (8, 12, 1), (64, 32, 4)])
def test_lowpass_matrices_equal_fourier_lowpass_decimate_crop(M, N, J, global_random_seed):
    # The separable matrices reproduce: multiply the spectrum by phi, fold
    # by 2**(J - r), inverse FFT, crop one coarse sample of padding.
    rng = np.random.default_rng(global_random_seed)
    bank = filter_bank(M, N, J, 4)
    Ho, Wo = max(1, M // 2**J - 2), max(1, N // 2**J - 2)
    for r in range(J):
        m, n = M // 2**r, N // 2**r
        k = 2 ** (J - r)
        u = rng.normal(size=(m, n))
        spectrum = np.fft.fft2(u) * bank.phi[r]
        folded = spectrum.reshape(k, m // k, k, n // k).mean(axis=(0, 2))
        expected = np.fft.ifft2(folded).real[1 : 1 + Ho, 1 : 1 + Wo]
        got = bank.lowpass_rows[r] @ u @ bank.lowpass_cols[r].T
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
        # Separability of phi, on which the matrices rest.
        a, b = bank.phi[r][:, 0], bank.phi[r][0, :] / bank.phi[r][0, 0]
        np.testing.assert_allclose(np.outer(a, b), bank.phi[r], rtol=0, atol=1e-13)
