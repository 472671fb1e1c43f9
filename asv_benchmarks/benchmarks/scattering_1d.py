"""Benchmarks of Scattering1DTransformer.

Run from ``asv_benchmarks/``::

    asv run --python=same -b Scattering1D      # current checkout, this venv
    asv continuous -b Scattering1D main HEAD    # compare two commits

``time_*`` measure a warm transform (numba kernels compiled and filters
converted in ``setup``); ``time_fit`` builds the filter bank from an empty
cache, as kymatio's ``Scattering1D`` constructor does.
``asv_benchmarks/compare_kymatio_1d.py`` times kymatio 0.3 on the goal
regime in the same run.
"""

import numpy as np

from skscatter import Scattering1DTransformer
from skscatter.scattering import _morlet_1d

from .common import N_JOBS_VALS, PROFILE, Benchmark

# name: (length, J, Q, signals per transform in the fast / regular profile)
REGIMES = {
    "1024 J=6 Q=8": (1024, 6, 8, 64, 1000),
    "4096 J=8 Q=8": (4096, 8, 8, 32, 1000),
}


def _signals(regime):
    length, J, Q, n_fast, n_regular = REGIMES[regime]
    n = n_fast if PROFILE == "fast" else n_regular
    return np.random.default_rng(0).standard_normal((n, length), dtype=np.float32), J, Q


class Scattering1DTransformerBenchmark(Benchmark):
    """Warm transform time and peak memory, float32 signals, max_order=2."""

    param_names = ["regime", "backend", "n_jobs"]
    params = (list(REGIMES), ["numba", "numpy"], N_JOBS_VALS)

    def setup(self, regime, backend, n_jobs):
        self.X, J, Q = _signals(regime)
        self.estimator = Scattering1DTransformer(J=J, Q=Q, backend=backend, n_jobs=n_jobs).fit(self.X[:1])
        # Compile (or load) the kernels and convert the filters outside the timed region.
        self.estimator.transform(self.X[:2])

    def time_transform(self, *args):
        self.estimator.transform(self.X)

    def peakmem_transform(self, *args):
        self.estimator.transform(self.X)

    def track_signals_per_second(self, *args):
        timer = self.timer
        start = timer()
        self.estimator.transform(self.X)
        return len(self.X) / (timer() - start)

    track_signals_per_second.unit = "signals/s"


class Scattering1DFitBenchmark(Benchmark):
    """Filter-bank construction from an empty cache (kymatio's constructor cost)."""

    param_names = ["regime"]
    params = [list(REGIMES)]

    def setup(self, regime):
        self.X, self.J, self.Q = _signals(regime)
        self.X = self.X[:1]

    def time_fit(self, regime):
        _morlet_1d.morlet_1d_bank.cache_clear()
        Scattering1DTransformer(J=self.J, Q=self.Q).fit(self.X)
