"""SolidHarmonicScattering: sklearn citizenship, invariances, errors."""

import pickle

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skscatter
from skscatter.harmonic import SolidHarmonicScattering, scattering_3d_layout, solid_harmonic_scattering_3d
from skscatter.harmonic._density import channel_weights, molecule_density
from skscatter.harmonic._transformer import _memory_limit, _voxel_coordinates
from skscatter.structures import check_structures, structures_from_padded

# Small molecules and a coarse setting keep each transform to milliseconds.
SMALL = dict(J=1, L=2, sigma=1.5, integral_powers=(0.5, 1.0, 2.0))


def _molecules(n, seed=0):
    rng = np.random.default_rng(seed)
    mols = []
    for _ in range(n):
        k = int(rng.integers(2, 6))
        mols.append((rng.choice([1, 6, 7, 8], size=k), rng.normal(scale=1.0, size=(k, 3))))
    return mols


def test_fit_transform_shapes_names_clone_pickle():
    X = _molecules(6)
    est = SolidHarmonicScattering(channels=("nuclear", "valence"), **SMALL).fit(X)
    S = est.transform(X)
    n_paths = 2 + 1
    assert S.shape == (6, 2 * 3 * (1 + 3 * n_paths)) == (6, est.n_features_out_)
    names = est.get_feature_names_out()
    assert len(names) == S.shape[1] == len(set(names))
    assert names[0] == "nuclear_o0_q0.5" and "valence_o2_j0_1_l2_q2" in names
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(X[:2]), S[:2])
    np.testing.assert_array_equal(clone(est).fit(X).transform(X[:2]), S[:2])
    with pytest.raises(Exception, match="not fitted"):
        SolidHarmonicScattering().transform(X)


def test_bonding_channel_counts_covalent_bonds():
    # H, C, N, O, F, Si, P, S, Cl, Ge, Br, I and the s-block K, Ca.
    z = np.array([1, 6, 7, 8, 9, 14, 15, 16, 17, 32, 35, 53, 19, 20])
    assert channel_weights(z, "bonding").tolist() == [1, 4, 3, 2, 1, 4, 3, 2, 1, 4, 1, 1, 1, 2]
    for metal in (21, 26, 29, 30, 57, 72, 80):
        with pytest.raises(ValueError, match="main-group elements only"):
            channel_weights(np.array([6, metal]), "bonding")
    # Methane: its bonding density is the valence density (C 4, H 1).
    methane = [([6, 1, 1, 1, 1], [[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63], [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]])]
    est = SolidHarmonicScattering(channels=("valence", "bonding"), **SMALL).fit(methane)
    valence, bonding = np.split(est.transform(methane)[0], 2)
    np.testing.assert_array_equal(valence, bonding)
    assert est.get_feature_names_out()[-1].startswith("bonding_o2")


def test_rows_equal_the_array_function_on_the_densities():
    X = _molecules(2, seed=1)
    est = SolidHarmonicScattering(channels=("core",), method="grid", boundary="periodic", bandwidth_tol=None, **SMALL).fit(X)
    (s,) = check_structures([X[1]])
    c = _voxel_coordinates(s, est._model)
    grid = molecule_density(c, channel_weights(s.numbers, "core"), est.grid_shape_, est.sigma)
    expected = solid_harmonic_scattering_3d(grid, est.J, est.L, est.sigma, est.integral_powers)
    np.testing.assert_allclose(est.transform([X[1]])[0], expected, rtol=1e-12)


@pytest.mark.parametrize("boundary", ["free", "periodic"])
def test_invariances(boundary):
    X = _molecules(3, seed=2)
    est = SolidHarmonicScattering(boundary=boundary, **SMALL).fit(X)
    S = est.transform(X)
    rng = np.random.default_rng(0)
    R = Rotation.random(random_state=3).as_matrix()
    moved = [(z, r @ R.T + rng.normal(size=3) * 3) for z, r in X]
    # Distinct principal spreads: the aligned frame, hence the sampling, is the same.
    tiny = 1e-12 * np.abs(S).max()  # an all-hydrogen molecule has a zero core channel
    np.testing.assert_allclose(est.transform(moved), S, rtol=1e-6, atol=tiny)
    # Permuting atoms only reorders floating-point sums; q = 0.5 integrals
    # amplify that round-off (sqrt of ~1e-16-relative voxels) to ~1e-9.
    perm = [(z[::-1], r[::-1]) for z, r in X]
    np.testing.assert_allclose(est.transform(perm), S, rtol=1e-7, atol=tiny)
    # Without alignment a translation is still exact (molecules are centred).
    free = SolidHarmonicScattering(align=False, boundary=boundary, **SMALL).fit(X)
    shifted = [(z, r + 7.5) for z, r in X]
    np.testing.assert_allclose(free.transform(shifted), free.transform(X), rtol=1e-7, atol=tiny)


def _symmetric_molecules():
    a = 0.629
    methane = ([6, 1, 1, 1, 1], [[0, 0, 0], [a, a, a], [-a, -a, a], [-a, a, -a], [a, -a, -a]])
    angles = np.arange(6) * np.pi / 3
    ring = np.c_[np.cos(angles), np.sin(angles), 0 * angles]
    benzene = ([6] * 6 + [1] * 6, np.vstack([1.39 * ring, 2.47 * ring]))
    sf6 = ([16] + [9] * 6, np.vstack([[0, 0, 0], 1.56 * np.eye(3), -1.56 * np.eye(3)]))
    co2 = ([8, 6, 8], [[-1.16, 0, 0], [0, 0, 0], [1.16, 0, 0]])
    water = ([8, 1, 1], [[0, 0, 0.12], [0, 0.76, -0.47], [0, -0.76, -0.47]])
    return [(np.array(z), np.array(r, dtype=float)) for z, r in [methane, benzene, sf6, co2, water]]


@pytest.mark.parametrize("boundary", ["free", "periodic"])
def test_rotation_invariance_of_symmetric_molecules(boundary):
    """Equal principal spreads (methane, SF6: all three; benzene: two) and
    vanishing third moments (mirror planes) leave principal axes to
    round-off; the frame then comes from the atoms.  Before that, rotating
    SF6 changed invariants by up to 3.8e-3 (the grid's sampling error)."""
    X = _symmetric_molecules()
    est = SolidHarmonicScattering(boundary=boundary, **SMALL).fit(X)
    S = est.transform(X)
    tiny = 1e-12 * np.abs(S).max()
    rng = np.random.default_rng(5)
    for seed in range(3):
        R = Rotation.random(random_state=seed).as_matrix()
        moved = []
        for z, r in X:
            perm = rng.permutation(len(z))  # symmetry-equivalent atoms swap roles
            moved.append((z[perm], r[perm] @ R.T + rng.normal(size=3)))
        np.testing.assert_allclose(est.transform(moved), S, rtol=1e-6, atol=tiny)


@pytest.mark.parametrize(("boundary", "bandwidth_tol"), [("periodic", None), ("periodic", 1e-9), ("free", 1e-6)])
def test_rotation_invariance_without_alignment_on_a_real_molecule(data_dir, boundary, bandwidth_tol):
    """The grid paths themselves: a QM7 molecule rotated on the grid changes by < 1e-3 (measured:
    6e-4 exact periodic; the fast periodic path adds up to ~1e-4; free space 1e-5)."""
    d = dict(np.load(data_dir / "qm7.npz"))
    mols = structures_from_padded(d["Z"][:40], d["R"][:40])
    est = SolidHarmonicScattering(
        J=1, L=2, sigma=2.0, align=False, channels=("nuclear",), boundary=boundary, bandwidth_tol=bandwidth_tol
    )
    est.fit(mols)
    z, r = mols[30]
    R = Rotation.random(random_state=4).as_matrix()
    A, B = est.transform([(z, r), (z, r @ R.T)])
    rel = np.abs(A - B) / np.abs(A)
    assert rel.max() < 1e-3


def test_grid_search_and_pipeline():
    X = _molecules(12, seed=3)
    y = np.array([sum(z) for z, _ in X], dtype=float)
    pipe = make_pipeline(SolidHarmonicScattering(channels=("nuclear",), **SMALL), StandardScaler(), Ridge())
    search = GridSearchCV(pipe, {"ridge__alpha": [1e-3, 1.0]}, cv=3).fit(X, y)
    assert search.predict(X[:2]).shape == (2,)


@pytest.mark.parametrize("boundary", ["free", "periodic"])
def test_n_jobs_does_not_change_results(boundary):
    X = _molecules(5, seed=4)
    a = SolidHarmonicScattering(n_jobs=1, boundary=boundary, **SMALL).fit(X).transform(X)
    b = SolidHarmonicScattering(n_jobs=2, boundary=boundary, **SMALL).fit(X).transform(X)
    # BLAS and FFT summation orders may differ between runs; q = 0.5 of the
    # near-empty points amplifies that round-off to ~1e-9 (free space).
    np.testing.assert_allclose(a, b, rtol=1e-8)
    if boundary == "free":
        c = SolidHarmonicScattering(backend="numpy", boundary=boundary, **SMALL).fit(X).transform(X)
        np.testing.assert_allclose(c, a, rtol=1e-9)  # summation order only


def test_bad_input():
    X = _molecules(3)
    est = SolidHarmonicScattering(**SMALL)
    with pytest.raises(ValueError, match="no structures"):
        est.fit([])
    with pytest.raises(ValueError, match="NaN"):
        est.fit([([1, 1], [[0, 0, 0], [np.nan, 0, 0]])])
    with pytest.raises(ValueError, match="finite molecules only"):
        est.fit([([1, 1], [[0, 0, 0], [0.7, 0, 0]], 3 * np.eye(3), [True] * 3)])
    with pytest.raises(ValueError, match="channels"):
        SolidHarmonicScattering(channels=("spin",)).fit(X)
    iron = [([26, 8], [[0, 0, 0], [1.6, 0, 0]])]
    with pytest.raises(ValueError, match=r"X\[0\]: channel='bonding' is defined for main-group elements only; atomic numbers \[26\]"):
        SolidHarmonicScattering(channels=("nuclear", "bonding"), **SMALL).fit(iron)
    with pytest.raises(ValueError, match=r"X\[0\]: channel='bonding'"):
        SolidHarmonicScattering(channels=("nuclear", "bonding"), **SMALL).fit(X).transform(iron)
    with pytest.raises(ValueError, match="single atom"):
        est.fit([([1], [[0, 0, 0]])])
    with pytest.raises(ValueError, match="Increase grid_shape"):
        SolidHarmonicScattering(boundary="periodic", grid_shape=(20, 20, 20), **SMALL).fit(X)
    with pytest.warns(UserWarning, match="boundary='free' every molecule gets its own grids and grid_shape is unused"):
        unused = SolidHarmonicScattering(grid_shape=(20, 20, 20), **SMALL).fit(X)
    assert unused.grid_shape_ is None
    np.testing.assert_array_equal(unused.transform(X), SolidHarmonicScattering(**SMALL).fit(X).transform(X))
    with pytest.raises(ValueError, match="needs boundary='periodic'"):
        SolidHarmonicScattering(bandwidth_tol=None, **SMALL).fit(X)
    # The backend is resolved at transform: a periodic model fits anywhere, and
    # refuses a backend it has no kernels for when asked to compute.
    periodic = SolidHarmonicScattering(boundary="periodic", backend="numpy", **SMALL).fit(X)
    with pytest.raises(ValueError, match=r"backend='numpy'\) is not available.*'numba' only; set backend='auto'"):
        periodic.transform(X)
    fitted = SolidHarmonicScattering(boundary="periodic", **SMALL).fit(X)
    big = [(np.ones(2, dtype=int), np.array([[0.0, 0, 0], [30.0, 0, 0]]))]
    with pytest.raises(ValueError, match=r"X\[0\] spans"):
        fitted.transform(big)
    # Free space has no box, but a molecule whose grids exceed the memory limit is refused.
    free = est.fit(X)
    free.transform(big)
    huge = [(np.ones(2, dtype=int), np.array([[0.0, 0, 0], [3000.0, 0, 0]]))]
    with pytest.raises(ValueError, match=r"X\[0\] spans .* 512 MiB \(8 x working_memory=64 MiB.*Increase spacing"):
        free.transform(huge)
    # The limit follows working_memory at transform time (never below the default's).
    with skscatter.config_context(working_memory=1e-3):
        assert _memory_limit() == 512 * 2**20
    with skscatter.config_context(working_memory=1024):
        assert _memory_limit() == 8192 * 2**20
    with pytest.raises(ValueError, match="sequence of structures"):
        fitted.transform(np.zeros((2, 9)))


@pytest.mark.parametrize(("boundary", "rtol"), [("periodic", 1e-7), ("free", 1e-5)])
def test_analytic_columns_agree_with_the_grid(boundary, rtol):
    X = _molecules(3, seed=5)
    kw = dict(SMALL, sigma=2.0, integral_powers=(0.5, 1.0, 2.0, 3.0), boundary=boundary)
    grid = SolidHarmonicScattering(method="grid", **kw).fit(X)
    auto = SolidHarmonicScattering(method="auto", **kw).fit(X)
    analytic = SolidHarmonicScattering(method="analytic", **kw).fit(X)
    G, A, C = grid.transform(X), auto.transform(X), analytic.transform(X)
    names = list(grid.get_feature_names_out())
    closed = [names.index(n) for n in analytic.get_feature_names_out()]
    assert len(closed) == 3 * (3 + 2 * 3)  # 3 channels x (S0 q=1,2,3 + S1 q=2 for 2 scales x 3 degrees)
    np.testing.assert_allclose(A[:, closed], C, rtol=1e-12)  # translated frames: round-off only
    np.testing.assert_allclose(C, G[:, closed], rtol=rtol, atol=1e-12 * np.abs(G).max())
    others = np.setdiff1d(np.arange(G.shape[1]), closed)
    np.testing.assert_array_equal(A[:, others], G[:, others])


def test_analytic_path_is_exactly_rotation_invariant():
    X = _molecules(4, seed=6)
    est = SolidHarmonicScattering(method="analytic", align=False, **SMALL).fit(X)
    R = Rotation.random(random_state=7).as_matrix()
    moved = [(z, r @ R.T - 3.0) for z, r in X]
    np.testing.assert_allclose(est.transform(moved), est.transform(X), rtol=1e-10)
    with pytest.raises(ValueError, match="no closed-form"):
        SolidHarmonicScattering(method="analytic", integral_powers=(0.5,)).fit(X)


def test_free_space_equals_a_periodic_box_large_enough_not_to_wrap():
    """Free space is the limit of the periodic box: on a box with room for every tail the exact
    periodic path (kymatio's discretisation, voxel sums) and the free-space grids agree; q = 2 at
    order 1 is exact on both, the rest differ by Riemann-sum error."""
    X = [([8, 1, 1, 6], [[0.0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0], [0.3, -0.4, 1.2]])]
    powers = (0.5, 1.0, 2.0, 3.0)
    kw = dict(J=1, L=3, sigma=2.0, integral_powers=powers, channels=("nuclear",), spacing=0.12, method="grid")
    free = SolidHarmonicScattering(**kw).fit(X).transform(X)[0]
    ref = SolidHarmonicScattering(boundary="periodic", grid_shape=(96, 96, 96), bandwidth_tol=None, **kw).fit(X).transform(X)[0]
    layout = scattering_3d_layout(1, 3, powers)
    order = np.array([c[0] for c in layout])
    q = np.array([c[4] for c in layout])
    rel = np.abs(free - ref) / np.abs(ref)
    assert rel[(order == 1) & (q == 2)].max() < 1e-6
    assert rel.max() < 1e-3


@pytest.mark.parametrize("param, value", [("sigma", 2.5), ("J", 2), ("integral_powers", (1.0,)), ("boundary", "periodic")])
def test_set_params_without_refit_keeps_the_fitted_function(param, value):
    """The issue: sigma set after fit changed the output to neither the fitted nor a refitted model's."""
    X = _molecules(3, seed=8)
    est = SolidHarmonicScattering(**SMALL).fit(X)
    before = est.transform(X)
    est.set_params(**{param: value})
    np.testing.assert_array_equal(est.transform(X), before)
    assert est.get_feature_names_out().size == before.shape[1]
    refitted = est.fit(X).transform(X)
    assert refitted.shape != before.shape or not np.array_equal(refitted, before)


@pytest.mark.parametrize("spacing", [None, 0.2])
def test_coincident_atoms_are_named_in_fit_and_transform(spacing):
    """Used to fail with 'cannot convert float NaN to integer' (a zero spacing)."""
    X = _molecules(3, seed=9)
    z, r = X[1]
    bad = list(X)
    bad[1] = (np.r_[z, 1], np.vstack([r, r[2:3]]))
    est = SolidHarmonicScattering(spacing=spacing, **SMALL)
    with pytest.raises(ValueError, match=rf"X\[1\] has atoms 2 and {len(z)} at the same position \(0 Å apart\).*Remove the duplicate"):
        est.fit(bad)
    est.fit(X)
    with pytest.raises(ValueError, match=r"X\[1\] has atoms 2 and \d+ at the same position"):
        est.transform(bad)


def test_no_cupy_check_in_fit_and_free_space_runs_one_thread_per_molecule(monkeypatch):
    from skscatter.utils._parallel import ExecutionPlan

    X = _molecules(2, seed=10)
    # Fitting never looks for a GPU: a model fitted with backend='cupy' only
    # needs one to transform with it.
    est = SolidHarmonicScattering(backend="cupy", **SMALL).fit(X)
    plans = []
    run = ExecutionPlan.run
    monkeypatch.setattr(ExecutionPlan, "run", lambda self, *a, **k: plans.append(self) or run(self, *a, **k))
    est.set_params(backend="numba", n_jobs=2)
    est.transform(X[:1])
    est.transform(X)
    # One molecule: a single batch, still one thread (free-space grids are
    # too small for threads inside); two: side by side.
    assert [(p.concurrent, p.threads) for p in plans] == [(1, 1), (2, 1)]
    periodic = SolidHarmonicScattering(boundary="periodic", n_jobs=2, **SMALL).fit(X)
    plans.clear()
    periodic.transform(X[:1])
    assert [(p.concurrent, p.threads) for p in plans] == [(1, 2)]


def test_fit_refuses_scales_beyond_float64_and_repeated_powers():
    X = _molecules(2)
    with pytest.raises(ValueError, match=r"J=200, L=2 and sigma=1.5 .*outside float64's range"):
        SolidHarmonicScattering(**dict(SMALL, J=200)).fit(X)
    # Wavelets far wider than any molecule are pointless but computable:
    # their grids scale with them (no more points than the finest scale's).
    wide = SolidHarmonicScattering(**dict(SMALL, J=120, max_order=1)).fit(X)
    assert np.all(np.isfinite(wide.transform(X)))
    with pytest.raises(ValueError, match="repeats a power"):
        SolidHarmonicScattering(**dict(SMALL, integral_powers=(2, 2.0))).fit(X)


def test_cupy_backend_computes_the_same_function(fake_cupy):
    """The cupy path of free space, run on a stand-in cupy module backed by NumPy."""
    X = _molecules(3, seed=11)
    est = SolidHarmonicScattering(**SMALL).fit(X)
    expected = est.transform(X)
    got = est.set_params(backend="cupy").transform(X)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    with pytest.raises(ValueError, match=r"backend='cupy'\) is not available.*'numpy' or 'numba' only"):
        SolidHarmonicScattering(method="analytic", backend="cupy", **SMALL).fit(X).transform(X)


def test_kymatio_box_fits_the_default_memory_limit_and_huge_boxes_do_not():
    water = [([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])]
    kw = dict(boundary="periodic", spacing=0.113, channels=("nuclear",))
    SolidHarmonicScattering(grid_shape=(192, 128, 96), **kw).fit(water)  # kymatio's QM7 box
    with pytest.raises(ValueError, match=r"periodic box \(1024, 1024, 1024\).*MiB per molecule, over the limit"):
        SolidHarmonicScattering(grid_shape=(1024, 1024, 1024), **kw).fit(water)
