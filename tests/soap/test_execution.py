"""The fitted model and the execution settings: set_params after fit, n_jobs, threads, memory, verbose."""

import sys
import threading
import tracemalloc

import numpy as np
import pytest

from skscatter import config_context
from skscatter._backend import cupy_available
from skscatter.soap import SOAPDescriptor, SOAPSumKernel
from skscatter.utils._parallel import effective_n_jobs

from .test_descriptor import _molecules

ISSUE = dict(r_cut=3.0, n_max=2, l_max=2)


@pytest.mark.parametrize(
    "change",
    [dict(l_max=1), dict(n_max=8), dict(n_max=1), dict(sigma=0.3), dict(r_cut=2.0), dict(rbf="polynomial"), dict(species=[1, 6, 7, 8, 9])],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_set_params_after_fit_transforms_with_the_fitted_model(change):
    # These used to end in "double free or corruption", a segfault, an
    # AttributeError, or rows of the wrong width.
    mols = _molecules(6, seed=20)
    est = SOAPDescriptor(**ISSUE).fit(mols)
    expected, atoms = est.transform(mols), est.transform_atoms(mols)[0]
    names = est.get_feature_names_out()
    est.set_params(**change)
    np.testing.assert_array_equal(est.transform(mols), expected)
    np.testing.assert_array_equal(est.transform_atoms(mols)[0], atoms)
    np.testing.assert_array_equal(est.get_feature_names_out(), names)
    refit = est.fit(mols)
    assert refit.transform(mols).shape[1] == refit.n_features_out_ == len(refit.get_feature_names_out())


@pytest.mark.parametrize("change", [dict(zeta=5), dict(mode="exact"), dict(whiten=False), dict(descriptor=SOAPDescriptor(r_cut=2.0, n_max=1, l_max=1))])
def test_sum_kernel_set_params_after_fit_keeps_the_fitted_function(change):
    mols = _molecules(6, seed=21)
    est = SOAPSumKernel(SOAPDescriptor(**ISSUE), n_representatives=10, random_state=0).fit(mols)
    expected = est.transform(mols)
    np.testing.assert_array_equal(est.set_params(**change).transform(mols), expected)


def test_n_jobs_means_cpu_threads_through_the_plan(plans):
    mols = _molecules(10, seed=22)
    est = SOAPDescriptor(**ISSUE).fit(mols)
    reference = est.transform_atoms(mols)[0]
    for n_jobs, tiny_batches in [(1, False), (2, False), (2, True), (-1, True)]:
        plans.clear()
        with config_context(working_memory=1e-3 if tiny_batches else 64):
            out = est.set_params(n_jobs=n_jobs).transform_atoms(mols)[0]
        (plan,) = plans
        assert plan.concurrent * plan.threads == effective_n_jobs(n_jobs)
        assert (len(plan.bounds) == len(mols)) == tiny_batches
        np.testing.assert_allclose(out, reference, rtol=1e-13, atol=1e-15 * np.abs(reference).max())
    plans.clear()
    est.set_params(n_jobs=1, batch_size=3).transform(mols)
    assert [b - a for a, b in plans[0].bounds] == [3, 3, 3, 1]


@pytest.mark.parametrize("kernel_n_jobs, descriptor_n_jobs", [(2, None), (None, 2), (2, 1)])
def test_sum_kernel_n_jobs_takes_effect_without_touching_the_fitted_descriptor(plans, kernel_n_jobs, descriptor_n_jobs):
    mols = _molecules(8, seed=23)
    est = SOAPSumKernel(SOAPDescriptor(n_jobs=descriptor_n_jobs, **ISSUE), n_representatives=6, random_state=0, n_jobs=1).fit(mols)
    before = est.descriptor_.get_params()
    reference = est.transform(mols)
    est.set_params(n_jobs=kernel_n_jobs)
    plans.clear()
    out = est.transform(mols)
    assert [p.concurrent * p.threads for p in plans] == [2]
    np.testing.assert_allclose(out, reference, rtol=1e-13)
    assert est.descriptor_.get_params() == before


def test_sum_kernel_transforms_from_several_threads_at_once():
    mols = _molecules(12, seed=24)
    est = SOAPSumKernel(SOAPDescriptor(**ISSUE), n_representatives=8, random_state=0).fit(mols)
    expected = est.transform(mols)
    results, errors = {}, []

    def work(k):
        try:
            with config_context(working_memory=0.01):
                results[k] = est.transform(mols)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for k, t in enumerate(threads):
        est.set_params(n_jobs=1 + k % 2)
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for out in results.values():
        np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_transform_atoms_temporaries_do_not_grow_with_the_structures():
    def peak_beyond_output(est, X):
        with config_context(working_memory=1.0):
            tracemalloc.start()
            try:
                P, owner = est.transform_atoms(X)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        return peak - P.nbytes - owner.nbytes

    small, large = _molecules(8, seed=25), _molecules(160, seed=26)
    est = SOAPDescriptor(species=[1, 6, 7, 8], **ISSUE).fit(small)
    est.transform_atoms(small)
    grow = peak_beyond_output(est, large) - peak_beyond_output(est, small)
    assert grow < 0.5 * 2**20, f"temporaries grew by {grow / 2**20:.2f} MiB"


def test_backend_is_resolved_at_transform_time(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain progress line
    mols = _molecules(4, seed=27)
    est = SOAPDescriptor(backend="cupy", verbose=2, **ISSUE).fit(mols)  # fitting needs no GPU
    assert capsys.readouterr().err == ""
    if not cupy_available():
        with pytest.raises(ImportError, match=r"SOAPDescriptor\(backend='cupy'\)"):
            est.transform(mols)
    est.set_params(backend="numpy").transform(mols)
    assert "4 / 4 structures (100%)" in capsys.readouterr().err


