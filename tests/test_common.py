from sklearn.utils.estimator_checks import parametrize_with_checks

import skscatter
from skscatter.utils._test_common import INIT_PARAMS, estimators_to_check


def test_every_public_estimator_is_covered():
    public = {getattr(skscatter, name) for name in skscatter.__all__ if isinstance(getattr(skscatter, name), type)}
    assert public == set(INIT_PARAMS)


@parametrize_with_checks(list(estimators_to_check()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
