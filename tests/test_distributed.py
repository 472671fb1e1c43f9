"""Every estimator on a dask cluster: joblib's dask backend, searches, dask arrays.

One ``distributed.LocalCluster`` of two single-threaded worker processes
serves the whole module.  Results are compared with the serial ones to
round-off, since a worker process compiles its own numba kernels.
"""

import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import ScatteringTransformer, SOAPDescriptor

from .contract._compare import assert_rows_close
from .contract.registry import cases
from .contract.specs.soap import molecules

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from skscatter.parallel import blockwise_transform  # noqa: E402

# The dask backend and blockwise_transform serve transforms: the registered
# predictors are skipped, with their specs' reason.
TRANSFORMERS = cases("dask", lambda s: not s.is_predictor)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster, distributed.Client(cluster, timeout="30s") as client:
        yield client


def _execution(est, **params):
    """The execution parameters among ``params`` that ``est`` has."""
    return {k: v for k, v in params.items() if k in est.get_params(deep=False)}


@pytest.mark.parametrize("spec", TRANSFORMERS)
def test_transform_under_the_dask_backend_equals_the_serial_transform(spec, client, plans):
    X = spec.X()
    est = spec.make()
    est.set_params(**_execution(est, n_jobs=1)).fit(X)
    expected = est.transform(X)
    plans.clear()
    est.set_params(**_execution(est, n_jobs=-1, batch_size=2))
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        got = est.transform(X)
    assert_rows_close(got, expected, 1e-13, err_msg=spec.name)
    # Batches that the plan runs side by side go to the cluster (n_jobs=-1
    # there is its two worker threads); a plan of one batch in flight (SOAP's
    # threaded kernels) runs in this process, as does a transform without
    # batches (SpeciesCounts).
    assert all(plan.threads * plan.concurrent <= 2 for plan in plans)
    side_by_side = any(plan.concurrent > 1 for plan in plans)
    assert (len(stream.data) > 0) == side_by_side, (spec.name, len(stream.data), plans)


def test_the_input_reaches_the_cluster_once_not_with_every_batch(client):
    # The batches' task holds the whole input; sent inside every batch's
    # graph it would make the graph as large as the input (dask warns).
    import dask

    X = np.random.default_rng(0).random((128, 32, 32))  # 1 MiB
    est = ScatteringTransformer(J=1, L=2, n_jobs=1).fit(X[:2])
    expected = est.transform(X)
    est.set_params(n_jobs=-1, batch_size=16)
    with (
        dask.config.set({"distributed.admin.large-graph-warning-threshold": "256kB"}),
        warnings.catch_warnings(record=True) as caught,
        parallel_config(backend="dask"),
    ):
        warnings.simplefilter("always")
        got = est.transform(X)
    assert not [w for w in caught if "Sending large graph" in str(w.message)]
    assert_rows_close(got, expected, 1e-13)


def _compare_searches(search, X, y, client):
    serial = GridSearchCV(search.estimator, search.param_grid, cv=search.cv, n_jobs=1).fit(X, y)
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        search.fit(X, y)
    # joblib's dask backend may group several fits into one task: what
    # matters is that the fits ran on the workers.
    assert len(stream.data) > 0
    assert search.best_params_ == serial.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(search.cv_results_[key], serial.cv_results_[key], rtol=1e-10, err_msg=key)


def test_grid_search_of_an_images_pipeline_runs_on_the_cluster(client):
    X, y = load_digits(return_X_y=True)
    X, y = X[:240], y[:240]
    pipe = Pipeline(
        [
            ("scattering", ScatteringTransformer(J=1, shape=(8, 8))),
            ("scaler", StandardScaler()),
            ("classifier", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"scattering__L": [4, 6], "classifier__C": [0.1, 1.0]}, cv=2, n_jobs=-1)
    _compare_searches(search, X, y, client)
    assert search.best_score_ > 0.8


def test_grid_search_of_a_molecules_pipeline_runs_on_the_cluster(client):
    X = molecules(np.random.default_rng(0), n=40)
    # A target the descriptor can learn: the H-O pairs within 2.5 Å.
    y = np.array([
        sum(np.linalg.norm(p[i] - p[j]) < 2.5 for i in range(len(z)) for j in range(len(z)) if z[i] == 1 and z[j] == 8)
        for z, p in X
    ], dtype=float)
    pipe = Pipeline(
        [
            ("soap", SOAPDescriptor(species=[1, 6, 8], r_cut=3.0, n_max=2, l_max=2)),
            ("scaler", StandardScaler()),
            ("ridge", Ridge()),
        ]
    )
    search = GridSearchCV(pipe, {"soap__r_cut": [2.5, 3.0], "ridge__alpha": [1e-2, 1.0]}, cv=2, n_jobs=-1)
    _compare_searches(search, X, y, client)


@pytest.mark.parametrize("spec", TRANSFORMERS)
def test_blockwise_transform_on_the_cluster_equals_the_numpy_transform(spec, client):
    X = spec.X()
    est = spec.make().fit(X)
    expected = est.transform(X)
    if spec.input_kind in ("images", "signals"):
        # Chunks across the pixel (time, channel) axes too: the helper merges them per row chunk.
        dX = da.from_array(X, chunks=(4,) + tuple(max(1, s // 2) for s in X.shape[1:]))
        got = blockwise_transform(est, dX, chunk_size=3)
    else:
        got = blockwise_transform(est, X, chunk_size=3)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert got.chunks == ((3,) * (len(X) // 3) + ((len(X) % 3,) if len(X) % 3 else ()), (expected.shape[1],))
    with distributed.get_task_stream(client) as stream:
        result = client.compute(got).result()
    assert len(stream.data) >= got.numblocks[0]
    assert_rows_close(result, expected, 1e-13, err_msg=spec.name)


def test_blockwise_transform_keeps_float32_and_refuses_bad_input():
    X = np.random.default_rng(0).random((6, 8, 8)).astype(np.float32)
    est = ScatteringTransformer(J=1, L=4).fit(X)
    got = blockwise_transform(est, da.from_array(X, chunks=4))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.compute(scheduler="sync"), est.transform(X))
    with pytest.raises(ValueError, match="chunk_size=0 must be a positive integer"):
        blockwise_transform(est, da.from_array(X), chunk_size=0)
    with pytest.raises(ValueError, match="pass a dask array of images"):
        blockwise_transform(est, X)


def test_dask_example_gathers_each_chunk_into_its_rows(client, monkeypatch):
    # examples/long_dask_cluster.py takes the chunks as they finish (in any
    # order) instead of joining them on one worker: each must land on its rows.
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "long_dask_cluster.py"
    spec = importlib.util.spec_from_file_location("long_dask_cluster", path)
    example = importlib.util.module_from_spec(spec)
    # As when run as a script, whose folder is on sys.path (it imports
    # _recorded from there); this test must not rely on tests/examples'
    # conftest having run first.
    monkeypatch.syspath_prepend(str(path.parent))
    spec.loader.exec_module(example)
    expected = np.arange(23 * 5, dtype=np.float64).reshape(23, 5) ** 1.5
    lazy = da.from_array(expected, chunks=((4, 7, 1, 11), 5)) * 1.0
    out = np.full_like(expected, np.nan)
    assert example.gather_rows(client, lazy, out) is out
    np.testing.assert_array_equal(out, expected)
    # The check of the result, a block of rows at a time: the worst row's error over its scale.
    changed = out.copy()
    changed[17, 2] += 1e-3 * np.abs(expected[17]).max()
    assert example.max_row_difference(changed, expected, block=5) == pytest.approx(1e-3)
    assert example.max_row_difference(out, expected, block=5) == 0.0
