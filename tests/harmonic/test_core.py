"""solid_harmonic_scattering_3d: golden values, both evaluation paths, invariances, errors."""

import math

import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings
from hypothesis import strategies as st

from skscatter.harmonic import scattering_3d_layout, solid_harmonic_scattering_3d
from skscatter.harmonic._density import molecule_density
from skscatter.harmonic._filter_bank import real_spherical_harmonics, solid_harmonic_filters, wavelet_constant


def test_golden_kymatio(data_dir):
    """kymatio's own test vector: relative difference < 1e-6 (kymatio's criterion)."""
    path = data_dir / "golden" / "kymatio_scattering3d.npz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    g = dict(np.load(path, allow_pickle=False))
    S = solid_harmonic_scattering_3d(g["x"], J=int(g["J"]), L=int(g["L"]), sigma_0=1.0, integral_powers=g["integral_powers"])
    assert S.shape == g["Sx"].shape
    assert np.max(np.abs(S - g["Sx"]) / np.abs(g["Sx"])) < 1e-6


def test_real_harmonics_orthonormal_and_addition_theorem():
    # Gauss-Legendre in cos(polar) x uniform azimuth integrates degree <= 12 exactly.
    t, w = np.polynomial.legendre.leggauss(16)
    phi = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    ct, ph = np.meshgrid(t, phi, indexing="ij")
    st_ = np.sqrt(1 - ct**2)
    weights = (w[:, None] * np.full(phi.size, 2 * np.pi / phi.size)).ravel()
    x, y, z = (st_ * np.cos(ph)).ravel(), (st_ * np.sin(ph)).ravel(), ct.ravel()
    Y = np.concatenate([real_spherical_harmonics(l, x, y, z) for l in range(5)])
    np.testing.assert_allclose((Y * weights) @ Y.T, np.eye(25), atol=1e-12)
    for l in range(5):
        np.testing.assert_allclose((real_spherical_harmonics(l, x, y, z) ** 2).sum(0), (2 * l + 1) / (4 * np.pi))


@pytest.mark.parametrize("l", [0, 1, 2, 3])
def test_filters_are_solid_harmonic_wavelets_in_space(l):
    """With the (-i)^l phase, the inverse DFT of a Fourier filter is real and proportional to
    (|u|/sigma)^l Y_lm(u/|u|) exp(-|u|^2 / (2 sigma^2)): the wavelet has the solid-harmonic
    Gaussian form in space (sigma = 2 keeps both grid truncations below 1e-8)."""
    shape, sigma = (32, 32, 32), 2.0
    F = solid_harmonic_filters(shape, sigma, l)
    spatial = scipy.fft.ifftn(F * (-1j) ** l, axes=(1, 2, 3))
    assert np.abs(spatial.imag).max() < 1e-7 * np.abs(spatial.real).max()  # Nyquist planes only
    u = [np.fft.fftfreq(n) * n for n in shape]
    ux, uy, uz = np.meshgrid(*u, indexing="ij")
    r2 = ux**2 + uy**2 + uz**2
    formula = (np.sqrt(r2) / sigma) ** l * np.exp(-r2 / (2 * sigma**2)) * real_spherical_harmonics(l, ux, uy, uz)
    for m in range(2 * l + 1):
        a, b = spatial[m].real.ravel(), formula[m].ravel()
        c = (a @ b) / (b @ b)
        assert np.abs(a - c * b).max() < 1e-7 * np.abs(a).max()
    if l == 0:  # unit-integral Gaussian
        assert math.isclose(spatial[0].real.sum(), 1.0, rel_tol=1e-10)
    assert wavelet_constant(l) > 0


def _density(rng, shape=(48, 44, 40), n_atoms=6, sigma=2.0):
    centres = np.array(shape) / 2 + rng.uniform(-4, 4, size=(n_atoms, 3))
    return molecule_density(centres, rng.integers(1, 9, n_atoms).astype(float), shape, sigma)


def test_layout_and_feature_count():
    for J, L, Q, order in [(2, 3, 4, 2), (1, 0, 1, 1), (3, 2, 2, 2)]:
        n_paths = J + 1 + (J * (J + 1) // 2 if order == 2 else 0)
        layout = scattering_3d_layout(J, L, [1.0] * Q, order)
        assert len(layout) == Q * (1 + (L + 1) * n_paths)
    x = np.random.default_rng(0).random((4, 4, 4))
    S = solid_harmonic_scattering_3d(x, J=1, L=1, integral_powers=[1, 2], max_order=1)
    assert S.shape == (2 * (1 + 2 * 2),)
    np.testing.assert_allclose(S[:2], [x.sum(), (x**2).sum()])


def test_order0_sign_convention():
    x = np.random.default_rng(1).normal(size=(6, 6, 6))
    S = solid_harmonic_scattering_3d(x, J=0, L=0, integral_powers=[0.5, 1, 3], max_order=1)
    np.testing.assert_allclose(S[:3], [np.sum(np.abs(x) ** 0.5), x.sum(), (x**3).sum()])


def test_order1_q2_is_parseval():
    """sum_u U^2 = sum_m ||x * psi_m||^2 = (1/N) sum_w |x_hat|^2 sum_m |psi_hat_m|^2."""
    x = np.random.default_rng(2).random((12, 10, 8))
    S = solid_harmonic_scattering_3d(x, J=1, L=2, sigma_0=1.0, integral_powers=[2.0], max_order=1)
    x_hat = np.fft.fftn(x)
    for j in range(2):
        for l in range(3):
            F = solid_harmonic_filters(x.shape, 2.0**j, l)
            expected = (np.abs(x_hat) ** 2 * (F**2).sum(0)).sum() / x.size
            assert math.isclose(S[1 + j * 3 + l], expected, rel_tol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_matches_exact_on_densities(dtype):
    rng = np.random.default_rng(3)
    x = _density(rng)
    kw = dict(J=2, L=3, sigma_0=2.0, integral_powers=[0.5, 1, 2, 3])
    exact = solid_harmonic_scattering_3d(x, **kw)
    fast = solid_harmonic_scattering_3d(x, bandwidth_tol=1e-6, dtype=dtype, _input_sigma=2.0, **kw)
    layout = scattering_3d_layout(2, 3, kw["integral_powers"])
    rel = np.abs(fast - exact) / np.abs(exact)
    q = np.array([c[4] for c in layout])
    order = np.array([c[0] for c in layout])
    if dtype == np.float64:
        assert rel.max() < 2e-3
        # Band-limited fields: q = 2 at order 1 is exact up to the tolerance.
        assert rel[(order == 1) & (q == 2)].max() < 1e-8
    else:
        # float32 FFT round-off enters sum U^q through the near-zero voxels
        # (most strongly for q = 0.5); q >= 2 is barely affected.
        assert rel[q >= 2].max() < 1e-3


def test_fast_path_full_grid_equals_exact_when_nyquist_is_negligible():
    # sigma_0 = 3 makes every filter ~0 at the Nyquist planes, and a tolerance
    # of 1e-300 keeps every grid whole: then the real-FFT kernels compute
    # exactly what the complex full-grid path computes.
    x = np.random.default_rng(4).random((2, 16, 14, 12))
    kw = dict(J=1, L=2, sigma_0=3.0, integral_powers=[0.5, 1, 2])
    exact = solid_harmonic_scattering_3d(x, **kw)
    fast = solid_harmonic_scattering_3d(x, bandwidth_tol=1e-300, **kw)
    np.testing.assert_allclose(fast, exact, rtol=1e-9)


def test_coarse_grids_keep_q2_exact_on_white_noise():
    # Cropped grids hold every frequency of the band-limited fields, so the
    # q = 2 integrals stay exact even for an input with a flat spectrum.
    x = np.random.default_rng(4).random((16, 14, 12))
    kw = dict(J=1, L=2, sigma_0=3.0, integral_powers=[2.0], max_order=1)
    exact = solid_harmonic_scattering_3d(x, **kw)
    fast = solid_harmonic_scattering_3d(x, bandwidth_tol=1e-12, **kw)
    np.testing.assert_allclose(fast, exact, rtol=1e-9)


def test_density_outside_grid_is_an_error():
    with pytest.raises(ValueError, match="too close to the border"):
        molecule_density(np.array([[1.0, 10, 10]]), np.array([1.0]), (20, 20, 20), 2.0)


@settings(max_examples=10, deadline=None)
@given(shift=st.tuples(*[st.integers(-20, 20)] * 3), axes=st.permutations([0, 1, 2]), flip=st.tuples(*[st.booleans()] * 3))
def test_invariant_to_grid_symmetries(shift, axes, flip):
    """Circular shifts, axis permutations (cubic grid) and reflections leave every invariant unchanged."""
    x = np.random.default_rng(5).random((12, 12, 12))
    y = np.roll(x, shift, axis=(0, 1, 2)).transpose(axes)
    y = np.flip(y, axis=[a for a in range(3) if flip[a]]) if any(flip) else y
    kw = dict(J=1, L=2, sigma_0=1.0, integral_powers=[0.5, 1, 2])
    # Reflections map frequency bin k to -k, which for even sizes leaves the
    # Nyquist bin in place: exact for shifts/permutations, ~Nyquist-small else.
    Sx = solid_harmonic_scattering_3d(x, **kw)
    Sy = solid_harmonic_scattering_3d(np.ascontiguousarray(y), **kw)
    np.testing.assert_allclose(Sy, Sx, rtol=1e-10 if not any(flip) else 5e-3)


def test_threads_do_not_change_results():
    x = _density(np.random.default_rng(6), shape=(40, 40, 40))
    kw = dict(J=1, L=2, sigma_0=2.0, integral_powers=[0.5, 2], bandwidth_tol=1e-6)
    np.testing.assert_array_equal(
        solid_harmonic_scattering_3d(x, n_jobs=1, **kw), solid_harmonic_scattering_3d(x, n_jobs=2, **kw)
    )


@pytest.mark.parametrize(
    "x, kw, match",
    [
        (np.full((4, 4, 4), np.nan), {}, "NaN"),
        (np.zeros((4, 4)), {}, "three grid axes"),
        (np.zeros((4, 4, 1)), {}, "at least 2"),
        (np.zeros((0, 4, 4, 4)), {}, "no grids"),
        (np.zeros((4, 4, 4), dtype=complex), {}, r"real grids \(for complex data pass x.real"),
        (np.zeros((4, 4, 4)), dict(J=-1), "J=-1"),
        (np.zeros((4, 4, 4)), dict(sigma_0=0.0), "sigma_0"),
        (np.zeros((4, 4, 4)), dict(integral_powers=[]), "integral_powers"),
        (np.zeros((4, 4, 4)), dict(integral_powers=[-1.0]), "integral_powers"),
        (np.zeros((4, 4, 4)), dict(max_order=3), "max_order"),
        (np.zeros((4, 4, 4)), dict(bandwidth_tol=0.5), "bandwidth_tol"),
        (np.zeros((4, 4, 4)), dict(dtype=np.int32), "dtype"),
    ],
)
def test_bad_input(x, kw, match):
    kw = dict(dict(J=1), **kw)
    with pytest.raises(ValueError, match=match):
        solid_harmonic_scattering_3d(x, **kw)


def test_scales_wider_than_the_grid_are_refused_with_the_largest_J():
    x = np.random.default_rng(7).random((8, 8, 8))
    with pytest.raises(ValueError, match=r"J=10 is too large for grids of shape \(8, 8, 8\).*Use J <= 2"):
        solid_harmonic_scattering_3d(x, J=10)
    with pytest.raises(ValueError, match=r"J=2000 is too large.*over 1e300 voxels.*Use J <= 1 .*sigma_0=1.5"):
        solid_harmonic_scattering_3d(x, J=2000, sigma_0=1.5)
    with pytest.raises(ValueError, match=r"sigma_0=5 is too wide for grids of shape \(8, 8, 8\).*Reduce sigma_0"):
        solid_harmonic_scattering_3d(x, J=0, sigma_0=5.0)
    # The largest allowed scale is accepted: sigma_0 * 2**J = min(M, N, O) / 2.
    assert solid_harmonic_scattering_3d(x, J=2, L=1).shape == (3 * (1 + 2 * 6),)


def test_overflow_is_an_error_with_its_fix():
    x = np.full((2, 6, 6, 6), 1.0)
    x[1] = 1e200
    with pytest.raises(ValueError, match=r"The invariants of x\[1\] overflow float64.*Rescale x.*c\*\*q S\(x\)\.$"):
        solid_harmonic_scattering_3d(x, J=1, L=1, integral_powers=[2.0])
    with pytest.raises(ValueError, match=r"overflow float64.*or compute with dtype=float64"):
        solid_harmonic_scattering_3d(x[1] * 1e-170, J=1, L=1, integral_powers=[1.0], bandwidth_tol=1e-6, dtype=np.float32)


def test_non_finite_grid_is_named():
    x = np.zeros((2, 3, 4, 4, 4))
    x[1, 2, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"x\[1, 2\] contains NaN or infinity"):
        solid_harmonic_scattering_3d(x, J=1)


def test_n_jobs_runs_through_the_execution_plan(monkeypatch):
    from skscatter.utils._parallel import ExecutionPlan

    plans = []
    run = ExecutionPlan.run

    def recording_run(self, *args, **kwargs):
        plans.append(self)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(ExecutionPlan, "run", recording_run)
    x = np.random.default_rng(8).random((3, 8, 8, 8))
    serial = solid_harmonic_scattering_3d(x, J=1, L=1, n_jobs=1)
    parallel = solid_harmonic_scattering_3d(x, J=1, L=1, n_jobs=2)
    assert [p.concurrent * p.threads for p in plans] == [1, 2]
    np.testing.assert_array_equal(parallel, serial)
    with pytest.raises(ValueError, match="'n_jobs' parameter of solid_harmonic_scattering_3d"):
        solid_harmonic_scattering_3d(x, J=1, n_jobs=0)
