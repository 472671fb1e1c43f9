"""The shared table of hostile inputs: each gets its expected error text, or the right answer.

The table lives in the specs (``specs/*.py``, field ``hostile``); this
module only runs it.  ``python -m pytest tests/contract/test_hostile_inputs.py -v``
lists every case with its outcome.
"""

import numpy as np
import pytest

from ._compare import as_host
from .registry import SPECS

CASES = [(spec, h) for spec in SPECS for h in spec.hostile]


@pytest.mark.parametrize(("spec", "case"), CASES, ids=[f"{s.name}-{h.id}" for s, h in CASES])
def test_hostile_input(spec, case):
    rng = np.random.default_rng(0)
    X = spec.X()
    est = spec.make(**case.params)
    bad = case.make(X, rng)
    # Predictors: fitted with the labels of the valid X, or the case's own.
    y_bad = None
    if spec.is_predictor:
        y_bad = spec.y(X) if case.make_y is None else case.make_y(spec.y(X), rng)

    def fit(X_fit, y_fit):
        return est.fit(X_fit) if not spec.is_predictor else est.fit(X_fit, y_fit)

    def call():
        # "transform" is the spec's output method (a predictor's decision_function).
        if case.stage == "fit":
            return fit(bad, y_bad)
        if case.stage == "fit_transform":
            return spec.output(fit(bad, y_bad), bad)
        spec.fit(est, X)
        est.set_params(**case.after_fit)
        return spec.output(est, bad)

    if case.error is not None:
        with pytest.raises(case.error, match=case.match):
            call()
        return
    out = call()
    if case.stage != "fit":
        out = as_host(out)
        assert np.all(np.isfinite(out)), "a hostile input that is accepted must give finite output"
    if case.check is not None:
        case.check(out, est, bad)
