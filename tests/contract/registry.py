"""The registry of public estimators: one :class:`Spec` each, and every contract test reads it.

A new estimator is added here once -- a spec module under ``specs/`` and a
line in :data:`SPECS` -- and inherits every check of ``tests/contract``:

* scikit-learn's common checks (``parametrize_with_checks`` for array
  input; the data-free checks for sequences of structures);
* the fitted-state contract: ``transform`` reads no model parameter, and
  after ``set_params`` of any model parameter without a refit returns
  exactly the fitted model's output, while execution parameters
  (``backend``, ``n_jobs``, ``batch_size``, ``verbose``) take effect at once;
* pickle, clone, and joblib's process workers (loky);
* determinism across ``n_jobs``, batch sizes and backends;
* the hostile inputs of the spec, each with the error text it must raise
  (or the correct output it must return);
* the invariances the spec declares, on random inputs drawn by hypothesis;
* the memory bound: a transform's temporaries do not grow with the number
  of samples.

What each field means is documented on :class:`Spec`; ``specs/scattering.py``
is the worked example.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Hostile:
    """One hostile input and what the estimator must answer.

    Attributes
    ----------
    id : str
        Short name, used as the test id.
    make : callable
        ``make(X, rng) -> X_bad`` from the spec's valid input ``X``.
    stage : {"fit", "transform", "fit_transform"}
        ``"fit"``: ``fit(X_bad)`` is checked.  ``"transform"``: the model is
        fitted on the valid ``X`` first, then ``transform(X_bad)`` is
        checked.  ``"fit_transform"``: both on ``X_bad``.
    params : dict
        Parameters set before fitting (e.g. an invalid ``n_jobs``).
    after_fit : dict
        Parameters set with ``set_params`` after fitting, before
        ``transform`` (e.g. ``n_jobs=0``).
    error : type or None
        The exception expected; None means the call must succeed.
    match : str or None
        Regular expression the message must contain (with ``error``).
    check : callable or None
        With ``error=None``: ``check(output, estimator, X_bad)`` asserts the
        output is right (e.g. equal to a float64 computation).
    """

    id: str
    make: Callable
    stage: str = "fit"
    params: dict = field(default_factory=dict)
    after_fit: dict = field(default_factory=dict)
    error: Any = ValueError
    match: str = None
    check: Callable = None


@dataclass
class Invariance:
    """A symmetry the estimator's output declares.

    Attributes
    ----------
    name : str
    inputs : hypothesis strategy
        Draws ``(X, X_moved, expected)``: an input, its transformed copy,
        and ``expected(Y) -> Y_moved``, the output ``X_moved`` must give
        from the output ``Y`` of ``X`` (identity for an invariance, a row
        permutation for an equivariance, a scaling...).
    rtol, atol : float
        Tolerance, relative to the largest absolute output of each row
        (``atol`` absolute on top).
    params : dict
        Extra parameters for this invariance (e.g. ``log=False``).
    fit_on : {"X", "both"}
        Fit on ``X`` alone (default), or on both inputs together.
    """

    name: str
    inputs: Any
    rtol: float = 1e-10
    atol: float = 0.0
    params: dict = field(default_factory=dict)
    fit_on: str = "X"


@dataclass
class Memory:
    """How to check that a transform's temporaries are bounded by the batch.

    ``make(n, rng)`` builds ``n`` samples; the transform of ``n_small`` and of
    ``n_large`` samples run under ``working_memory`` MiB (tracemalloc), and
    the peak traced memory beyond the output may not grow by more than
    ``slack`` MiB from one to the other.
    """

    make: Callable
    n_small: int = 8
    n_large: int = 64
    working_memory: float = 1.0
    slack: float = 0.5


@dataclass
class Spec:
    """Everything the contract tests need to know about one public estimator.

    Attributes
    ----------
    cls : type
    params : dict
        Small, fast, valid parameters every contract test starts from.
    make_X : callable
        ``make_X(rng) -> X``: a few valid samples (an array of images or a
        list of structures), at least 4.
    input_kind : {"images", "signals", "structures"}
    alternatives : dict
        Every model parameter (all of ``get_params(deep=False)`` except the
        execution parameters) -> another valid value.  The tests check that
        the list is complete.
    sklearn_params : list of dict
        Parameter sets for scikit-learn's ``parametrize_with_checks`` (array
        estimators only; their images are as small as 1 x 2 pixels).
    hostile : list of Hostile
    invariances : list of Invariance
    backends : tuple of str
        CPU backends the estimator offers; all must agree to ``rtol``.
    rtol : float
        Agreement between backends (relative to each row's largest value).
    memory : Memory or None
        None only where the transform has no per-batch temporaries.
    """

    cls: type
    params: dict
    make_X: Callable
    input_kind: str
    alternatives: dict
    sklearn_params: list = field(default_factory=list)
    hostile: list = field(default_factory=list)
    invariances: list = field(default_factory=list)
    backends: tuple = ()
    rtol: float = 1e-10
    memory: Memory = None

    @property
    def name(self):
        return self.cls.__name__

    def make(self, **overrides):
        return self.cls(**{**self.params, **overrides})

    def X(self, seed=0):
        return self.make_X(np.random.default_rng(seed))


def _load():
    from .specs import composition, harmonic, patches, scattering, signals, soap, spectra

    return [
        scattering.SPEC,
        signals.SPEC,
        patches.SPEC,
        soap.DESCRIPTOR,
        soap.SUM_KERNEL,
        composition.SPEC,
        harmonic.SPEC,
        spectra.SPEC,
    ]


#: One spec per public estimator.
SPECS = _load()


def spec_ids(specs):
    return [s.name for s in specs]
