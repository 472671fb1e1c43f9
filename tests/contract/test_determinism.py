"""Outputs depend on the input and the fitted model only: not on n_jobs, batches, backends or repetition.

A predictor's output is its ``decision_function``.
"""

import numpy as np
import pytest

from skscatter import config_context
from skscatter._backend import cupy_available

from ._compare import as_host, assert_rows_close
from .registry import SPECS, cases, spec_ids

PARALLEL = cases("n_jobs", lambda s: "n_jobs" in s.make().get_params(deep=False))
CUPY = cases("backend", lambda s: bool(s.backends))


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
def test_repeated_transforms_are_identical(spec):
    X = spec.X()
    est = spec.fitted(X)
    first = as_host(spec.output(est, X))
    np.testing.assert_array_equal(as_host(spec.output(est, X)), first)
    np.testing.assert_array_equal(as_host(spec.output(spec.fitted(X), X)), first)


@pytest.mark.parametrize("spec", PARALLEL)
def test_output_does_not_depend_on_n_jobs_or_batches(spec):
    X = spec.X(1)
    est = spec.make(n_jobs=1).fit(X)
    reference = as_host(est.transform(X))
    has_batch = "batch_size" in est.get_params()
    for n_jobs in (1, 2, -1):
        for tiny_batches in (False, True):
            est.set_params(n_jobs=n_jobs)
            if has_batch:
                est.set_params(batch_size=1 if tiny_batches else "auto")
            with config_context(working_memory=1e-3 if tiny_batches else 64):
                out = as_host(est.transform(X))
            # Same arithmetic per sample whatever the plan: equal to round-off
            # of threaded reductions at most.
            assert_rows_close(out, reference, 1e-12, err_msg=f"n_jobs={n_jobs}, tiny batches={tiny_batches}")


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
def test_transform_of_a_subset_equals_rows_of_the_whole(spec):
    X = spec.X(2)
    est = spec.fitted(X)
    whole = as_host(spec.output(est, X))
    part = as_host(spec.output(est, X[1:3]))
    assert_rows_close(part, whole[1:3], 1e-12)


# The transformers' batches are checked with n_jobs above; a predictor's
# blocks at predict time follow the working memory (and, for the factored
# head, the block_size frozen at fit, "auto" in its spec).
@pytest.mark.parametrize("spec", cases("working_memory", lambda s: s.is_predictor))
def test_output_does_not_depend_on_working_memory(spec):
    X = spec.X(1)
    est = spec.fitted(X)
    reference = as_host(spec.output(est, X))
    for working_memory in (1e-6, 1e-3, 1024):  # one row per block, a few, all rows at once
        with config_context(working_memory=working_memory):
            out = as_host(spec.output(est, X))
        assert_rows_close(out, reference, 1e-12, err_msg=f"working_memory={working_memory}")


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs cupy and a CUDA device")
@pytest.mark.parametrize("spec", CUPY)
def test_cupy_backend_computes_the_cpu_function(spec):
    X = spec.X()
    est = spec.fitted(X)
    reference = as_host(spec.output(est, X))
    out = as_host(spec.output(est.set_params(backend="cupy"), X))
    assert_rows_close(out, reference, max(spec.rtol, 1e-6))
