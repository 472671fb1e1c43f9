"""The only module that imports scikit-learn's private API.

Parameter validation (``Interval``, ``StrOptions``, ``_fit_context``,
``validate_parameter_constraints``) and ``_check_feature_names_in`` are
private in scikit-learn but used across the ecosystem; routing them through
here keeps any future breakage in one file.
"""

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions, validate_parameter_constraints
from sklearn.utils._param_validation import Interval as _SklearnInterval
from sklearn.utils.validation import _check_feature_names_in

__all__ = [
    "HasMethods",
    "Interval",
    "StrOptions",
    "_check_feature_names_in",
    "_fit_context",
    "validate_parameter_constraints",
]


class Interval(_SklearnInterval):
    """scikit-learn's ``Interval``, except that a boolean is never a number.

    ``bool`` subclasses ``int``, so scikit-learn would accept ``J=True`` as
    ``J=1``; a flag passed where a count or a size belongs is almost always
    a mistake, and it is refused with the usual message naming the range.
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)
