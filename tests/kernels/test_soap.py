"""The SOAP kernel dispatcher: the numba kernels against the array-expression twin, and the bounds it checks."""

import numpy as np
import pytest

from skscatter._kernels.soap import (
    GTORadial,
    SplineRadial,
    atom_rows_xp,
    expansion_coefficients,
    feature_index,
    n_features,
    power_spectrum,
    power_spectrum_reduced,
)
from skscatter.soap import gto_basis
from skscatter.soap._basis import gto_radial_functions, radial_integral_table, soap_prefactor

S, N_MAX, L_MAX = 3, 3, 2


def _pairs(rng, n_centres=7, per_centre=5, reach=3.0):
    counts = rng.integers(1, per_centre + 1, n_centres)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    n = offsets[-1]
    vectors = rng.uniform(-1, 1, (n, 3)) * reach / np.sqrt(3)
    vectors[offsets[:-1]] = 0.0  # each centre's own Gaussian
    species = rng.integers(0, S, n).astype(np.int64)
    weights = rng.uniform(0.2, 1.0, n)
    return offsets, vectors, species, weights


def _gto():
    alphas, betas = gto_basis(4.0, N_MAX, L_MAX)
    return GTORadial(alphas, betas, 2.0)


def _spline():
    g = _gto()
    table, step = radial_integral_table(
        lambda r, l: gto_radial_functions(r, g.alphas, g.betas, l), L_MAX, 0.5, x_max=12.0, r_max=3.2
    )
    return SplineRadial(table, step)


PREFACTORS = np.array([soap_prefactor(l) for l in range(L_MAX + 1)])


@pytest.mark.parametrize("radial", [_gto(), _spline()], ids=["gto", "spline"])
def test_numba_kernels_match_the_array_expressions(global_random_seed, radial):
    rng = np.random.default_rng(global_random_seed)
    offsets, vectors, species, weights = _pairs(rng)
    coeffs = expansion_coefficients(offsets, vectors, species, weights, S, radial)
    present = np.ones((len(offsets) - 1, S), dtype=bool)
    rows = power_spectrum(coeffs, PREFACTORS, present)
    assert rows.shape == (len(offsets) - 1, n_features(S, N_MAX, L_MAX))
    index = feature_index(S, N_MAX, L_MAX)
    rows_xp = atom_rows_xp(offsets, vectors, species, weights, S, radial, PREFACTORS, index, normalize=False, xp=np)
    np.testing.assert_allclose(rows_xp, rows, rtol=1e-12, atol=1e-14 * np.abs(rows).max())
    starts = np.array([0, 3, 3, len(offsets) - 1], dtype=np.int64)  # an empty structure in the middle
    for normalize in (False, True):
        for mean in (False, True):
            red = power_spectrum_reduced(coeffs, PREFACTORS, present, starts, normalize=normalize, mean=mean)
            unit = rows / np.linalg.norm(rows, axis=1, keepdims=True) if normalize else rows
            expected = np.array([unit[a:b].sum(0) / (max(b - a, 1) if mean else 1) for a, b in zip(starts[:-1], starts[1:])])
            np.testing.assert_allclose(red, expected, rtol=1e-12, atol=1e-14 * np.abs(expected).max())


def _args(rng):
    offsets, vectors, species, weights = _pairs(rng)
    return dict(offsets=offsets, vectors=vectors, species=species, weights=weights, n_species=S, radial=_gto())


def _bad(**changes):
    def make(args):
        args = dict(args)
        for key, value in changes.items():
            args[key] = value(args) if callable(value) else value
        return args

    return make


@pytest.mark.parametrize(
    "make, match",
    [
        (_bad(offsets=lambda a: a["offsets"] + 1), "offsets must start at 0"),
        (_bad(offsets=lambda a: a["offsets"][:-1]), r"offsets must start at 0 and end at the \d+ pairs"),
        (_bad(offsets=lambda a: np.r_[a["offsets"][:2], a["offsets"][1:2] - 1, a["offsets"][2:]]), "non-decreasing"),
        (_bad(offsets=lambda a: a["offsets"].astype(np.int32)), "offsets must be a C-contiguous int64"),
        (_bad(vectors=lambda a: a["vectors"].astype(np.float32)), "vectors must be a C-contiguous float64"),
        (_bad(vectors=lambda a: np.asfortranarray(a["vectors"])), "vectors must be a C-contiguous"),
        (_bad(vectors=lambda a: np.c_[a["vectors"], a["vectors"][:, :1]]), r"vectors has shape \(\d+, 4\)"),
        (_bad(species=lambda a: a["species"] + S), r"species indices must lie in \[0, 3\)"),
        (_bad(species=lambda a: a["species"] - 1), r"species indices must lie in \[0, 3\)"),
        (_bad(weights=lambda a: a["weights"][:-1]), "weights has shape"),
        (_bad(n_species=0), "n_species=0 must be a positive int"),
        (_bad(radial=lambda a: GTORadial(a["radial"].alphas, a["radial"].betas[:, :2].copy(), 2.0)), "betas has shape"),
        (_bad(radial=lambda a: GTORadial(a["radial"].alphas, a["radial"].betas, -1.0)), "eta=-1.0"),
        (_bad(radial="gto"), "radial must be a GTORadial or a SplineRadial"),
        (
            _bad(radial=lambda a: SplineRadial(_spline().table[:10], _spline().step)),
            "the spline table covers distances up to",
        ),
    ],
)
def test_expansion_refuses_inconsistent_arguments(global_random_seed, make, match):
    args = make(_args(np.random.default_rng(global_random_seed)))
    radial = args.pop("radial")
    n_species = args.pop("n_species")
    with pytest.raises(ValueError, match=match):
        expansion_coefficients(*args.values(), n_species, radial)
    with pytest.raises(ValueError, match=match):
        atom_rows_xp(
            *args.values(), n_species, radial, PREFACTORS, feature_index(S, N_MAX, L_MAX), normalize=False, xp=np
        )


def test_spectra_refuse_inconsistent_arguments(global_random_seed):
    args = _args(np.random.default_rng(global_random_seed))
    coeffs = expansion_coefficients(*args.values())
    n = coeffs.shape[0]
    present = np.ones((n, S), dtype=bool)
    with pytest.raises(ValueError, match="prefactors"):
        power_spectrum(coeffs, PREFACTORS[:-1], present)
    with pytest.raises(ValueError, match=r"present has shape"):
        power_spectrum(coeffs, PREFACTORS, present[:-1])
    with pytest.raises(ValueError, match="present must be a C-contiguous bool"):
        power_spectrum(coeffs, PREFACTORS, present.astype(np.int8))
    with pytest.raises(ValueError, match="coeffs must be a C-contiguous"):
        power_spectrum(coeffs[:, :, :, ::-1], PREFACTORS, present)
    for starts in ([0, n + 1], [1, n], [0, 5, 2, n], [0, n - 1]):
        with pytest.raises(ValueError, match="starts must be non-decreasing"):
            power_spectrum_reduced(coeffs, PREFACTORS, present, np.array(starts, dtype=np.int64), normalize=False, mean=False)
    with pytest.raises(ValueError, match="feature index"):
        atom_rows_xp(*args.values(), PREFACTORS, feature_index(S, N_MAX, L_MAX - 1), normalize=False, xp=np)
