"""Constraints shared by every estimator, and the split of parameters in two kinds.

*Model* parameters define the function an estimator computes; ``fit``
resolves them into fitted attributes and ``transform`` never reads them
again (after ``set_params`` without a refit, ``transform`` still computes the
fitted function).  *Execution* parameters only decide how that function is
computed -- on which device, with how many threads, in batches of what
size, how chatty -- so they may change between ``fit`` and ``transform``
and take effect at once.  :func:`check_execution_params` validates them at
transform time, since ``fit``'s validation may be stale.
"""

from numbers import Integral

from .._backend import BACKENDS
from ._sklearn_compat import Interval, StrOptions, validate_parameter_constraints

#: Parameters that ``transform`` reads from the estimator; all others are frozen by ``fit``.
EXECUTION_PARAMS = ("backend", "n_jobs", "batch_size", "verbose")

#: ``n_jobs``: like joblib's, a positive count, a negative one counting back from all cores, or None.
N_JOBS = [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None]

#: ``backend``: who computes (see :func:`skscatter._backend.resolve_backend`).
BACKEND = [StrOptions(set(BACKENDS))]

#: ``batch_size``: samples per batch, or "auto" (sized from the working memory).
BATCH_SIZE = [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})]

#: ``verbose``: 0 is silent.
VERBOSE = [Interval(Integral, 0, None, closed="left"), "boolean"]


def check_execution_params(estimator):
    """Validate the execution parameters an estimator holds now (at transform time).

    ``fit`` validates every parameter, but execution parameters may be set
    after it; a bad value must fail with the same message naming the
    parameter, not deep inside a kernel.

    Parameters
    ----------
    estimator : BaseEstimator
        An estimator with ``_parameter_constraints``.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` naming the parameter, its value and what it accepts.

    Examples
    --------
    >>> from skscatter import ScatteringTransformer
    >>> check_execution_params(ScatteringTransformer(n_jobs=0))
    Traceback (most recent call last):
    ...
    sklearn.utils._param_validation.InvalidParameterError: The 'n_jobs' parameter of ScatteringTransformer must be ...
    """
    constraints = {k: v for k, v in estimator._parameter_constraints.items() if k in EXECUTION_PARAMS}
    params = {k: getattr(estimator, k) for k in constraints}
    validate_parameter_constraints(constraints, params, caller_name=type(estimator).__name__)
