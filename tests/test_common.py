import pytest
from sklearn.utils import estimator_checks as ec
from sklearn.utils.estimator_checks import parametrize_with_checks

import skscatter
from skscatter.utils._test_common import INIT_PARAMS, STRUCTURE_ESTIMATORS, estimators_to_check

# sklearn checks that feed no data: the ones that apply to estimators whose X
# is a sequence of structures rather than an array.
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


def test_every_public_estimator_is_covered():
    public = {getattr(skscatter, name) for name in skscatter.__all__ if isinstance(getattr(skscatter, name), type)}
    assert public == set(INIT_PARAMS) | set(STRUCTURE_ESTIMATORS)


@parametrize_with_checks(list(estimators_to_check()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("cls", STRUCTURE_ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("check", DATA_FREE_CHECKS, ids=lambda c: c.__name__)
def test_structure_estimators_pass_data_free_checks(cls, check):
    check(cls.__name__, cls())
    tags = cls().__sklearn_tags__()
    assert not tags.input_tags.two_d_array and tags.requires_fit
