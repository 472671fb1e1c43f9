"""The invariances each estimator declares, on random inputs drawn by hypothesis.

The number of examples follows the hypothesis profile: ``ci`` (the
default) runs a few per invariance; ``SKSCATTER_HYPOTHESIS_PROFILE=thorough``
(or ``--hypothesis-profile=thorough``) runs 1,000.  A predictor declares
invariances of its fit: two training sets, one moved, give models that
agree on inputs moved alike.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._compare import as_host, assert_rows_close
from .registry import SPECS

CASES = [(spec, inv) for spec in SPECS for inv in spec.invariances]


@pytest.mark.parametrize(("spec", "invariance"), CASES, ids=[f"{s.name}-{i.name}" for s, i in CASES])
@given(data=st.data())
def test_declared_invariance(spec, invariance, data):
    if spec.is_predictor:
        (X, y), (X_moved, y_moved), move = data.draw(invariance.inputs, label="inputs")
        reference = spec.output(spec.make(**invariance.params).fit(X, y), X)
        moved = spec.output(spec.make(**invariance.params).fit(X_moved, y_moved), move(X))
        assert_rows_close(as_host(moved), as_host(reference), invariance.rtol, invariance.atol)
        return
    X, moved, expected = data.draw(invariance.inputs, label="inputs")
    est = spec.make(**invariance.params)
    est.fit(list(X) + list(moved) if invariance.fit_on == "both" else X)
    Y = as_host(est.transform(X))
    assert_rows_close(as_host(est.transform(moved)), expected(Y), invariance.rtol, invariance.atol)
