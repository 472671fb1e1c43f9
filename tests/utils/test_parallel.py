"""plan_execution: the one place where n_jobs, batch_size and the working memory become a plan."""

import sys
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skscatter import config_context
from skscatter.utils._parallel import ExecutionPlan, effective_n_jobs, plan_execution


def _check_partition(plan, n):
    starts = [a for a, _ in plan.bounds]
    stops = [b for _, b in plan.bounds]
    assert starts[0] == 0 and stops[-1] == n
    assert starts[1:] == stops[:-1]
    assert all(b > a for a, b in plan.bounds)


@given(
    n=st.integers(1, 500),
    n_jobs=st.sampled_from([1, 2, 3, -1, None]),
    batch_size=st.one_of(st.just("auto"), st.integers(1, 100)),
    bytes_per_sample=st.floats(1, 1e9),
    max_batch=st.integers(1, 128),
)
def test_batches_partition_the_samples_and_threads_never_exceed_n_jobs(n, n_jobs, batch_size, bytes_per_sample, max_batch):
    plan = plan_execution(n, backend="numba", n_jobs=n_jobs, batch_size=batch_size, bytes_per_sample=bytes_per_sample, max_batch=max_batch)
    _check_partition(plan, n)
    cores = effective_n_jobs(n_jobs)
    assert plan.concurrent * plan.threads <= cores
    assert plan.concurrent == min(cores, len(plan.bounds))
    if batch_size != "auto":
        assert all(b - a <= batch_size for a, b in plan.bounds)
    else:
        assert all(b - a <= max_batch for a, b in plan.bounds)
    # Every thread gets a batch when there are samples enough.
    assert len(plan.bounds) >= min(n, cores)


@given(
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=200),
    n_jobs=st.sampled_from([1, 2]),
    working_memory=st.floats(1e-4, 1.0),
)
def test_batches_cut_by_size_hold_the_budget_unless_one_sample_exceeds_it(sizes, n_jobs, working_memory):
    bytes_per_unit = 1000.0
    with config_context(working_memory=working_memory):
        plan = plan_execution(len(sizes), backend="numba", n_jobs=n_jobs, bytes_per_sample=bytes_per_unit, max_batch=64, sizes=sizes)
    _check_partition(plan, len(sizes))
    budget_units = max(1, int(working_memory * 2**20 / effective_n_jobs(n_jobs) // bytes_per_unit))
    for a, b in plan.bounds:
        assert sum(sizes[a:b]) <= budget_units or b - a == 1
        assert b - a <= 64


def test_one_batch_gets_every_thread_and_several_run_one_thread_each():
    one = plan_execution(1, backend="numba", n_jobs=2, bytes_per_sample=1, max_batch=8)
    assert (one.concurrent, one.threads) == (1, 2)
    many = plan_execution(10, backend="numba", n_jobs=2, bytes_per_sample=1, max_batch=8)
    assert (many.concurrent, many.threads) == (2, 1)


def test_run_yields_batches_in_order_from_worker_threads():
    plan = ExecutionPlan("numba", ((0, 3), (3, 5), (5, 9)), 2, 1)
    seen = []

    def task(start, stop):
        seen.append(threading.get_ident())
        return np.arange(start, stop)

    out = list(plan.run(task))
    assert [(a, b) for a, b, _ in out] == list(plan.bounds)
    np.testing.assert_array_equal(np.concatenate([r for _, _, r in out]), np.arange(9))


def test_run_sets_numba_threads_in_the_thread_that_runs_the_batch():
    import numba

    plan = ExecutionPlan("numba", ((0, 1),), 1, 1)
    before = numba.get_num_threads()
    inside = list(plan.run(lambda a, b: numba.get_num_threads(), numba_parallel=True))
    assert inside[0][2] == 1
    assert numba.get_num_threads() == before


def test_run_reports_progress_on_stderr(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain line (tests/utils/test_progress.py tests both)
    plan = ExecutionPlan("numba", tuple((i, i + 1) for i in range(20)), 1, 1)
    list(plan.run(lambda a, b: None, verbose=1, label="Demo", unit="molecules"))
    assert capsys.readouterr().err == ""  # quicker than the delay
    list(plan.run(lambda a, b: None, verbose=2, label="Demo"))
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 20 and lines[-1].startswith("[Demo] batch 20/20 (samples 19-20): 20 / 20 samples (100%)")


def test_explicit_batch_size_is_kept_on_one_thread():
    plan = plan_execution(10, backend="numba", n_jobs=1, batch_size=4, bytes_per_sample=1, max_batch=2)
    assert plan.bounds == ((0, 4), (4, 8), (8, 10))


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2"])
def test_bad_n_jobs_is_refused_by_the_estimators_constraint(n_jobs):
    from skscatter import ScatteringTransformer
    from skscatter.utils._params import check_execution_params

    with pytest.raises(ValueError, match="'n_jobs' parameter of ScatteringTransformer must be"):
        check_execution_params(ScatteringTransformer(n_jobs=n_jobs))
