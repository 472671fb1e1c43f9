"""SOAPSumKernel: sum kernels against explicit formulas, the sparse-GP identity, sklearn use."""

import pickle

import numpy as np
import pytest
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skscatter.soap import SOAPDescriptor, SOAPSumKernel

from .test_descriptor import SMALL, _molecules


def _explicit(P, centres, owner, S, S_centres, zeta):
    """sum_{i in A} [Z_i = Z_m] (p_hat_i . s_hat_m)^zeta, by loops over structures."""
    P = P / np.linalg.norm(P, axis=1, keepdims=True)
    k = (P @ S.T) ** zeta * (centres[:, None] == S_centres[None, :])
    return np.array([k[owner == b].sum(0) for b in range(owner.max() + 1)])


def _desc():
    return SOAPDescriptor(species=[1, 6, 7, 8], **SMALL)


@pytest.mark.parametrize("zeta", [1, 2, 3])
def test_sparse_features_equal_the_definition(zeta):
    mols = _molecules(8, seed=10)
    est = SOAPSumKernel(_desc(), n_representatives=15, zeta=zeta, whiten=False, random_state=0).fit(mols)
    P, owner = _desc().fit(mols).transform_atoms(mols)
    centres = np.concatenate([np.asarray(z) for z, _ in mols])
    expected = _explicit(P, centres, owner, est.representatives_, est.representative_centres_, zeta)
    np.testing.assert_allclose(est.transform(mols), expected, rtol=1e-12)
    # Representatives are unit-normalised training environments.
    np.testing.assert_allclose(np.linalg.norm(est.representatives_, axis=1), 1.0)
    Pn = P / np.linalg.norm(P, axis=1, keepdims=True)
    assert np.all(np.isclose(est.representatives_ @ Pn.T, 1.0).any(axis=1))


def test_whitened_ridge_is_the_subset_of_regressors_gp():
    mols = _molecules(12, seed=11)
    y = np.random.default_rng(0).normal(size=12)
    raw = SOAPSumKernel(_desc(), n_representatives=10, whiten=False, random_state=1).fit(mols)
    white = SOAPSumKernel(_desc(), n_representatives=10, whiten=True, jitter=0.0, random_state=1).fit(mols)
    Phi = raw.transform(mols)
    S, Sc = raw.representatives_, raw.representative_centres_
    K_MM = (S @ S.T) ** 2 * (Sc[:, None] == Sc[None, :])
    alpha = 0.1
    # SoR mean: Phi_* (Phi^T Phi + alpha K_MM)^{-1} Phi^T y (no intercept).
    expected = Phi @ np.linalg.solve(Phi.T @ Phi + alpha * K_MM, Phi.T @ y)
    got = Ridge(alpha=alpha, fit_intercept=False).fit(white.transform(mols), y).predict(white.transform(mols))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_exact_mode_is_the_full_sum_kernel():
    train, test = _molecules(6, seed=12), _molecules(3, seed=13)
    est = SOAPSumKernel(_desc(), mode="exact", zeta=2).fit(train)
    Ptr, otr = _desc().fit(train).transform_atoms(train)
    Pte, ote = _desc().fit(train).transform_atoms(test)
    ctr = np.concatenate([np.asarray(z) for z, _ in train])
    cte = np.concatenate([np.asarray(z) for z, _ in test])
    ntr = Ptr / np.linalg.norm(Ptr, axis=1, keepdims=True)
    k_atoms = _explicit(Pte, cte, ote, ntr, ctr, 2)  # (n_test, n_train_atoms)
    expected = np.array([k_atoms[:, otr == b].sum(1) for b in range(6)]).T
    K = est.transform(test)
    np.testing.assert_allclose(K, expected, rtol=1e-12)
    assert K.shape == (3, 6)
    y = np.arange(6.0)
    krr = make_pipeline(SOAPSumKernel(_desc(), mode="exact"), KernelRidge(kernel="precomputed", alpha=1e-3))
    assert krr.fit(train, y).predict(test).shape == (3,)


def test_fps_selection_and_determinism():
    mols = _molecules(10, seed=14)
    a = SOAPSumKernel(_desc(), n_representatives=12, selection="fps", random_state=3).fit(mols)
    b = SOAPSumKernel(_desc(), n_representatives=12, selection="fps", random_state=3).fit(mols)
    np.testing.assert_array_equal(a.representatives_, b.representatives_)
    gram = a.representatives_ @ a.representatives_.T
    assert np.all(gram[~np.eye(12, dtype=bool)] < 1 - 1e-9)  # no environment picked twice
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(a)).transform(mols[:2]), a.transform(mols[:2]))


def test_grid_search_tunes_kernel_and_descriptor():
    mols = _molecules(24, seed=15)
    y = np.array([len(z) + 0.3 * (np.asarray(z) == 8).sum() for z, _ in mols])
    model = make_pipeline(SOAPSumKernel(_desc(), n_representatives=20, random_state=0), Ridge(1e-3))
    grid = {"soapsumkernel__zeta": [1, 2], "soapsumkernel__descriptor__r_cut": [3.0, 4.0], "ridge__alpha": [1e-3, 1e-1]}
    search = GridSearchCV(model, grid, cv=3).fit(mols, y)
    assert set(search.best_params_) == set(grid)
    assert np.isfinite(search.best_score_)
    # M and sigma too (one at a time, to keep the grid small); every candidate really refits.
    grids = [{"soapsumkernel__n_representatives": [5, 20]}, {"soapsumkernel__descriptor__sigma": [0.3, 0.6]}]
    search = GridSearchCV(model, grids, cv=3).fit(mols, y)
    assert len(search.cv_results_["params"]) == 4
    assert len(set(np.round(search.cv_results_["mean_test_score"], 12))) == 4
    best = search.best_estimator_[0]
    assert best.n_features_out_ == best.n_representatives and best.descriptor_.sigma == best.descriptor.sigma


def test_bad_descriptor():
    with pytest.raises(ValueError, match="descriptor"):
        SOAPSumKernel(descriptor="soap").fit(_molecules(2))
