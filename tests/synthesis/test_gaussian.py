"""gaussian_synthesis: random phases that keep the mean and the power (and cross) spectra."""

import numpy as np
import pytest
from scipy.stats import kurtosis

from skscatter.datasets import make_turbulence
from skscatter.synthesis._gaussian import gaussian_synthesis


def spectrum(x):
    """|FFT|^2 of the field less its mean (per channel for a trailing channel axis)."""
    axes = (0, 1)
    return np.abs(np.fft.fft2(x - x.mean(axis=axes), axes=axes)) ** 2


def test_gaussian_synthesis_keeps_the_power_spectrum_of_one_grey_example_exactly():
    rng = np.random.default_rng(0)
    # Anisotropic and odd-sized on one side, so a transposed or shifted
    # spectrum, or a lost Nyquist row, would show.
    x = np.cumsum(rng.standard_normal((24, 31)), axis=1) + 5.0
    y = gaussian_synthesis(x, n_samples=3, random_state=0)
    assert y.shape == (3, 24, 31) and y.dtype == np.float64
    for sample in y:
        np.testing.assert_allclose(spectrum(sample), spectrum(x), rtol=1e-10, atol=1e-10 * spectrum(x).max())
        assert sample.mean() == pytest.approx(x.mean(), rel=1e-12)
        assert not np.allclose(sample, x)  # new phases, not the example back
    assert not np.allclose(y[0], y[1])


def test_gaussian_synthesis_averages_the_power_spectra_of_several_examples():
    rng = np.random.default_rng(1)
    scales, means = np.array([1.0, 2.0, 3.0])[:, None, None], np.array([0.0, 1.0, 5.0])[:, None, None]
    X = rng.standard_normal((3, 16, 16)) * scales + means
    y = gaussian_synthesis(X, random_state=0)
    expected = np.mean([np.abs(np.fft.fft2(x - X.mean())) ** 2 for x in X], axis=0)
    expected[0, 0] = 0.0  # the mean is the examples' common mean, not a power
    np.testing.assert_allclose(spectrum(y[0]), expected, rtol=1e-10, atol=1e-10 * expected.max())
    assert y[0].mean() == pytest.approx(X.mean(), rel=1e-12)


def test_gaussian_synthesis_seeds():
    x = np.random.default_rng(2).standard_normal((16, 16))
    np.testing.assert_array_equal(gaussian_synthesis(x, random_state=3), gaussian_synthesis(x, random_state=3))
    assert not np.allclose(gaussian_synthesis(x, random_state=3), gaussian_synthesis(x, random_state=4))


def test_gaussian_synthesis_keeps_colour_cross_spectra_of_one_example():
    rng = np.random.default_rng(3)
    grey = np.cumsum(rng.standard_normal((20, 20)), axis=0)
    # Correlated channels with a relative shift: the cross-spectra carry a phase.
    x = np.stack([grey, 0.5 * np.roll(grey, 3, axis=1) + 0.1 * rng.standard_normal((20, 20)), -grey + 2.0], axis=-1)
    y = gaussian_synthesis(x[None], n_samples=2, random_state=0)
    assert y.shape == (2, 20, 20, 3)
    fx = np.fft.fft2(x - x.mean(axis=(0, 1)), axes=(0, 1))
    for sample in y:
        fy = np.fft.fft2(sample - sample.mean(axis=(0, 1)), axes=(0, 1))
        for c in range(3):
            for d in range(3):
                cross_x, cross_y = fx[..., c] * np.conj(fx[..., d]), fy[..., c] * np.conj(fy[..., d])
                np.testing.assert_allclose(cross_y, cross_x, atol=1e-9 * np.abs(fx).max() ** 2)
        np.testing.assert_allclose(sample.mean(axis=(0, 1)), x.mean(axis=(0, 1)), rtol=1e-12)
        assert not np.allclose(sample, x)


def test_gaussian_synthesis_keeps_colour_power_spectra_of_several_examples():
    X = np.random.default_rng(4).standard_normal((2, 12, 12, 3)) * np.array([1.0, 2.0, 0.5])
    y = gaussian_synthesis(X, random_state=0)[0]
    fX = np.fft.fft2(X - X.mean(axis=(0, 1, 2)), axes=(1, 2))
    expected = np.mean(np.abs(fX) ** 2, axis=0)
    expected[0, 0] = 0.0  # the examples' means differ; the sample has their common mean
    np.testing.assert_allclose(spectrum(y), expected, atol=1e-10 * expected.max())


def test_gaussian_synthesis_of_turbulence_loses_its_heavy_tails():
    # The reason for the baseline: same spectrum, but Gaussian one-point statistics.
    w = make_turbulence(1, 64, random_state=1)[0]
    y = gaussian_synthesis(w, n_samples=4, random_state=0)
    assert kurtosis(w.ravel()) > kurtosis(y.reshape(4, -1), axis=1).max() + 1.0


@pytest.mark.parametrize(
    "X, params, match",
    [
        (np.zeros(5), {}, "X_example has shape \\(5,\\); pass one field"),
        (np.zeros((1, 2, 2, 3, 1)), {}, "X_example has shape"),
        (np.zeros((1, 8)), {}, "at least 2 x 2 pixels"),
        (np.zeros((0, 8, 8)), {}, "at least 2 x 2 pixels"),
        (np.zeros((1, 8, 8, 0)), {}, "channel axis is empty"),
        (np.full((8, 8), np.nan), {}, "NaN or infinity"),
        (np.zeros((8, 8)), dict(n_samples=0), "n_samples=0 .* int >= 1"),
        (np.zeros((8, 8)), dict(n_samples=2.0), "n_samples=2.0"),
        (np.zeros((8, 8)), dict(n_samples=True), "n_samples=True"),
    ],
)
def test_gaussian_synthesis_rejects_bad_input(X, params, match):
    with pytest.raises(ValueError, match=match):
        gaussian_synthesis(X, **params)
