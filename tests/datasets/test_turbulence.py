"""make_turbulence: a 2D Navier-Stokes solver whose fields are incompressible, stable and non-Gaussian."""

import numpy as np
import pytest
from scipy.stats import kurtosis

from skscatter.datasets import make_turbulence

SIZE = 64


@pytest.fixture(scope="module")
def fields():
    """Four fields at t = 30 and their Gaussian starts (one run shared by the checks below)."""
    return make_turbulence(4, SIZE, random_state=0), make_turbulence(4, SIZE, n_steps=0, random_state=0)


def velocity(w):
    """(u, v) from the vorticity w: u = d psi/dy, v = -d psi/dx, with -laplacian psi = w (spectral)."""
    n = w.shape[-1]
    ky, kx = np.meshgrid(np.fft.fftfreq(n, 1 / n), np.fft.fftfreq(n, 1 / n), indexing="ij")
    k2 = kx**2 + ky**2
    psi_hat = np.fft.fft2(w) / np.where(k2 > 0, k2, 1)
    u = np.fft.ifft2(1j * ky * psi_hat).real
    v = np.fft.ifft2(-1j * kx * psi_hat).real
    return u, v


def centred_difference(f, axis):
    """d f / d(axis) by second-order centred differences on the periodic grid of side 2 pi."""
    h = 2 * np.pi / f.shape[axis]
    return (np.roll(f, -1, axis) - np.roll(f, 1, axis)) / (2 * h)


def energy(w):
    u, v = velocity(w)
    return 0.5 * np.mean(u**2 + v**2, axis=(-2, -1))


def test_make_turbulence_shapes_dtype_finite_and_zero_mean(fields):
    w, w0 = fields
    assert w.shape == w0.shape == (4, SIZE, SIZE) and w.dtype == np.float64
    assert np.all(np.isfinite(w))
    # Periodic box: the mean vorticity is the circulation round the boundary, 0.
    assert np.abs(w.mean(axis=(1, 2))).max() < 1e-12 * np.abs(w).max()
    np.testing.assert_allclose(w0.std(axis=(1, 2)), 1.0, rtol=1e-12)  # the start has unit rms


def test_make_turbulence_velocity_is_divergence_free_and_has_the_fields_curl(fields):
    w = fields[0][0]
    u, v = velocity(w)
    n = w.shape[-1]
    ky, kx = np.meshgrid(np.fft.fftfreq(n, 1 / n), np.fft.fftfreq(n, 1 / n), indexing="ij")
    # Spectrally, curl (u, v) returns w exactly only if w is a real
    # band-limited field of zero mean (a field with a mean has no periodic
    # velocity); div (u, v) = 0 by construction.
    curl = np.fft.ifft2(1j * kx * np.fft.fft2(v) - 1j * ky * np.fft.fft2(u)).real
    np.testing.assert_allclose(curl, w, atol=1e-12 * np.abs(w).max())
    # Centred differences, independent of the spectral operators: the
    # divergence is small against the vorticity, and the curl is w up to the
    # scheme's truncation error (both would be of the size of w otherwise).
    div_fd = centred_difference(u, 1) + centred_difference(v, 0)
    curl_fd = centred_difference(v, 1) - centred_difference(u, 0)
    assert np.linalg.norm(div_fd) < 0.03 * np.linalg.norm(w)
    assert np.linalg.norm(curl_fd - w) < 0.1 * np.linalg.norm(w)


def test_make_turbulence_is_non_gaussian(fields):
    w, w0 = fields
    k, k0 = kurtosis(w.reshape(4, -1), axis=1), kurtosis(w0.reshape(4, -1), axis=1)
    # The start is Gaussian (excess kurtosis near 0); vortices give heavy tails.
    assert np.abs(k0).max() < 0.5
    assert k.mean() > 0.5 and k.mean() > k0.mean() + 0.5


def test_make_turbulence_energy_decays_without_forcing():
    # The same seed gives the same start, so these are three times of one flow.
    e = [energy(make_turbulence(1, 32, n_steps=n, random_state=3)[0]) for n in (0, 50, 100)]
    assert e[0] > e[1] > e[2] > 0.5 * e[0]


def test_make_turbulence_forcing_injects_energy_at_its_rate_in_its_band():
    rate, dt, n = 0.01, 0.075, 64
    # After one step the forced field is the free one plus the forcing's kick
    # (same seed, same start, same Runge-Kutta step), a Gaussian field whose
    # energy has mean rate * dt.
    params = dict(n_steps=1, wavenumber=4.5, random_state=1)
    kick = make_turbulence(8, n, forcing=rate, **params) - make_turbulence(8, n, **params)
    np.testing.assert_allclose(energy(kick).mean(), rate * dt, rtol=0.15)
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(n, 1 / n), np.fft.fftfreq(n, 1 / n)))
    power = (np.abs(np.fft.fft2(kick)) ** 2).sum(axis=0)
    k0 = params["wavenumber"]
    assert power[np.abs(k - k0) > 1].max() < 1e-20 * power.max()  # the band |k - k0| <= 1 only
    forced = make_turbulence(2, 32, n_steps=50, forcing=rate, random_state=1)
    assert np.all(np.isfinite(forced)) and np.all(energy(forced) < 1)


def test_make_turbulence_is_deterministic_and_samples_independent():
    a = make_turbulence(3, 32, n_steps=10, random_state=7)
    np.testing.assert_array_equal(a, make_turbulence(3, 32, n_steps=10, random_state=7))
    # Sample i depends on the seed and i only, not on n_samples.
    np.testing.assert_array_equal(a[:2], make_turbulence(2, 32, n_steps=10, random_state=7))
    assert not np.allclose(a, make_turbulence(3, 32, n_steps=10, random_state=8))
    corr = np.corrcoef(a.reshape(3, -1))
    assert np.abs(corr[np.triu_indices(3, 1)]).max() < 0.3
    rng = np.random.RandomState(0)
    b, c = make_turbulence(1, 32, n_steps=0, random_state=rng), make_turbulence(1, 32, n_steps=0, random_state=rng)
    assert not np.allclose(b, c)  # a RandomState instance advances


def test_make_turbulence_fast_flow_is_substepped_not_blown_up():
    # dt far above the Courant limit: each step is split, the result stays finite.
    w = make_turbulence(1, 32, n_steps=3, dt=2.0, random_state=0)
    assert np.all(np.isfinite(w)) and energy(w[0]) < energy(make_turbulence(1, 32, n_steps=0, random_state=0)[0])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_samples=0), "'n_samples' parameter of make_turbulence must be an int in the range \\[1, inf\\)"),
        (dict(size=8), "'size' parameter of make_turbulence must be an int in the range \\[16, inf\\)"),
        (dict(size=32.0), "'size' parameter"),
        (dict(wavenumber=0.5), "'wavenumber' parameter of make_turbulence must be a float in the range \\[1.0, inf\\)"),
        (dict(wavenumber=6.0), "wavenumber=6.0 leaves no room .* at most size / 6 = 5.333"),
        (dict(viscosity=0.0), "'viscosity' parameter of make_turbulence must be a float in the range \\(0.0, inf\\)"),
        (dict(viscosity=np.nan), "'viscosity' parameter"),
        (dict(forcing=-1.0), "'forcing' parameter .* Got -1.0 instead"),
        (dict(n_steps=-1), "'n_steps' parameter"),
        (dict(dt=0), "'dt' parameter"),
        (dict(dt=np.inf), "'dt' parameter"),
        (dict(n_jobs=0), "'n_jobs' parameter"),
        (dict(random_state="seed"), "'random_state' parameter"),
        (dict(n_steps=True), "'n_steps' parameter"),
    ],
)
def test_make_turbulence_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        make_turbulence(**{"size": 32, "n_steps": 1, **params})
