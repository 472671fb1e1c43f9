"""Field statistics against closed forms."""

import numpy as np
import pytest

from skscatter.datasets import make_turbulence
from skscatter.synthesis._field_stats import (
    histogram_distance,
    increment_kurtosis,
    power_spectrum_error,
    radial_power_spectrum,
)
from skscatter.synthesis._gaussian import gaussian_synthesis


def ring_size(n, k):
    """Number of frequencies (fy, fx), integers in [-n/2, n/2), with round(|f|) = k."""
    f = np.fft.fftfreq(n, 1 / n)
    return int(np.sum(np.rint(np.hypot(f[:, None], f[None, :])) == k))


@pytest.mark.parametrize("ky, kx", [(0, 5), (3, 4), (4, -3)])
def test_radial_power_spectrum_of_a_plane_wave_is_one_ring(ky, kx):
    n, amplitude = 64, 1.5
    rows, cols = np.mgrid[:n, :n]
    x = amplitude * np.cos(2 * np.pi * (ky * rows + kx * cols) / n + 0.3)
    k, power = radial_power_spectrum(x)
    np.testing.assert_array_equal(k, np.arange(1, 33))
    # |x_hat|^2 = (A n^2 / 2)^2 at the two frequencies +-(ky, kx), both |k| = 5.
    expected = np.zeros(32)
    expected[4] = 2 * (amplitude * n**2 / 2) ** 2 / n**2 / ring_size(n, 5)
    np.testing.assert_allclose(power, expected, atol=1e-12 * expected.max())


def test_radial_power_spectrum_of_a_non_square_field_counts_cycles_per_short_side():
    cols = np.arange(64)
    x = np.tile(np.cos(2 * np.pi * 4 * cols / 64), (32, 1))  # 4 cycles per 64 pixels = 2 per 32
    k, power = radial_power_spectrum(x)
    assert k.tolist() == list(range(1, 17)) and np.argmax(power) == 1


def test_radial_power_spectrum_of_white_noise_is_flat_at_its_variance():
    sigma = 2.0
    x = sigma * np.random.default_rng(0).standard_normal((8, 64, 64))
    _, power = radial_power_spectrum(x)
    assert power.mean() == pytest.approx(sigma**2, rel=0.03)
    np.testing.assert_allclose(power, sigma**2, rtol=0.5)
    # Averaging over fields equals the spectrum of their concatenation's mean.
    np.testing.assert_allclose(power, np.mean([radial_power_spectrum(f)[1] for f in x], axis=0), rtol=1e-12)


def test_power_spectrum_error_closed_forms():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 32, 32)).cumsum(axis=2)
    assert power_spectrum_error(x, x) == 0.0
    assert power_spectrum_error(2 * x, x) == pytest.approx(np.log(4), rel=1e-12)
    assert power_spectrum_error(2 * x, x, log=False) == pytest.approx(3.0, rel=1e-12)
    # The Gaussian baseline keeps the spectrum exactly, a shift keeps it too.
    assert power_spectrum_error(gaussian_synthesis(x[0], random_state=0), x[0]) < 1e-10
    assert power_spectrum_error(np.roll(x, 5, axis=1) + 3.0, x) < 1e-10
    # White noise against a red field: far apart.
    assert power_spectrum_error(rng.standard_normal((32, 32)), x) > 1.0


def test_power_spectrum_error_floors_rings_empty_to_rounding():
    # make_turbulence truncates wavenumbers >= size / 3: those rings hold
    # rounding errors only, which the floor keeps out of the log ratio.
    w = make_turbulence(2, 32, n_steps=5, random_state=0)
    g = gaussian_synthesis(w, random_state=0)  # the averaged spectrum, exactly
    assert radial_power_spectrum(w)[1][-1] < 1e-20 * radial_power_spectrum(w)[1].max()
    assert power_spectrum_error(g, w) < 1e-8
    assert power_spectrum_error(g, w, floor=0.0) > 1e-3  # ratios of rounding errors
    # Power where ref has none counts: log(P_x / floor) over the empty rings.
    noise = np.random.default_rng(0).standard_normal((32, 32))
    assert power_spectrum_error(w[0] + 1e-3 * noise, w[0]) > 1.0


def test_power_spectrum_error_rejects_sizes_constant_references_and_bad_floors():
    x = np.random.default_rng(2).standard_normal((16, 16))
    with pytest.raises(ValueError, match="x has fields of \\(16, 16\\) pixels and ref of \\(16, 20\\)"):
        power_spectrum_error(x, np.zeros((16, 20)))
    with pytest.raises(ValueError, match="ref has no power"):
        power_spectrum_error(x, np.ones((16, 16)))
    with pytest.raises(ValueError, match="floor=1.0 .* \\[0, 1\\)"):
        power_spectrum_error(x, x, floor=1.0)
    with pytest.raises(ValueError, match="pass floor > 0"):
        power_spectrum_error(np.ones((16, 16)), x, floor=0.0)
    assert power_spectrum_error(np.ones((16, 16)), x, log=False) == 1.0
    # A constant x has no power: every ring sits at the floor, 1e-10 of ref's largest.
    p = radial_power_spectrum(x)[1]
    expected = np.sqrt(np.mean(np.log(1e-10 * p.max() / p) ** 2))
    assert power_spectrum_error(np.ones((16, 16)), x) == pytest.approx(expected, rel=1e-12)


def test_histogram_distance_closed_forms():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 32, 32))
    assert histogram_distance(x + 0.25, x) == pytest.approx(0.25, rel=1e-12)
    # Same pixel values in another order, or in other fields' shape: 0.
    assert histogram_distance(rng.permutation(x.ravel()).reshape(64, 32), x) == pytest.approx(0.0, abs=1e-15)
    # Scaling by a > 0 scales every quantile: W1 = |a - 1| mean |x|.
    assert histogram_distance(3 * x, x) == pytest.approx(2 * np.abs(x).mean(), rel=1e-12)


def test_increment_kurtosis_of_gaussian_white_noise_is_zero():
    x = np.random.default_rng(4).standard_normal((4, 64, 64))
    lags, kurt = increment_kurtosis(x)
    assert lags.tolist() == [1, 2, 4, 8, 16, 32]
    assert np.abs(kurt).max() < 0.15


def test_increment_kurtosis_of_laplace_noise_is_half_its_kurtosis():
    # x(p + l) - x(p) of iid values with excess kurtosis 3 (Laplace) has 3 / 2.
    x = np.random.default_rng(5).laplace(size=(8, 64, 64))
    _, kurt = increment_kurtosis(x, lags=[1, 3, 10])
    np.testing.assert_allclose(kurt, 1.5, atol=0.25)


def test_increment_kurtosis_of_a_step_is_intermittent():
    # Columns [0, W/2) are 1, the rest 0: at lag l, 2 l of the 2 W increments
    # of a row (both axes pooled) are +-1 and the rest 0, so the excess
    # kurtosis is W / l - 3, larger at small lags.
    width = 32
    x = np.zeros((8, width))
    x[:, : width // 2] = 1.0
    lags, kurt = increment_kurtosis(x, lags=[1, 2, 4])
    np.testing.assert_allclose(kurt, width / lags - 3, rtol=1e-12)
    # A 0-1 checkerboard's lag-1 increments are all +-1 (kurtosis -2), lag 2 all 0.
    board = np.indices((8, 8)).sum(axis=0) % 2.0
    _, kurt = increment_kurtosis(board, lags=[1, 2])
    assert kurt[0] == pytest.approx(-2.0) and np.isnan(kurt[1])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: radial_power_spectrum(np.zeros(8)), "x has shape \\(8,\\); pass one field"),
        (lambda: radial_power_spectrum(np.zeros((1, 8))), "x has shape \\(1, 8\\)"),
        (lambda: histogram_distance(np.zeros((4, 4)), np.full((4, 4), np.inf)), "ref contains NaN"),
        (lambda: increment_kurtosis(np.zeros((8, 8)), lags=[0]), "lags=\\[0\\] .* ints in \\[1, 7\\]"),
        (lambda: increment_kurtosis(np.zeros((8, 8)), lags=[8]), "lags=\\[8\\]"),
        (lambda: increment_kurtosis(np.zeros((8, 8)), lags=[1.5]), "lags=\\[1.5\\]"),
        (lambda: increment_kurtosis(np.zeros((8, 8)), lags=[]), "lags=\\[\\]"),
    ],
)
def test_field_stats_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_increment_kurtosis_tells_turbulence_from_its_gaussian_model():
    w = make_turbulence(2, 64, random_state=0)
    g = gaussian_synthesis(w, n_samples=2, random_state=0)
    (_, kurt_w), (_, kurt_g) = increment_kurtosis(w, lags=[1, 2]), increment_kurtosis(g, lags=[1, 2])
    # Same power spectrum, but only the vortices give heavy-tailed small-scale increments.
    assert power_spectrum_error(g, w) < 1e-8
    assert np.all(kurt_w > 2.0) and np.all(np.abs(kurt_g) < 0.5)
