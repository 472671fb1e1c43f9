"""Benchmarks of WhitenedPatchKNNEncoder.

Run from ``asv_benchmarks/``::

    asv run --python=same -b WhitenedPatchKNNEncoder

``time_*``/``peakmem_*`` measure a warm transform of CIFAR-like random
32 x 32 x 3 images (Q=6, K=0.4|D|, x and -x, 2 x 2 grid pooling).
``track_distance_gemm_fraction`` is the rate of the encoder's distance
product (patches x atoms) as a fraction of NumPy's float32 GEMM rate on a
square product, measured in the same process.
"""

import time

import numpy as np

from skscatter import WhitenedPatchKNNEncoder
from skscatter._kernels.knn import knn_pool
from skscatter.patches._extraction import extract_patches

from .common import N_JOBS_VALS, PROFILE, Benchmark
from .datasets import random_images
from .measure import gemm_rate_ratio


def _cifar_like(n):
    return random_images(n, 32, 32, 3).reshape(n, 32, 32, 3)


class WhitenedPatchKNNEncoderBenchmark(Benchmark):
    """Warm transform, float32."""

    param_names = ["n_patches", "backend", "n_jobs"]
    params = ([256, 2048], ["numba", "numpy"], N_JOBS_VALS)

    def setup(self, n_patches, backend, n_jobs):
        self.X = _cifar_like(32 if PROFILE == "fast" else 256)
        self.encoder = WhitenedPatchKNNEncoder(
            n_patches=n_patches, random_state=0, backend=backend, n_jobs=n_jobs
        ).fit(self.X)
        self.encoder.transform(self.X[:2])

    def time_transform(self, *args):
        self.encoder.transform(self.X)

    def peakmem_transform(self, *args):
        self.encoder.transform(self.X)

    def track_images_per_second(self, *args):
        start = time.perf_counter()
        self.encoder.transform(self.X)
        return len(self.X) / (time.perf_counter() - start)

    track_images_per_second.unit = "images/s"


class DistanceGemmBenchmark(Benchmark):
    """The distance product's GEMM rate relative to NumPy's best float32 GEMM."""

    def setup(self):
        X = _cifar_like(64)
        encoder = WhitenedPatchKNNEncoder(n_patches=2048, random_state=0).fit(X)
        patches = extract_patches(X[:16], 6) - encoder.mean_
        self.patches = patches.reshape(-1, patches.shape[-1]).astype(np.float32)
        self.atoms = np.ascontiguousarray(
            encoder.whitening_ @ ((encoder.dictionary_ - encoder.mean_) @ encoder.whitening_).T, dtype=np.float32
        )
        rng = np.random.default_rng(0)
        self.square = rng.random((2048, 2048), dtype=np.float32)

    def track_distance_gemm_fraction(self):
        return gemm_rate_ratio(self.patches, self.atoms, self.square)[2]

    track_distance_gemm_fraction.unit = "fraction of square GEMM rate"


class KnnSelectionKernelBenchmark(Benchmark):
    """The serial numba selection-and-pooling kernel alone, per score row.

    Rows are the distance products of 16 encoded images (the GEMM is done
    in setup), so this tracks the selection half of the transform apart
    from BLAS: microseconds per (position, sign) row of |D| = 2048 scores.
    """

    def setup(self):
        X = _cifar_like(64)
        encoder = WhitenedPatchKNNEncoder(n_patches=2048, random_state=0).fit(X)
        white = (encoder.dictionary_ - encoder.mean_) @ encoder.whitening_
        atoms = (encoder.whitening_ @ white.T).astype(np.float32)
        patches = (extract_patches(X[:16], 6) - encoder.mean_).astype(np.float32)
        self.H = np.ascontiguousarray(patches.reshape(16, -1, patches.shape[-1]) @ atoms)
        self.offsets = np.tile(np.einsum("kd,kd->k", white, white), (2, 1)).astype(np.float32)
        self.kth = encoder.n_neighbors_
        self.pooling = encoder._model.pooling  # checked once, as transform passes it
        self.time_kernel()  # numba compilation or cache load

    def time_kernel(self):
        knn_pool(self.H, self.offsets, np.array([-2.0, 2.0]), self.kth, self.pooling, "numba")

    def track_microseconds_per_row(self):
        start = time.perf_counter()
        self.time_kernel()
        return (time.perf_counter() - start) / (2 * self.H.shape[0] * self.H.shape[1]) * 1e6

    track_microseconds_per_row.unit = "us per (position, sign)"


class WhitenedPatchKNNEncoderGPUBenchmark(Benchmark):
    """Warm transform on the GPU (``backend="cupy"``) of a cupy batch, codes left there.

    Skipped (``NotImplementedError`` in setup) without cupy and a CUDA device.
    """

    param_names = ["n_patches"]
    params = ([2048, 16384],)

    def setup(self, n_patches):
        from skscatter._backend import cupy_available

        if not cupy_available():
            raise NotImplementedError("needs cupy and a CUDA device")
        import cupy

        self.cupy = cupy
        X = _cifar_like(256 if PROFILE == "fast" else 2048)
        self.encoder = WhitenedPatchKNNEncoder(n_patches=n_patches, random_state=0, backend="cupy").fit(X)
        self.X = cupy.asarray(X)
        self.encoder.transform(self.X[:8])

    def time_transform(self, n_patches):
        self.encoder.transform(self.X)
        self.cupy.cuda.Device().synchronize()

    def track_images_per_second(self, n_patches):
        self.cupy.cuda.Device().synchronize()
        start = time.perf_counter()
        self.encoder.transform(self.X)
        self.cupy.cuda.Device().synchronize()
        return len(self.X) / (time.perf_counter() - start)

    track_images_per_second.unit = "images/s"
