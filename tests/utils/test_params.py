"""Shared parameter constraints: booleans are not numbers, execution parameters are checked at transform."""

import numpy as np
import pytest
from numbers import Integral

from skscatter import ScatteringTransformer
from skscatter._backend import resolve_backend
from skscatter.utils._sklearn_compat import Interval


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_interval_refuses_booleans(value):
    assert not Interval(Integral, 0, None, closed="left").is_satisfied_by(value)
    assert Interval(Integral, 0, None, closed="left").is_satisfied_by(1)


def test_boolean_for_a_count_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'J' parameter of ScatteringTransformer must be an int.*Got True"):
        ScatteringTransformer(J=True).fit(np.zeros((2, 64)))


def test_resolve_backend_names_the_owner_and_the_fix():
    assert resolve_backend("auto", np.zeros(2), owner="Demo") == "numba"
    assert resolve_backend("numpy", np.zeros(2), owner="Demo") == "numpy"
    with pytest.raises(ValueError, match=r"Demo\(backend='numpy'\) is not available.*'numba' only; set backend='auto'"):
        resolve_backend("numpy", None, owner="Demo", supported=("numba",))
    with pytest.raises(ValueError, match=r"Demo\(backend='torch'\) is not a backend"):
        resolve_backend("torch", None, owner="Demo")


def test_resolve_backend_refuses_cupy_silently_falling_back(monkeypatch):
    monkeypatch.setenv("SKSCATTER_DISABLE_CUPY", "1")
    with pytest.raises(ImportError, match=r"Demo\(backend='cupy'\) needs cupy"):
        resolve_backend("cupy", np.zeros(2), owner="Demo")
