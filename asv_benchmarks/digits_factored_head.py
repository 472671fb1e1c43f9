"""The factored linear head against unfactored linear heads, on whitened-patch codes of the digits.

``WhitenedPatchKNNEncoder`` (64 atoms of 3 x 3 patches, windows of 3 every 2
positions: 128 channels on a 3 x 3 map) is fitted on the first 1,200 digits;
each head is trained on their codes (float16) and scored on the other 597.
The settings are not tuned on those 597 images: they are a small grid shown
whole.

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python asv_benchmarks/digits_factored_head.py
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import WhitenedPatchKNNEncoder
from skscatter.linear_model import BlockRidgeClassifier, FactoredLinearClassifier


def main():
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    encoder = WhitenedPatchKNNEncoder(
        patch_size=3, n_patches=64, shape=(8, 8), pooling="window", pool_size=3, pool_stride=2, random_state=0
    ).fit(X[:1200])
    codes = encoder.transform(X).astype(np.float16)
    train, test = slice(0, 1200), slice(1200, None)
    map_shape = (2 * 64, *encoder.pooled_shape_)
    for width in (4, 16, 64):
        for learning_rate, epochs in ((0.01, 40), (0.003, 80)):
            start = time.perf_counter()
            head = FactoredLinearClassifier(
                n_components=width,
                map_shape=map_shape,
                learning_rate=learning_rate,
                max_iter=epochs,
                batch_size=32,
                random_state=0,
            ).fit(codes[train], y[train])
            print(
                f"factored R={width} lr={learning_rate} epochs={epochs}: "
                f"{head.score(codes[test], y[test]):.4f} ({time.perf_counter() - start:.1f} s)"
            )
    logistic = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000))
    logistic.fit(codes[train].astype(np.float64), y[train])
    print(f"StandardScaler + LogisticRegression(C=0.05): {logistic.score(codes[test].astype(np.float64), y[test]):.4f}")
    ridge = BlockRidgeClassifier(alpha=10.0, standardize=True).fit(codes[train], y[train])
    print(f"BlockRidgeClassifier(alpha=10, standardize=True): {ridge.score(codes[test], y[test]):.4f}")


if __name__ == "__main__":
    main()
