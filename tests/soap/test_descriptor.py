"""SOAPDescriptor: definition, dscribe oracle, invariances, periodicity, sklearn API, errors."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skscatter import config_context
from skscatter._kernels._soap_numba import legendre_norms, real_ylm
from skscatter.harmonic._filter_bank import real_spherical_harmonics
from skscatter.soap import SOAPDescriptor, gto_basis
from skscatter.soap._core import coefficients
from skscatter._kernels._soap_numba import radial_constants
from skscatter.soap._basis import (
    gto_radial_functions,
    polynomial_basis,
    polynomial_radial_functions,
    radial_integral_table,
    soap_prefactor,
)

SMALL = dict(r_cut=4.0, n_max=4, l_max=4, sigma=0.5)


def _molecules(n, seed=0, species=(1, 6, 7, 8)):
    rng = np.random.default_rng(seed)
    mols = []
    while len(mols) < n:
        k = int(rng.integers(3, 12))
        pos = rng.uniform(-2.5, 2.5, size=(k, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + 1e9 * np.eye(k))
        if d.min() > 0.8:
            mols.append((rng.choice(species, size=k), pos))
    return mols


def _sqrt2_weights(est):
    """1 on the (Z, n) == (Z', n') entries, sqrt(2) elsewhere, from the feature names."""
    w = []
    for name in est.get_feature_names_out():
        z1, z2, _, n1, n2 = name.split("_")
        w.append(1.0 if (z1 == z2 and n1[1:] == n2[1:]) else math.sqrt(2))
    return np.array(w)


# -- the pieces ------------------------------------------------------------


@pytest.mark.parametrize("l", [0, 1, 3, 6])
def test_gto_basis_is_orthonormal(l):
    alphas, betas = gto_basis(5.0, 8, 6)
    r = np.linspace(0, 30, 300001)
    g = gto_radial_functions(r, alphas, betas, l)
    overlap = (g[:, None, :] * g[None, :, :] * r**2).sum(-1) * (r[1] - r[0])
    np.testing.assert_allclose(overlap, np.eye(8), atol=1e-6)


def test_gto_basis_failure_is_a_clear_error():
    with pytest.raises(ValueError, match="lower n_max or raise r_cut"):
        gto_basis(1.5, 40, 2)


@pytest.mark.parametrize("n_max", [1, 4, 8, 10])
def test_polynomial_basis_is_orthonormal(n_max):
    # Orthonormal to near float64 precision even where the overlap matrix has
    # condition number 1e15 (n_max = 10); an eigendecomposition of S would
    # lose 1e-6 at n_max = 8 and 1e-3 at n_max = 10.
    r = np.linspace(0, 3.5, 400001)
    g = polynomial_radial_functions(r, 3.5, polynomial_basis(3.5, n_max))
    overlap = (g[:, None, :] * g[None, :, :] * r**2).sum(-1) * (r[1] - r[0])
    np.testing.assert_allclose(overlap, np.eye(n_max), atol=1e-8)
    # The span is Bartók's: (r_cut - r)^(a + 2), a = 1..n_max, and nothing beyond r_cut.
    prim = (3.5 - r[None, ::1000]) ** (np.arange(1, n_max + 1)[:, None] + 2)
    coef, *_ = np.linalg.lstsq(prim.T, g[:, ::1000].T, rcond=None)
    np.testing.assert_allclose(prim.T @ coef, g[:, ::1000].T, rtol=0, atol=1e-8 * np.abs(g).max())
    assert np.all(polynomial_radial_functions(np.array([3.5, 4.0, 9.0]), 3.5, polynomial_basis(3.5, n_max)) == 0)


def test_polynomial_basis_failure_is_a_clear_error():
    with pytest.raises(ValueError, match="n_max <= 10"):
        polynomial_basis(5.0, 12)


def test_radial_integral_table_matches_gto_closed_form():
    """The spline table (used by rbf="polynomial") reproduces the GTO projections' closed form."""
    r_cut, n_max, l_max, sigma = 5.0, 6, 5, 0.5
    alphas, betas = gto_basis(r_cut, n_max, l_max)
    eta = 1 / (2 * sigma**2)
    const, expo = radial_constants(alphas, eta)
    table, h = radial_integral_table(
        lambda x, l: gto_radial_functions(x, alphas, betas, l), l_max, sigma, x_max=3 * r_cut, r_max=6.9
    )
    r = np.random.default_rng(0).uniform(0, 6.9, 500)
    j = np.minimum((r / h).astype(int), len(table) - 1)
    t = (r - j * h)[:, None, None]
    c = table[j]
    spline = ((c[..., 0] * t + c[..., 1]) * t + c[..., 2]) * t + c[..., 3]
    exact = np.stack(
        [(betas[l] @ (const[l][:, None] * (2 * eta * r) ** l * np.exp(expo[l][:, None] * r**2))).T for l in range(l_max + 1)], 1
    )
    np.testing.assert_allclose(spline, exact, atol=1e-8 * np.abs(exact).max())


@settings(max_examples=25, deadline=None)
@given(st.tuples(*[st.floats(-1, 1)] * 3).filter(lambda v: sum(x * x for x in v) > 1e-4))
def test_real_ylm_kernel_matches_scipy(v):
    v = np.array(v) / np.linalg.norm(v)
    L = 8
    Y = np.empty((L + 1) ** 2)
    real_ylm(v[0], v[1], v[2], L, legendre_norms(L), np.empty((L + 1, L + 1)), Y)
    ref = np.concatenate([real_spherical_harmonics(l, v[:1], v[1:2], v[2:])[:, 0] for l in range(L + 1)])
    np.testing.assert_allclose(Y, ref, atol=1e-12)


# -- definition ------------------------------------------------------------


def _slow_soap(numbers, positions, species, r_cut, n_max, l_max, sigma, rbf="gto"):
    """Float64 NumPy reference: numerical radial quadrature of the density projections."""
    if rbf == "gto":
        alphas, betas = gto_basis(r_cut, n_max, l_max)
        radial, R = (lambda r, l: gto_radial_functions(r, alphas, betas, l)), 12.0
    else:
        W = polynomial_basis(r_cut, n_max)
        radial, R = (lambda r, l: polynomial_radial_functions(r, r_cut, W)), r_cut
    eta, pad = 1 / (2 * sigma**2), sigma * math.sqrt(-2 * math.log(1e-3))
    # Gauss-Legendre in r and on the sphere: integrate g_nl(r) Y_lm rho(r) directly.
    xr, wr = np.polynomial.legendre.leggauss(120)
    r = (xr + 1) * R / 2
    wr = wr * R / 2
    t, wt = np.polynomial.legendre.leggauss(24)
    phi = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    ct, ph = np.meshgrid(t, phi, indexing="ij")
    st_ = np.sqrt(1 - ct**2)
    dirs = np.stack([(st_ * np.cos(ph)).ravel(), (st_ * np.sin(ph)).ravel(), ct.ravel()], 1)
    wdir = (wt[:, None] * np.full(phi.size, 2 * np.pi / phi.size)).ravel()
    Ys = [real_spherical_harmonics(l, *dirs.T) for l in range(l_max + 1)]
    rows = []
    for i in range(len(numbers)):
        d = positions - positions[i]
        keep = np.linalg.norm(d, axis=1) < r_cut + pad
        pts = r[:, None, None] * dirs[None]  # (nr, ndir, 3)
        c = {}
        for z in species:
            sel = d[keep & (numbers == z)]
            rho = np.exp(-eta * ((pts[:, :, None, :] - sel[None, None]) ** 2).sum(-1)).sum(-1)
            for l in range(l_max + 1):
                g = radial(r, l)  # (n, nr)
                proj = np.einsum("nr,r,r,mk,rk,k->nm", g, wr, r**2, Ys[l], rho, wdir)
                c[z, l] = proj
        feats = []
        for a, z1 in enumerate(species):
            for z2 in species[a:]:
                for l in range(l_max + 1):
                    P = soap_prefactor(l) * c[z1, l] @ c[z2, l].T
                    for n in range(n_max):
                        for n2 in range(n if z1 == z2 else 0, n_max):
                            feats.append(P[n, n2] * (1 if (z1 == z2 and n == n2) else math.sqrt(2)))
        rows.append(feats)
    return np.array(rows)


@pytest.mark.parametrize("rbf", ["gto", "polynomial"])
def test_matches_slow_quadrature_reference(rbf):
    numbers = np.array([8, 1, 1, 6])
    positions = np.array([[0.0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0], [0.5, 0.4, 1.3]])
    kw = dict(r_cut=3.0, n_max=3, l_max=3, sigma=0.5)
    est = SOAPDescriptor(species=[1, 6, 8], rbf=rbf, **kw).fit([(numbers, positions)])
    P, _ = est.transform_atoms([(numbers, positions)])
    ref = _slow_soap(numbers, positions, [1, 6, 8], rbf=rbf, **kw)
    np.testing.assert_allclose(P, ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())


def test_dot_product_is_the_full_soap_kernel():
    """sum over ALL (Z, n, Z', n') of p p' equals the packed rows' dot product."""
    mols = _molecules(2, seed=1)
    est = SOAPDescriptor(**SMALL).fit(mols)
    structures = __import__("skscatter").structures.check_structures(mols)
    coeffs, _ = coefficients(structures, est._model)  # (atoms, S, lm, n)
    P, _ = est.transform_atoms(mols)
    full = []
    for c in coeffs:
        blocks = [soap_prefactor(l) * np.einsum("amn,bmk->anbk", c[:, l * l : (l + 1) ** 2].transpose(0, 1, 2), c[:, l * l : (l + 1) ** 2]) for l in range(est.l_max + 1)]
        full.append(np.concatenate([b.ravel() for b in blocks]))
    full = np.array(full)
    np.testing.assert_allclose(P @ P.T, full @ full.T, rtol=1e-10)


def test_equals_dscribe_up_to_sqrt2():
    dscribe = pytest.importorskip("dscribe.descriptors")
    ase = pytest.importorskip("ase")
    mols = _molecules(6, seed=2, species=(1, 6, 7, 8, 9))
    kw = dict(r_cut=5.0, n_max=8, l_max=6, sigma=0.5)
    est = SOAPDescriptor(species=[1, 6, 7, 8, 9], **kw).fit(mols)
    P, _ = est.transform_atoms(mols)
    soap = dscribe.SOAP(species=[1, 6, 7, 8, 9], **kw)
    D = np.concatenate([soap.create(ase.Atoms(numbers=z, positions=p)) for z, p in mols])
    Dw = D * _sqrt2_weights(est)
    np.testing.assert_allclose(P, Dw, rtol=1e-6, atol=1e-9 * np.abs(D).max())
    K, Kd = P @ P.T, Dw @ Dw.T
    assert np.max(np.abs(K - Kd) / np.abs(Kd)) < 1e-6


@pytest.mark.parametrize("n_max", [3, 5])
def test_polynomial_kernel_equals_dscribe(n_max):
    """Bases spanning the same functions give the same SOAP kernel once both are orthonormal.

    dscribe orthonormalises the same primitives (unscaled) through
    sqrtm(inv(S)); at small n_max that is accurate, so the kernels agree.
    (At n_max = 8 dscribe's basis is off orthonormality by about 1e-6,
    dscribe issue #133, and the kernels differ by 1e-5.)
    """
    dscribe = pytest.importorskip("dscribe.descriptors")
    ase = pytest.importorskip("ase")
    mols = _molecules(6, seed=2)
    kw = dict(r_cut=4.0, n_max=n_max, l_max=4, sigma=0.5)
    est = SOAPDescriptor(species=[1, 6, 7, 8], rbf="polynomial", **kw).fit(mols)
    P, _ = est.transform_atoms(mols)
    soap = dscribe.SOAP(species=[1, 6, 7, 8], rbf="polynomial", **kw)
    D = np.concatenate([soap.create(ase.Atoms(numbers=z, positions=p)) for z, p in mols]) * _sqrt2_weights(est)
    K, Kd = P @ P.T, D @ D.T
    np.testing.assert_allclose(K, Kd, rtol=1e-8, atol=1e-9 * np.abs(Kd).max())


@pytest.mark.parametrize("name", ["Si", "graphene", "NaCl"])
def test_periodic_equals_dscribe_and_explicit_supercell(name):
    build = pytest.importorskip("ase.build")
    if name == "Si":
        atoms, rep = build.bulk("Si", "diamond", a=5.43), (5, 5, 5)
    elif name == "graphene":
        atoms, rep = build.graphene(vacuum=10.0), (7, 7, 1)
    else:
        atoms, rep = build.bulk("NaCl", "rocksalt", a=5.64, cubic=True), (3, 3, 3)
        atoms.rattle(0.1, seed=1)
    est = SOAPDescriptor(species=sorted(set(atoms.numbers)), **SMALL).fit([atoms])
    P, _ = est.transform_atoms([atoms])
    # The same atoms at the centre of a finite block of cells see the same neighbours.
    block = atoms.repeat(rep)
    n, mid = len(atoms), np.array(rep) // 2
    first = int(((mid[0] * rep[1] + mid[1]) * rep[2] + mid[2]) * n)
    Pb, _ = est.transform_atoms([(block.numbers, block.positions)])
    np.testing.assert_allclose(P, Pb[first : first + n], rtol=1e-10, atol=1e-12 * np.abs(P).max())
    dscribe = pytest.importorskip("dscribe.descriptors")
    D = dscribe.SOAP(species=sorted(set(atoms.numbers)), periodic=True, **SMALL).create(atoms)
    np.testing.assert_allclose(P, D * _sqrt2_weights(est), rtol=1e-6, atol=1e-9 * np.abs(D).max())


# -- invariances and reductions ---------------------------------------------


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), rbf=st.sampled_from(["gto", "polynomial"]))
def test_rotation_translation_permutation_invariance(seed, rbf):
    rng = np.random.default_rng(seed)
    (z, pos), = _molecules(1, seed=seed)
    est = SOAPDescriptor(species=[1, 6, 7, 8], rbf=rbf, **SMALL).fit([(z, pos)])
    P, _ = est.transform_atoms([(z, pos)])
    R = Rotation.random(random_state=seed).as_matrix()
    perm = rng.permutation(len(z))
    moved = (z[perm], pos[perm] @ R.T + rng.normal(size=3) * 10)
    Q, _ = est.transform_atoms([moved])
    np.testing.assert_allclose(Q, P[perm], rtol=1e-10, atol=1e-10 * np.abs(P).max())


def test_reductions_match_per_atom_rows():
    mols = _molecules(5, seed=3)
    P, owner = SOAPDescriptor(**SMALL).fit(mols).transform_atoms(mols)
    sums = np.array([P[owner == b].sum(0) for b in range(5)])
    means = np.array([P[owner == b].mean(0) for b in range(5)])
    np.testing.assert_allclose(SOAPDescriptor(**SMALL).fit(mols).transform(mols), sums, rtol=1e-12)
    np.testing.assert_allclose(SOAPDescriptor(reduction="mean", **SMALL).fit(mols).transform(mols), means, rtol=1e-12)
    Pn, _ = SOAPDescriptor(normalize=True, **SMALL).fit(mols).transform_atoms(mols)
    np.testing.assert_allclose(np.linalg.norm(Pn, axis=1), 1.0)
    Sn = SOAPDescriptor(normalize=True, **SMALL).fit(mols).transform(mols)
    np.testing.assert_allclose(Sn, np.array([Pn[owner == b].sum(0) for b in range(5)]), rtol=1e-12)


def test_batches_and_threads_do_not_change_results():
    mols = _molecules(12, seed=4)
    est = SOAPDescriptor(**SMALL).fit(mols)
    ref = est.transform(mols)
    with config_context(working_memory=0.05):  # a few atoms per batch
        np.testing.assert_array_equal(est.transform(mols), ref)
        np.testing.assert_array_equal(est.transform_atoms(mols)[0], SOAPDescriptor(**SMALL).fit(mols).transform_atoms(mols)[0])
    np.testing.assert_allclose(clone(est).set_params(n_jobs=2).fit(mols).transform(mols), ref, rtol=1e-13)


def test_shifted_cosine_cutoff_is_continuous():
    """An atom crossing r_cut enters with zero weight: the descriptor does not jump."""
    est = SOAPDescriptor(species=[1, 8], cutoff_function="shifted_cosine", **SMALL).fit([([8], [[0, 0, 0]])])
    inside = est.transform_atoms([([8, 1], [[0, 0, 0], [est.r_cut - 1e-7, 0, 0]])])[0][0]
    alone = est.transform_atoms([([8], [[0, 0, 0]])])[0][0]
    np.testing.assert_allclose(inside, alone, atol=1e-12)
    hard = SOAPDescriptor(species=[1, 8], **SMALL).fit([([8], [[0, 0, 0]])])
    assert np.abs(hard.transform_atoms([([8, 1], [[0, 0, 0], [3.9, 0, 0]])])[0][0] - alone).max() > 1e-3


def test_centre_weight():
    water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    P1 = SOAPDescriptor(centre_weight=1.0, **SMALL).fit([water]).transform_atoms([water])[0]
    P0 = SOAPDescriptor(centre_weight=0.0, **SMALL).fit([water]).transform_atoms([water])[0]
    assert not np.allclose(P0, P1)
    lone = SOAPDescriptor(centre_weight=0.0, species=[8], **SMALL).fit([([8], [[0, 0, 0]])])
    assert np.all(lone.transform([([8], [[0, 0, 0]])]) == 0)


# -- sklearn API -------------------------------------------------------------

def test_names_pickle_grid_search():
    mols = _molecules(20, seed=5)
    y = np.array([len(z) * 1.5 + (np.asarray(z) == 8).sum() for z, _ in mols])
    est = SOAPDescriptor(**SMALL).fit(mols)
    names = est.get_feature_names_out()
    assert len(names) == est.n_features_out_ == 4 * 4 * (4 * 4 + 1) // 2 * 5
    assert names[0] == "Z1_Z1_l0_n0_n0"
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(mols[:3]), est.transform(mols[:3]))
    search = GridSearchCV(make_pipeline(SOAPDescriptor(species=[1, 6, 7, 8], **SMALL), Ridge()), {"ridge__alpha": [1e-6, 1.0]}, cv=3)
    assert search.fit(mols, y).best_score_ > 0.5  # 20 molecules, 1,360 features: a smoke test


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(species=[1, 8]), [([6, 1], [[0, 0, 0], [1, 0, 0]])], r"X\[0\] contains atomic numbers \[6\]"),
        (dict(species=[1, 1]), [([1], [[0, 0, 0]])], "distinct"),
        (dict(species=["H", "Xx"]), [([1], [[0, 0, 0]])], "'Xx', which is not a chemical symbol"),
        (dict(species=["H", 1]), [([1], [[0, 0, 0]])], "names H \\(Z=1\\) more than once"),
        (dict(r_cut=0.5), [([1], [[0, 0, 0]])], "r_cut"),
        (dict(sigma=-1.0), [([1], [[0, 0, 0]])], "sigma"),
        (dict(cutoff_function="shifted_cosine", cutoff_width=9.0), [([1], [[0, 0, 0]])], "cutoff_width"),
        (dict(n_max=40, r_cut=1.5), [([1], [[0, 0, 0]])], "lower n_max"),
        (dict(n_max=12, rbf="polynomial"), [([1], [[0, 0, 0]])], "n_max <= 10"),
        (dict(rbf="bessel"), [([1], [[0, 0, 0]])], "rbf"),
        ({}, [], "no structures"),
        ({}, [([1, 1], [[0, 0, 0], [np.inf, 0, 0]])], "NaN or infinite"),
        ({}, np.zeros((3, 3)), "numeric array"),
    ],
)
def test_bad_input(params, X, match):
    with pytest.raises(ValueError, match=match):
        SOAPDescriptor(**params).fit(X)


def test_unknown_species_at_transform():
    est = SOAPDescriptor(**SMALL).fit([([1, 8], [[0, 0, 0], [1, 0, 0]])])
    with pytest.raises(ValueError, match=r"X\[1\] contains atomic numbers \[16\]"):
        est.transform([([1], [[0, 0, 0]]), ([16, 1], [[0, 0, 0], [1.3, 0, 0]])])
    with pytest.raises(Exception, match="not fitted"):
        SOAPDescriptor().transform([([1], [[0, 0, 0]])])


# -- backends ----------------------------------------------------------------


@pytest.mark.parametrize("rbf", ["gto", "polynomial"])
@pytest.mark.parametrize(
    "options",
    [{}, dict(normalize=True, reduction="mean"), dict(cutoff_function="shifted_cosine", centre_weight=0.5)],
    ids=["plain", "normalized-mean", "cosine-centre"],
)
def test_numpy_backend_equals_numba(rbf, options):
    """The array-expression path (numpy here, cupy on a GPU) computes the numba kernels' function."""
    mols = _molecules(8, seed=6)
    kw = dict(SMALL, rbf=rbf, **options)
    fast = SOAPDescriptor(**kw).fit(mols)
    ref = SOAPDescriptor(backend="numpy", **kw).fit(mols)
    P = fast.transform_atoms(mols)[0]
    np.testing.assert_allclose(ref.transform_atoms(mols)[0], P, rtol=1e-10, atol=1e-12 * np.abs(P).max())
    S = fast.transform(mols)
    with config_context(working_memory=0.5):  # several batches
        np.testing.assert_allclose(ref.transform(mols), S, rtol=1e-10, atol=1e-12 * np.abs(S).max())


def test_numpy_backend_periodic():
    build = pytest.importorskip("ase.build")
    atoms = build.bulk("Si", "diamond", a=5.43)
    P = SOAPDescriptor(**SMALL).fit([atoms]).transform_atoms([atoms])[0]
    Q = SOAPDescriptor(backend="numpy", **SMALL).fit([atoms]).transform_atoms([atoms])[0]
    np.testing.assert_allclose(Q, P, rtol=1e-10, atol=1e-12 * np.abs(P).max())


def test_cupy_backend_equals_numba():
    from skscatter._backend import cupy_available

    if not cupy_available():
        pytest.skip("cupy with a CUDA device is not available")
    mols = _molecules(8, seed=7)
    for rbf in ("gto", "polynomial"):
        fast = SOAPDescriptor(rbf=rbf, **SMALL).fit(mols)
        gpu = SOAPDescriptor(rbf=rbf, backend="cupy", **SMALL).fit(mols)
        out = gpu.transform(mols)
        assert isinstance(out, np.ndarray)
        np.testing.assert_allclose(out, fast.transform(mols), rtol=1e-9)
        np.testing.assert_allclose(gpu.transform_atoms(mols)[0], fast.transform_atoms(mols)[0], rtol=1e-9, atol=1e-12)


def test_cupy_backend_without_cupy_is_a_clear_error():
    from skscatter._backend import cupy_available

    if cupy_available():
        pytest.skip("cupy is available here")
    est = SOAPDescriptor(backend="cupy", **SMALL).fit(_molecules(1))
    with pytest.raises(ImportError, match="backend='cupy'"):
        est.transform(_molecules(1))


# -- chemistry conventions: symbols, unseen elements, streams ---------------------


def _random_molecules(rng, n, species=(1, 6, 8)):
    mols = []
    while len(mols) < n:
        k = int(rng.integers(2, 6))
        pos = rng.uniform(-1.5, 1.5, size=(k, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + 1e9 * np.eye(k))
        if d.min() > 0.8:
            mols.append((rng.choice(species, size=k), pos))
    return mols


def test_species_as_symbols_numbers_or_a_mix():
    mols = _random_molecules(np.random.default_rng(0), 6)
    by_number = SOAPDescriptor(species=[8, 1, 6], **SMALL).fit(mols)
    for species in (["H", "C", "O"], ["O", 1, "C"], np.array(["C", "H", "O"])):
        est = SOAPDescriptor(species=species, **SMALL).fit(mols)
        assert est.species_.tolist() == [1, 6, 8]
        np.testing.assert_array_equal(est.transform(mols), by_number.transform(mols))
        assert est.species is species  # the parameter itself is left as given


def test_unseen_element_message_says_to_pass_species():
    mols = _random_molecules(np.random.default_rng(1), 4, species=(1, 8))
    est = SOAPDescriptor(**SMALL).fit(mols)
    chlorine = ([17, 1], [[0, 0, 0], [1.3, 0, 0]])
    with pytest.raises(ValueError, match=r"X\[1\] contains atomic numbers \[17\] \(Cl\).*species_=\[1, 8\] \(H, O\).*"
                       r"SOAPDescriptor\(species=\[1, 8, 17\]\).*\['H', 'O', 'Cl'\]"):
        est.transform([mols[0], chlorine])


def test_grid_search_fold_without_an_element_surfaces_the_fix():
    # Fold 0's training part lacks sulphur, which only its test part holds:
    # the fold scores NaN, and scikit-learn's warning carries our message.
    rng = np.random.default_rng(2)
    mols = _random_molecules(rng, 9, species=(1, 8))
    mols[0] = ([16, 1], [[0, 0, 0], [1.3, 0, 0]])
    y = rng.random(len(mols))
    pipe = make_pipeline(SOAPDescriptor(**SMALL), Ridge())
    search = GridSearchCV(pipe, {"ridge__alpha": [1.0]}, cv=3, error_score=np.nan)
    with pytest.warns(UserWarning) as record:
        search.fit(mols, y)
    assert np.isnan(search.cv_results_["split0_test_score"][0])
    text = "\n".join(str(w.message) for w in record)
    assert "contains atomic numbers [16] (S)" in text and "SOAPDescriptor(species=[1, 8, 16])" in text
    # The fix works: every fold knows sulphur.
    search = GridSearchCV(make_pipeline(SOAPDescriptor(species=["H", "O", "S"], **SMALL), Ridge()),
                          {"ridge__alpha": [1.0]}, cv=3, error_score="raise")
    assert np.isfinite(search.fit(mols, y).cv_results_["split0_test_score"][0])


def _counting(items, pulled):
    for item in items:
        pulled.append(1)
        yield item


@pytest.mark.parametrize("method", ["transform", "transform_atoms"])
def test_a_generator_is_streamed_and_equals_the_list(method, monkeypatch):
    import skscatter.soap._descriptor as descriptor_module

    mols = _random_molecules(np.random.default_rng(3), 40)
    est = SOAPDescriptor(**SMALL).fit(iter(mols))  # fit reads a generator into a list
    expected = getattr(est, method)(mols)
    pulled, seen = [], []
    kernel = descriptor_module.structure_rows if method == "transform" else descriptor_module.atom_rows

    def recording(batch, *args, **kwargs):
        seen.append(len(pulled))  # structures read from the generator when this batch runs
        return kernel(batch, *args, **kwargs)

    monkeypatch.setattr(descriptor_module, kernel.__name__, recording)
    with config_context(working_memory=0.05):  # batches of a few structures
        out = getattr(est, method)(_counting(mols, pulled))
    if method == "transform":
        np.testing.assert_array_equal(out, expected)
    else:
        np.testing.assert_array_equal(out[0], expected[0])
        np.testing.assert_array_equal(out[1], expected[1])
    assert len(pulled) == len(mols) and len(seen) > 2
    # The first batch ran long before the generator was exhausted: it was not read whole.
    assert seen[0] < len(mols) // 2


def test_a_generator_error_names_the_structure_in_the_whole_stream():
    mols = _random_molecules(np.random.default_rng(4), 30, species=(1, 8))
    est = SOAPDescriptor(**SMALL).fit(mols)
    bad = mols[:25] + [([1, 1], [[0, 0, 0], [np.inf, 0, 0]])] + mols[25:]
    with config_context(working_memory=0.05), pytest.raises(ValueError, match=r"X\[25\] has NaN or infinite"):
        est.transform(iter(bad))
    with config_context(working_memory=0.05), pytest.raises(ValueError, match=r"X\[27\] contains atomic numbers \[6\]"):
        est.transform(iter(mols[:27] + [([6, 1], [[0, 0, 0], [1.1, 0, 0]])]))
    with pytest.raises(ValueError, match="no structures"):
        est.transform(iter([]))


def test_ase_iread_is_streamed(tmp_path):
    ase_io = pytest.importorskip("ase.io")
    ase = pytest.importorskip("ase")
    mols = _random_molecules(np.random.default_rng(5), 12)
    path = tmp_path / "trajectory.xyz"
    ase_io.write(path, [ase.Atoms(numbers=z, positions=p) for z, p in mols])
    est = SOAPDescriptor(species=["H", "C", "O"], **SMALL).fit(ase_io.iread(path))
    with config_context(working_memory=0.05):
        out = est.transform(ase_io.iread(path))
    np.testing.assert_array_equal(out, est.transform(ase_io.read(path, index=":")))
