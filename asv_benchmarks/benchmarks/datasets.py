"""Synthetic image batches for the benchmarks; nothing is downloaded."""

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def random_images(n_images, height, width, n_channels, dtype="float32", seed=0):
    """Uniform random images, flattened as (n, H*W*C) in (H, W, C) order."""
    rng = np.random.default_rng(seed)
    return rng.random((n_images, height * width * n_channels), dtype=np.float64).astype(dtype)
