"""The fitted-state contract: transform computes the fitted function, whatever set_params says since.

``fit`` resolves every model parameter into fitted attributes (a frozen
plan); ``transform`` (a predictor's ``decision_function``) reads only
those, the input and the execution parameters.  Checked three ways: by
watching which parameters ``transform`` reads, by changing each model
parameter after ``fit`` (the output must not move), and by changing each
execution parameter (it must take effect without a refit).
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skscatter import config_context
from skscatter._backend import cupy_available

from ._compare import as_host, assert_rows_close
from .registry import SPECS, cases, spec_ids


def _watch_reads(estimator, names):
    """Swap the estimator's class for a subclass that records reads of ``names``."""
    reads = []
    cls = type(estimator)

    class Watched(cls):
        def __getattribute__(self, name):
            if name in names:
                reads.append(name)
            return super().__getattribute__(name)

    Watched.__name__ = Watched.__qualname__ = cls.__name__
    estimator.__class__ = Watched
    return reads


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
def test_transform_reads_no_model_parameter(spec):
    X = spec.X()
    est = spec.fitted(X)
    reads = _watch_reads(est, set(spec.model_params(est)))
    spec.output(est, X)
    assert not reads, f"{spec.name}.{spec.output_method} read model parameters {sorted(set(reads))}; resolve them in fit."


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
def test_alternatives_cover_every_model_parameter(spec):
    missing = set(spec.model_params()) - set(spec.alternatives)
    assert not missing, f"the spec of {spec.name} gives no alternative value for {sorted(missing)}"


CASES = [(spec, p) for spec in SPECS for p in spec.alternatives]


@pytest.mark.parametrize(("spec", "param"), CASES, ids=[f"{s.name}-{p}" for s, p in CASES])
def test_set_params_after_fit_keeps_the_fitted_output(spec, param):
    X = spec.X()
    est = spec.fitted(X)
    before = spec.output(est, X)
    est.set_params(**{param: spec.alternatives[param]})
    after = spec.output(est, X)
    np.testing.assert_array_equal(as_host(after), as_host(before))
    # A refit with the new value is a valid model too (the alternative is valid).
    spec.output(spec.fit(est, X), X)


@pytest.mark.parametrize("spec", SPECS, ids=spec_ids(SPECS))
def test_transform_before_fit_raises_not_fitted(spec):
    with pytest.raises(NotFittedError):
        spec.output(spec.make(), spec.X())


# -- execution parameters -------------------------------------------------------


def _several_batches(est):
    """Settings under which the spec's few samples take more than one batch."""
    if "batch_size" in est.get_params():
        est.set_params(batch_size=1)
    return config_context(working_memory=1e-3)


def _has(param):
    return lambda spec: param in spec.make().get_params(deep=False)


# Estimators whose transform runs through an ExecutionPlan (SpeciesCounts
# only has ``verbose``; the predictors are skipped with their spec's reason).
EXEC_CASES = cases("n_jobs", _has("n_jobs"))
BACKEND_CASES = cases("backend", lambda s: _has("n_jobs")(s) and bool(s.backends))


@pytest.mark.parametrize("spec", EXEC_CASES)
def test_n_jobs_and_batches_take_effect_after_fit(spec, plans):
    X = spec.X()
    est = spec.make(n_jobs=1).fit(X)
    reference = est.transform(X)
    est.set_params(n_jobs=2)
    with _several_batches(est):
        plans.clear()
        out = est.transform(X)
    assert plans, f"{spec.name}.transform did not run through an ExecutionPlan"
    assert max(p.concurrent * p.threads for p in plans) == 2
    assert all(len(p.bounds) > 1 for p in plans)
    if "batch_size" in est.get_params():
        assert all(stop - start == 1 for p in plans for start, stop in p.bounds)
    assert_rows_close(out, reference, 1e-12)


@pytest.mark.parametrize("spec", BACKEND_CASES)
def test_backend_takes_effect_after_fit(spec, plans):
    X = spec.X()
    est = spec.make().fit(X)
    reference = est.transform(X)
    for backend in spec.backends:
        plans.clear()
        out = est.set_params(backend=backend).transform(X)
        assert {p.backend for p in plans} == {backend}
        assert_rows_close(out, reference, spec.rtol, err_msg=f"backend={backend}")
    if not cupy_available():
        est.set_params(backend="cupy")
        with pytest.raises(ImportError, match="cupy"):
            est.transform(X)


@pytest.mark.parametrize("spec", EXEC_CASES)
def test_invalid_execution_parameter_after_fit_names_it(spec):
    X = spec.X()
    est = spec.make().fit(X)
    est.set_params(n_jobs=0)
    with pytest.raises(ValueError, match="'n_jobs' parameter"):
        est.transform(X)


VERBOSE_CASES = cases("verbose", _has("verbose"))


def test_every_estimator_has_verbose():
    # A predictor's spec may say why it has none (then its verbose tests are skipped).
    assert [s.name for s in SPECS if not _has("verbose")(s) and "verbose" not in s.skips] == []


@pytest.mark.parametrize("spec", VERBOSE_CASES)
def test_verbose_takes_effect_after_fit(spec, capsys):
    X = spec.X()
    est = spec.make(verbose=0).fit(X)
    capsys.readouterr()
    est.transform(X)
    assert capsys.readouterr().err == ""
    est.set_params(verbose=2).transform(X)
    assert f"[{spec.name}]" in capsys.readouterr().err


@pytest.mark.parametrize("spec", VERBOSE_CASES)
def test_verbose_changes_nothing_but_stderr(spec, capsys, monkeypatch):
    from skscatter.utils import _progress

    X = spec.X()
    quiet = spec.make(verbose=0)
    reference = quiet.fit(X).transform(X)
    assert capsys.readouterr() == ("", "")
    # verbose=1 waits DELAY seconds before showing anything: quick calls stay silent.
    monkeypatch.setattr(_progress, "DELAY", 1e9)
    monkeypatch.setattr(_progress, "_tqdm", lambda: None)
    assert_rows_close(spec.make(verbose=1).fit(X).transform(X), reference, 0.0)
    assert capsys.readouterr() == ("", "")
    chatty = spec.make(verbose=2)
    out = chatty.fit(X).transform(X)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{len(X):,} / {len(X):,}" in captured.err
    assert_rows_close(out, reference, 0.0)
