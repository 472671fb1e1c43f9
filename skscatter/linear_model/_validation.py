"""Input checks shared by the classifiers: scikit-learn's, with messages that say what to pass instead."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

# Input dtypes read as they are (no copy of X): each block is cast on its own.
INPUT_DTYPES = [np.float64, np.float32, np.float16]


def validate_rows(estimator, X, y="no_validation", *, reset):
    """``validate_data`` for float rows read in blocks, never copied (other numeric input becomes float64).

    Complex input, a ``y`` of another length than ``X`` and rows of the
    wrong width are refused before scikit-learn's checks, whose messages
    (the whole complex array printed, "inconsistent numbers of samples",
    no way out) do not say what to pass; the rest (1-D or empty ``X``,
    strings, the labels' type) is scikit-learn's.  Non-finite values are
    left to the caller, which finds them block by block.

    Parameters
    ----------
    estimator : BaseEstimator
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,), None or "no_validation"
        Labels, in ``fit`` (None there is refused, as scikit-learn does);
        "no_validation" after.
    reset : bool
        True in ``fit`` (records ``n_features_in_``), False after.

    Returns
    -------
    X : ndarray (or memmap) of float16, float32 or float64
    y : ndarray
        Only in ``fit`` (``y`` not "no_validation").
    """
    name = type(estimator).__name__
    dtype = getattr(X, "dtype", None)
    if getattr(dtype, "kind", None) == "c":
        raise ValueError(f"Complex data not supported: X has dtype {dtype}; {name} needs real features. Pass np.abs(X) or X.real.")
    if getattr(X, "ndim", None) == 2:
        if not isinstance(y, str) and hasattr(y, "__len__") and len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} labels; pass one label per row of X.")
        expected = getattr(estimator, "n_features_in_", None)
        if not reset and expected is not None and X.shape[1] != expected:
            raise ValueError(
                f"X has {X.shape[1]} features, but {name} is expecting {expected} features as input (the width of "
                f"the rows it was fitted on); pass rows of {expected} features, or refit."
            )
    if isinstance(y, str):
        return validate_data(estimator, X, dtype=INPUT_DTYPES, ensure_all_finite=False, reset=reset)
    return validate_data(estimator, X, y, dtype=INPUT_DTYPES, ensure_all_finite=False, y_numeric=False, reset=reset)


def validate_labelled_rows(estimator, X, y):
    """:func:`validate_rows` in ``fit``, then the labels: sets ``classes_``, returns ``X`` and each row's class index.

    Refuses continuous labels (scikit-learn's message) and a single class.
    """
    X, y = validate_rows(estimator, X, y, reset=True)
    check_classification_targets(y)
    estimator.classes_, codes = np.unique(y, return_inverse=True)
    if len(estimator.classes_) < 2:
        raise ValueError(
            f"y has only one class ({estimator.classes_.tolist()[0]!r}); "
            "a classifier needs samples of at least 2 classes."
        )
    return X, codes
