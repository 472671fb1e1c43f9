"""scikit-learn's common checks for every registered estimator."""

import importlib
import pkgutil

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

import skscatter

from .registry import SPECS, spec_ids

ARRAY_SPECS = [s for s in SPECS if s.input_kind in ("images", "signals", "table")]
STRUCTURE_SPECS = [s for s in SPECS if s.input_kind == "structures"]

# Checks that feed no data: the ones that apply to estimators whose X is a
# sequence of structures rather than an array.
DATA_FREE_CHECKS = [
    ec.check_estimator_cloneable,
    ec.check_estimator_repr,
    ec.check_no_attributes_set_in_init,
    ec.check_parameters_default_constructible,
    ec.check_get_params_invariance,
    ec.check_set_params,
    ec.check_do_not_raise_errors_in_init_or_set_params,
    ec.check_estimator_tags_renamed,
    ec.check_valid_tag_types,
    ec.check_mixin_order,
]


def _public_estimators():
    """Every BaseEstimator subclass in ``__all__`` of skscatter and of each public module below it."""
    modules = [skscatter]
    for info in pkgutil.walk_packages(skscatter.__path__, prefix="skscatter."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, type) and issubclass(obj, BaseEstimator):
                found.setdefault(obj, f"{module.__name__}.{name}")
    return found


def test_the_public_estimators_are_found():
    # The walk reaches subpackages, not only the top-level namespace.
    found = _public_estimators()
    assert found[skscatter.ScatteringTransformer] == "skscatter.ScatteringTransformer"
    assert "skscatter.linear_model.BlockRidgeClassifier" in found.values()


def test_every_public_estimator_is_registered():
    registered = [s.cls for s in SPECS]
    twice = sorted({c.__name__ for c in registered if registered.count(c) > 1})
    assert not twice, f"registered more than once: {twice}"
    missing = sorted(path for cls, path in _public_estimators().items() if cls not in registered)
    assert not missing, f"public estimators without a spec in tests/contract/registry.py: {missing}"
    private = sorted(c.__name__ for c in registered if c not in _public_estimators())
    assert not private, f"registered but not public (in no __all__): {private}"


def _array_estimators():
    for spec in ARRAY_SPECS:
        for params in spec.sklearn_params:
            yield spec.cls(**params)


@parametrize_with_checks(list(_array_estimators()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("spec", STRUCTURE_SPECS, ids=spec_ids(STRUCTURE_SPECS))
@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
def test_structure_estimators_pass_data_free_checks(spec, check):
    check(spec.name, spec.cls())
    tags = spec.cls().__sklearn_tags__()
    assert not tags.input_tags.two_d_array and tags.requires_fit
