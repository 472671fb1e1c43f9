"""Benchmarks of ScatteringTransformer.

Run from ``asv_benchmarks/``::

    asv run --python=same -b ScatteringTransformer      # current checkout, this venv
    asv continuous -b ScatteringTransformer main HEAD    # compare two commits

``time_*`` measure a warm transform (numba kernels compiled and filters built
in ``setup``); the cold costs are separate: ``time_filter_bank`` builds the
filters from an empty cache and ``time_first_transform_cold`` runs a fresh
process with an empty numba cache (compile time).
"""

import os
import subprocess
import sys
import tempfile

from skscatter import ScatteringTransformer
from skscatter.scattering import _filter_bank

from .common import N_JOBS_VALS, PROFILE, Benchmark
from .datasets import random_images

# name: (height, width, channels, J, images per transform in the fast / regular profile)
REGIMES = {
    "grey 32x32 J=2": (32, 32, 1, 2, 256, 1000),
    "grey 32x32 J=3": (32, 32, 1, 3, 256, 1000),
    "colour 32x32 J=2": (32, 32, 3, 2, 128, 1000),
    "colour 32x32 J=3": (32, 32, 3, 3, 128, 1000),
    "ImageNet-like 224x224x3 J=3": (224, 224, 3, 3, 2, 8),
}


def _images(regime):
    height, width, channels, J, n_fast, n_regular = REGIMES[regime]
    n = n_fast if PROFILE == "fast" else n_regular
    return random_images(n, height, width, channels), (height, width), channels, J


def _warm_estimator(regime, **params):
    """Images of ``regime`` and a ScatteringTransformer (L=8) fitted to them, its kernels compiled or loaded."""
    X, shape, channels, J = _images(regime)
    estimator = ScatteringTransformer(J=J, L=8, shape=shape, n_channels=channels, **params).fit(X[:1])
    # Compile (or load) the kernels outside the timed region.
    estimator.transform(X[:1])
    return X, estimator


class ScatteringTransformerBenchmark(Benchmark):
    """Warm transform time and peak memory, L=8, max_order=2, float32."""

    param_names = ["regime", "backend", "n_jobs"]
    params = (list(REGIMES), ["numba", "numpy"], N_JOBS_VALS)

    def setup(self, regime, backend, n_jobs):
        self.X, self.estimator = _warm_estimator(regime, backend=backend, n_jobs=n_jobs)

    def time_transform(self, *args):
        self.estimator.transform(self.X)

    def peakmem_transform(self, *args):
        self.estimator.transform(self.X)

    def track_images_per_second(self, *args):
        timer = self.timer
        start = timer()
        self.estimator.transform(self.X)
        return len(self.X) / (timer() - start)

    track_images_per_second.unit = "images/s"


class SecondLayerBenchmark(Benchmark):
    """Warm transform time of the translation and roto-translation second layers (colour 32x32, J=3, L=8)."""

    param_names = ["second_order", "n_jobs"]
    params = (["translation", "roto-translation"], N_JOBS_VALS)

    def setup(self, second_order, n_jobs):
        self.X, self.estimator = _warm_estimator("colour 32x32 J=3", second_order=second_order, n_jobs=n_jobs)

    def time_transform(self, *args):
        self.estimator.transform(self.X)

    def peakmem_transform(self, *args):
        self.estimator.transform(self.X)


class GradientBenchmark(Benchmark):
    """The vector-Jacobian product beside the forward transform it differentiates (float32, L=8)."""

    param_names = ["regime"]
    params = (["grey 32x32 J=2", "colour 32x32 J=2"],)

    def setup(self, regime):
        import numpy as np

        self.X, shape, channels, J = _images(regime)
        self.estimator = ScatteringTransformer(J=J, L=8, shape=shape, n_channels=channels, n_jobs=1).fit(self.X[:1])
        self.cotangent = np.ones((len(self.X), self.estimator.transform(self.X[:1]).shape[1]), dtype=np.float32)
        self.estimator.vjp(self.X[:1], self.cotangent[:1])

    def time_transform(self, regime):
        self.estimator.transform(self.X)

    def time_vjp(self, regime):
        self.estimator.vjp(self.X, self.cotangent)

    def peakmem_vjp(self, regime):
        self.estimator.vjp(self.X, self.cotangent)


class FilterBankBenchmark(Benchmark):
    """Filter construction from an empty cache (kymatio's constructor cost)."""

    param_names = ["shape", "J"]
    params = ([(32, 32), (224, 224), (256, 256)], [2, 3, 4])

    def time_filter_bank(self, shape, J):
        _filter_bank._filter_bank_float64.cache_clear()
        _filter_bank.filter_bank.cache_clear()
        _filter_bank.filter_bank(*_filter_bank.padded_shape(shape, J), J, 8)


_COLD_START = """
import numpy as np
from skscatter import ScatteringTransformer
X = np.random.default_rng(0).random((4, 1024), dtype=np.float32)
ScatteringTransformer(J=2, shape=(32, 32)).fit(X).transform(X)
"""


class ColdStartBenchmark(Benchmark):
    """Import and first transform in a fresh process, with and without a numba cache."""

    repeat = (1, 3, 120.0)
    timeout = 900

    def time_import_skscatter(self):
        subprocess.run([sys.executable, "-c", "import skscatter"], check=True)

    def time_first_transform_cold(self):
        # An empty cache directory: numba compiles every kernel.
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            subprocess.run([sys.executable, "-c", _COLD_START], check=True, env=env)

    def time_first_transform_cached(self):
        subprocess.run([sys.executable, "-c", _COLD_START], check=True)
