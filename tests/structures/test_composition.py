"""SpeciesCounts: counts per element, errors, and its place in a FeatureUnion."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline, make_union

from skscatter.soap import SOAPDescriptor, SOAPSumKernel
from skscatter.structures import SpeciesCounts


def _molecules(n, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(2, 9))
        out.append((rng.choice([1, 6, 8], size=k), rng.normal(size=(k, 3)) * 2))
    return out


def test_counts_match_bincount_and_names():
    mols = _molecules(10)
    est = SpeciesCounts().fit(mols)
    counts = est.transform(mols)
    expected = np.array([[np.sum(np.asarray(z) == s) for s in (1, 6, 8)] for z, _ in mols])
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == sum(len(z) for z, _ in mols)
    assert est.get_feature_names_out().tolist() == ["count_Z1", "count_Z6", "count_Z8"]
    wider = SpeciesCounts(species=[9, 8, 6, 1]).fit(mols)
    np.testing.assert_array_equal(wider.transform(mols)[:, :3], expected)
    assert np.all(wider.transform(mols)[:, 3] == 0)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).transform(mols), counts)


def test_recovers_atomic_energies():
    mols = _molecules(30, seed=1)
    e = {1: -0.5, 6: -37.8, 8: -75.0}
    y = np.array([sum(e[int(a)] for a in z) for z, _ in mols])
    model = make_pipeline(SpeciesCounts(), LinearRegression(fit_intercept=False)).fit(mols, y)
    np.testing.assert_allclose(model[-1].coef_, [-0.5, -37.8, -75.0], rtol=1e-10)


@pytest.mark.parametrize(
    "params, X, match",
    [
        (dict(species=[1, 8]), [([6, 1], [[0, 0, 0], [1, 0, 0]])], r"X\[0\] contains atomic numbers \[6\]"),
        (dict(species=[1, 1]), [([1], [[0, 0, 0]])], "distinct"),
        (dict(species=["H", "Xx"]), [([1], [[0, 0, 0]])], "'Xx', which is not a chemical symbol"),
        (dict(species="HO"), [([1], [[0, 0, 0]])], "species"),
        (dict(species=[1.0]), [([1], [[0, 0, 0]])], "chemical symbol .'O'. or an atomic number"),
        ({}, [], "no structures"),
        ({}, [([1], [[np.nan, 0, 0]])], "NaN or infinite"),
    ],
)
def test_bad_input(params, X, match):
    with pytest.raises(ValueError, match=match):
        SpeciesCounts(**params).fit(X)


def test_unknown_species_at_transform_and_unfitted():
    est = SpeciesCounts().fit([([1, 8], [[0, 0, 0], [1, 0, 0]])])
    with pytest.raises(ValueError, match=r"X\[0\] contains atomic numbers \[16\]"):
        est.transform([([16], [[0, 0, 0]])])
    with pytest.raises(Exception, match="not fitted"):
        SpeciesCounts().transform([([1], [[0, 0, 0]])])


def test_union_with_sum_kernel_in_grid_search():
    """The composition baseline beside the sparse kernel: one Ridge fits both."""
    mols = _molecules(24, seed=2)
    e = {1: -0.5, 6: -37.8, 8: -75.0}
    y = np.array([sum(e[int(a)] for a in z) for z, _ in mols]) + 0.01 * np.array([len(z) ** 2 for z, _ in mols])
    kernel = SOAPSumKernel(SOAPDescriptor(species=[1, 6, 8], r_cut=3.0, n_max=2, l_max=2), n_representatives=10, random_state=0)
    model = make_pipeline(make_union(SpeciesCounts(), kernel), Ridge())
    search = GridSearchCV(model, {"ridge__alpha": [1e-6, 1e-3], "featureunion__soapsumkernel__zeta": [1, 2]}, cv=3)
    search.fit(mols, y)
    names = search.best_estimator_[0].get_feature_names_out()
    assert names[0] == "speciescounts__count_Z1" and names[3] == "soapsumkernel__kernel0"
    assert search.best_score_ > 0.9


def test_species_symbols_and_numbers_count_alike():
    mols = _molecules(5)
    expected = SpeciesCounts(species=[1, 6, 8, 17]).fit(mols).transform(mols)
    est = SpeciesCounts(species=["Cl", "H", 6, "O"]).fit(mols)
    assert est.species_.tolist() == [1, 6, 8, 17]
    np.testing.assert_array_equal(est.transform(mols), expected)


def test_a_generator_is_counted_chunk_by_chunk(monkeypatch):
    import skscatter.structures._composition as composition

    mols = _molecules(50, seed=3)
    est = SpeciesCounts().fit(m for m in mols)
    expected = est.transform(mols)
    pulled, seen = [], []
    check = composition.check_species

    def recording(structures, *args, **kwargs):
        seen.append(len(pulled))
        return check(structures, *args, **kwargs)

    def counting():
        for m in mols:
            pulled.append(1)
            yield m

    monkeypatch.setattr(composition, "_CHUNK", 7)
    monkeypatch.setattr(composition, "check_species", recording)
    np.testing.assert_array_equal(est.transform(counting()), expected)
    assert seen[:2] == [7, 14] and len(pulled) == 50  # chunk by chunk, never the whole generator first


def test_cross_validation_fold_missing_an_element_names_the_fix():
    mols = _molecules(9, seed=4)
    mols[0] = ([17, 1], [[0, 0, 0], [1.3, 0, 0]])
    y = np.arange(9.0)
    search = GridSearchCV(make_pipeline(SpeciesCounts(), Ridge()), {"ridge__alpha": [1.0]}, cv=3, error_score=np.nan)
    with pytest.warns(UserWarning) as record:
        search.fit(mols, y)
    text = "\n".join(str(w.message) for w in record)
    assert "SpeciesCounts(species=[1, 6, 8, 17])" in text
    assert "SpeciesCounts(species=['H', 'C', 'O', 'Cl'])" in text
