"""The only module that imports scikit-learn's private API.

Parameter validation (``Interval``, ``StrOptions``, ``_fit_context``) and
``_check_feature_names_in`` are private in scikit-learn but used across the
ecosystem; routing them through here keeps any future breakage in one file.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in

__all__ = ["HasMethods", "Interval", "StrOptions", "_check_feature_names_in", "_fit_context"]
