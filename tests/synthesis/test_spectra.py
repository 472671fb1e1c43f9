"""Scattering-spectra statistics: against their definition in space, exact gradients, and meaning."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skscatter._kernels.fourier import get_fourier_ops
from skscatter.synthesis import ScatteringSpectra
from skscatter.synthesis._layout import layout_names, normaliser_of, to_vector, vector_adjoint
from skscatter.synthesis._spectra import spectra_plan, spectra_statistics, spectra_vjp

OPS = get_fourier_ops("numpy")


def _reference(x, J, L):
    """The statistics by their definition: convolutions in space (full FFTs, no supports) and spatial means."""
    B, C, H, W = x.shape
    plan = spectra_plan(H, W, J, L)
    psi = plan.psi
    phi_dc_free = np.sqrt(plan.low) * (H * W)  # |phi| without its zero frequency

    def conv(f, multiplier):
        return np.fft.ifft2(np.fft.fft2(f) * multiplier)

    out = []
    for x1 in x:
        Z = np.array([[conv(x1[c], psi[a]) for a in range(J * L)] for c in range(C)])
        U = np.abs(Z)
        Y = np.array([conv(x1[c], phi_dc_free) for c in range(C)])
        stats = {
            "mean": x1.mean(axis=(-2, -1)),
            "low": np.einsum("cyx,dyx->cd", Y, Y.conj()) / (H * W),
            "power": np.einsum("cayx,dayx->cda", Z, Z.conj()) / (H * W),
            "sparsity": U.mean(axis=(-2, -1)),
            "phase": [],
            "envelope": [],
        }
        for b in range(J * L):
            n = L * (b // L + 1)
            V = np.array([[conv(U[c, a], psi[b]) for a in range(n)] for c in range(C)]).reshape(C * n, H, W)
            stats["phase"].append(np.einsum("ryx,dyx->rd", V, Z[:, b].conj()) / (H * W))
            stats["envelope"].append(np.einsum("ryx,syx->rs", V, V.conj()) / (H * W))
        out.append(stats)
    return out


@pytest.mark.parametrize("shape, C, J, L", [((12, 16), 2, 2, 3), ((16, 16), 1, 3, 4), ((8, 10), 3, 1, 2)])
def test_statistics_equal_their_definition_in_space(shape, C, J, L):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, C, *shape)) + 0.3
    stats, _ = spectra_statistics(x, spectra_plan(*shape, J, L), OPS)
    for i, expected in enumerate(_reference(x, J, L)):
        for key in ("mean", "low", "power", "sparsity"):
            np.testing.assert_allclose(stats[key][i], expected[key], rtol=1e-10, atol=1e-12, err_msg=key)
        for key in ("phase", "envelope"):
            for b, block in enumerate(expected[key]):
                scale = np.abs(block).max()
                np.testing.assert_allclose(stats[key][b][i], block, rtol=0, atol=1e-10 * scale, err_msg=f"{key}[{b}]")


def _random_cotangents(stats, rng):
    def draw(a):
        return rng.normal(size=a.shape) + 1j * rng.normal(size=a.shape) if np.iscomplexobj(a) else rng.normal(size=a.shape)

    return {k: [draw(b) for b in v] if isinstance(v, list) else draw(v) for k, v in stats.items()}


def _pairing(stats, grads):
    """``<stats, grads>`` in the real inner product of the complex convention: sum Re(conj(g) s)."""
    total = 0.0
    for key, value in stats.items():
        for s, g in zip(value, grads[key]) if isinstance(value, list) else [(value, grads[key])]:
            total += float(np.sum(np.real(np.conj(g) * s)))
    return total


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), C=st.integers(1, 2), group=st.sampled_from(
    ["mean", "low", "power", "sparsity", "phase", "envelope", None]))
def test_vjp_equals_central_finite_differences(seed, C, group):
    rng = np.random.default_rng(seed)
    plan = spectra_plan(8, 12, 2, 3)
    x = rng.normal(size=(2, C, 8, 12))
    stats, state = spectra_statistics(x, plan, OPS)
    grads = _random_cotangents(stats, rng)
    if group is not None:  # one group at a time, the others None
        grads = {k: (v if k == group else None) for k, v in grads.items()}
    gx = spectra_vjp(grads, state, plan, OPS)
    kept = {k: v for k, v in grads.items() if v is not None}
    direction = rng.normal(size=x.shape)
    eps = 1e-6

    def f(z):
        s, _ = spectra_statistics(z, plan, OPS)
        return _pairing({k: s[k] for k in kept}, kept)

    fd = (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)
    assert np.sum(gx * direction) == pytest.approx(fd, rel=1e-6, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), C=st.integers(1, 3))
def test_vector_adjoint_is_the_adjoint_of_the_layout(seed, C):
    # to_vector is linear in the statistics for a fixed normaliser:
    # <to_vector(s), g> == <s, vector_adjoint(g)> for any s and g.
    rng = np.random.default_rng(seed)
    J, L = 2, 3
    plan = spectra_plan(8, 8, J, L)
    stats, _ = spectra_statistics(rng.normal(size=(2, C, 8, 8)), plan, OPS)
    norm = normaliser_of(stats, np)
    s = _random_cotangents(stats, rng)  # any complex statistics
    g = rng.normal(size=(2, len(layout_names(J, L, C))))
    left = float(np.sum(to_vector(s, norm, L, np) * g))
    right = _pairing(s, vector_adjoint(g, s, norm, L, np))
    assert left == pytest.approx(right, rel=1e-10)


def test_features_read_as_their_names():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3, 16, 16))
    est = ScatteringSpectra(J=2, L=4).fit(X)
    F = est.transform(X)
    names = list(est.get_feature_names_out())
    expected = _reference(X[:, None], 2, 4)
    for i, e in enumerate(expected):
        sigma = np.sqrt(e["power"][0, 0].real)
        assert F[i, names.index("mean_c0")] == pytest.approx(X[i].mean(), rel=1e-12)
        assert F[i, names.index("power_c0_c0_j1_t2")] == pytest.approx(np.log(sigma[6] ** 2), rel=1e-12)
        assert F[i, names.index("sparsity_c0_j0_t3")] == pytest.approx(e["sparsity"][0, 3] / sigma[3], rel=1e-12)
        # phase block of wavelet b = (1, 2) = 6; row (c=0, a=(0, 1)) = 1, column d=0
        value = e["phase"][6][1, 0] / (sigma[1] * sigma[6])
        assert F[i, names.index("phase_c0_j0_t1_c0_j1_t2")] == pytest.approx(value.real, rel=1e-10)
        assert F[i, names.index("phase_c0_j0_t1_c0_j1_t2_imag")] == pytest.approx(value.imag, rel=1e-10, abs=1e-14)
        value = e["envelope"][6][1, 5] / (sigma[1] * sigma[5])
        assert F[i, names.index("envelope_c0_j0_t1_c0_j1_t1_j1_t2")] == pytest.approx(value.real, rel=1e-10)


def test_sparsity_tells_an_oscillation_from_bursts():
    # |x * psi| of a plane wave at a wavelet's frequency is constant: its mean
    # is its root mean square (sparsity 1); a few spikes give a small ratio.
    H = 32
    plan = spectra_plan(H, H, 2, 4)
    peak = np.unravel_index(np.argmax(plan.psi[4]), plan.psi[4].shape)  # wavelet (1, 0)
    yy, xx = np.mgrid[:H, :H]
    wave = np.cos(2 * np.pi * (peak[0] * yy + peak[1] * xx) / H)
    spikes = np.zeros((H, H))
    spikes[[3, 17, 25], [5, 20, 9]] = 1.0
    est = ScatteringSpectra(J=2, L=4).fit(wave[None])
    names = list(est.get_feature_names_out())
    column = names.index("sparsity_c0_j1_t0")
    # (cos holds the mirror frequency too, where the wavelet is small but not 0: a slight beat)
    assert est.transform(wave[None])[0, column] == pytest.approx(1.0, abs=1e-3)
    assert est.transform(spikes[None])[0, column] < 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numba_and_numpy_backends_compute_the_same_statistics_and_gradient(dtype):
    from skscatter.synthesis._spectra import plan_on

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 2, 12, 16)).astype(dtype)
    results = []
    for backend in ("numpy", "numba"):
        ops = get_fourier_ops(backend)
        plan = plan_on(spectra_plan(12, 16, 2, 3), ops, dtype)
        stats, state = spectra_statistics(x, plan, ops)
        grads = _random_cotangents(stats, np.random.default_rng(4))
        results.append((stats, spectra_vjp(grads, state, plan, ops)))
    (s_np, g_np), (s_nb, g_nb) = results
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for key in ("power", "sparsity"):
        np.testing.assert_allclose(s_nb[key], s_np[key], rtol=rtol)
    for b in range(6):
        for key in ("phase", "envelope"):
            scale = np.abs(s_np[key][b]).max()
            np.testing.assert_allclose(s_nb[key][b], s_np[key][b], rtol=0, atol=rtol * scale)
    np.testing.assert_allclose(g_nb, g_np, rtol=0, atol=rtol * np.abs(g_np).max())
    assert g_nb.dtype == dtype


def test_isotropic_reduction_averages_the_real_parts_over_rotations():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2, 16, 16))
    full_est = ScatteringSpectra(J=2, L=4).fit(X)
    iso_est = ScatteringSpectra(J=2, L=4, reduction="isotropic").fit(X)
    full, iso = full_est.transform(X), iso_est.transform(X)
    full_names, iso_names = list(full_est.get_feature_names_out()), list(iso_est.get_feature_names_out())
    assert not any(n.endswith("_imag") for n in iso_names)
    # Phase of (j0, t) against (j1, t2) with t - t2 = 1 (mod 4): the mean over t2.
    members = [full_names.index(f"phase_c0_j0_t{(t2 + 1) % 4}_c0_j1_t{t2}") for t2 in range(4)]
    column = iso_names.index("phase_c0_j0_dt1_c0_j1")
    np.testing.assert_allclose(iso[:, column], full[:, members].mean(axis=1), rtol=1e-13)
    # An envelope pair listed in either order falls in one group: (dt 3, dt 1)
    # is stored as (dt 1, dt 3), with the same real part.
    members = []
    for t2 in range(4):
        a, b = (t2 + 3) % 4, (t2 + 1) % 4
        lo, hi = min(a, b), max(a, b)
        members.append(full_names.index(f"envelope_c0_j0_t{lo}_c0_j0_t{hi}_j1_t{t2}"))
    column = iso_names.index("envelope_c0_j0_dt1_c0_j0_dt3_j1")
    np.testing.assert_allclose(iso[:, column], full[:, members].mean(axis=1), rtol=1e-13)
    # Rotation invariance: quarter turns permute the members of every group.
    turned = iso_est.transform(np.rot90(X, 1, axes=(1, 2)).copy())
    np.testing.assert_allclose(turned, iso, rtol=0, atol=1e-12 * np.abs(iso).max())
    assert not np.allclose(full_est.transform(np.rot90(X, 1, axes=(1, 2)).copy()), full)
