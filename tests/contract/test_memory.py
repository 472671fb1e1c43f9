"""A transform's temporaries are bounded by the batch, not by the number of samples.

A predictor is fitted on its spec's samples and its ``decision_function``
is measured.
"""

import tracemalloc

import numpy as np
import pytest

from skscatter import config_context

from ._compare import as_host
from .registry import SPECS

BOUNDED = [s for s in SPECS if s.memory is not None]


def _peak_beyond_output(spec, est, X, working_memory):
    with config_context(working_memory=working_memory):
        tracemalloc.start()
        try:
            out = spec.output(est, X)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak - as_host(out).nbytes


@pytest.mark.parametrize("spec", BOUNDED, ids=[s.name for s in BOUNDED])
def test_transform_memory_does_not_grow_with_samples(spec):
    m = spec.memory
    rng = np.random.default_rng(0)
    small, large = m.make(m.n_small, rng), m.make(m.n_large, rng)
    est = spec.fitted(spec.X() if spec.is_predictor else small)
    spec.output(est, small)  # warm-up: compilation and caches are not the transform's
    grow = _peak_beyond_output(spec, est, large, m.working_memory) - _peak_beyond_output(spec, est, small, m.working_memory)
    assert grow <= m.slack * 2**20, (
        f"{spec.name}: temporaries grew by {grow / 2**20:.2f} MiB from {m.n_small} to {m.n_large} samples "
        f"(working_memory={m.working_memory} MiB)"
    )


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_estimator_declares_its_memory_bound(spec):
    assert spec.memory is not None, f"{spec.name} declares no memory bound"
