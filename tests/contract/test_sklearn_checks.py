"""scikit-learn's common checks for every registered estimator."""

import pytest
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

import skscatter

from .registry import SPECS, spec_ids

ARRAY_SPECS = [s for s in SPECS if s.input_kind in ("images", "signals")]
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


def test_every_public_estimator_is_registered():
    public = {getattr(skscatter, n) for n in skscatter.__all__ if isinstance(getattr(skscatter, n), type)}
    registered = [s.cls for s in SPECS]
    assert len(registered) == len(set(registered)), "an estimator is registered twice"
    assert public == set(registered)


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
