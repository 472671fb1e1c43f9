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

Predictors (classifiers, ``input_kind="table"``) are registered the same
way: the spec adds ``make_y`` for the labels, every test fits with
``fit(X, y)``, and calls ``output_method`` (``"decision_function"``)
where a transformer's test calls ``transform``.  A test that does not apply
to a predictor is skipped with the reason its spec gives in ``skips``.

What each field means is documented on :class:`Spec`; ``specs/scattering.py``
is the worked example.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

from skscatter.utils._params import EXECUTION_PARAMS


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
        checked.  ``"fit_transform"``: both on ``X_bad``.  For a predictor,
        ``transform`` stands for its ``output_method``.
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
    make_y : callable or None
        Predictors only: ``make_y(y, rng) -> y_bad``, the labels passed to
        ``fit`` with ``X_bad`` (default: the spec's labels of the valid
        ``X``).
    """

    id: str
    make: Callable
    stage: str = "fit"
    params: dict = field(default_factory=dict)
    after_fit: dict = field(default_factory=dict)
    error: Any = ValueError
    match: str = None
    check: Callable = None
    make_y: Callable = None


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

        For a predictor, an invariance of the *fit*: draws
        ``((X, y), (X_moved, y_moved), move)``, two training sets; the
        model fitted on the moved set must give on ``move(X)`` the outputs
        the model fitted on ``(X, y)`` gives on ``X`` (``fit_on`` unused).
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
    ``slack`` MiB from one to the other.  A predictor is fitted on its
    spec's ``X`` and ``y``, and its ``output_method`` is measured.
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
        ``make_X(rng) -> X``: a few valid samples (an array of images or
        rows, or a list of structures), at least 4.
    input_kind : {"images", "signals", "structures", "table"}
        ``"table"``: 2D float rows with labels, for predictors.
    alternatives : dict
        Every model parameter (all of ``get_params(deep=False)`` except the
        execution parameters) -> another valid value.  The tests check that
        the list is complete.
    sklearn_params : list of dict
        Parameter sets for scikit-learn's ``parametrize_with_checks`` (array
        estimators only; their images are as small as 1 x 2 pixels).
    make_y : callable or None
        Predictors: ``make_y(X) -> y``, labels of at least two classes for
        any ``X`` of two rows or more (the memory check fits on ``make_X``'s
        rows and predicts others).
    output_method : str
        What the tests compare: ``"transform"`` for transformers,
        ``"decision_function"`` (or ``"predict_proba"``) for predictors.
    execution_params : tuple of str
        The parameters ``output_method`` may read and that take effect
        without a refit; every other parameter is a model parameter.
        Default: ``backend``, ``n_jobs``, ``batch_size``, ``verbose``.
    skips : dict
        Contract topic (``"n_jobs"``, ``"backend"``, ``"verbose"``) -> why
        it does not apply; the tests of that topic are reported as skipped
        with this reason.  Required for a predictor that lacks the
        parameter of a topic.
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
    make_y: Callable = None
    output_method: str = "transform"
    execution_params: tuple = EXECUTION_PARAMS
    skips: dict = field(default_factory=dict)

    @property
    def name(self):
        return self.cls.__name__

    @property
    def is_predictor(self):
        return self.input_kind == "table"

    def make(self, **overrides):
        return self.cls(**{**self.params, **overrides})

    def X(self, seed=0):
        return self.make_X(np.random.default_rng(seed))

    def y(self, X):
        """The labels of ``X`` for a predictor's ``fit``."""
        return self.make_y(X)

    def fit(self, est, X, y=None):
        """``est.fit(X)``, or ``est.fit(X, y)`` for a predictor (``y`` from ``make_y`` by default)."""
        if not self.is_predictor:
            return est.fit(X)
        return est.fit(X, self.y(X) if y is None else y)

    def fitted(self, X, **overrides):
        """A new estimator of the spec's parameters (and ``overrides``), fitted on ``X``."""
        return self.fit(self.make(**overrides), X)

    def output(self, est, X):
        """What the contract compares: ``transform(X)``, or ``decision_function(X)`` for a predictor."""
        return getattr(est, self.output_method)(X)

    def model_params(self, est=None):
        """The parameters ``fit`` freezes: all but the execution parameters."""
        est = self.make() if est is None else est
        return sorted(set(est.get_params(deep=False)) - set(self.execution_params))


def _load():
    from .specs import classifiers, composition, harmonic, patches, scattering, signals, soap, spectra

    return [
        scattering.SPEC,
        signals.SPEC,
        patches.SPEC,
        soap.DESCRIPTOR,
        soap.SUM_KERNEL,
        composition.SPEC,
        harmonic.SPEC,
        spectra.SPEC,
        classifiers.BLOCK_RIDGE,
        classifiers.FACTORED,
    ]


#: One spec per public estimator.
SPECS = _load()


def spec_ids(specs):
    return [s.name for s in specs]


def cases(topic, applies, specs=None):
    """The specs a test of ``topic`` runs on, as ``pytest.param``s.

    A spec runs when ``applies(spec)``.  A predictor whose spec gives a
    reason in ``skips[topic]`` is kept but skipped with that reason, and so
    is one for which ``applies`` is false: its spec must say why (a
    ``KeyError`` at collection otherwise).  Transformers for which the test
    does not apply are left out, as before predictors were registered.
    """
    out = []
    for spec in SPECS if specs is None else specs:
        if spec.is_predictor and (topic in spec.skips or not applies(spec)):
            if topic not in spec.skips:
                raise KeyError(f"the spec of {spec.name} must say in skips[{topic!r}] why the {topic} tests do not apply")
            reason = f"{spec.name}: {spec.skips[topic]}"
            out.append(pytest.param(spec, id=spec.name, marks=pytest.mark.skip(reason=reason)))
        elif applies(spec):
            out.append(pytest.param(spec, id=spec.name))
    return out
