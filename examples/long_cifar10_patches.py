"""
Whitened patches + a linear classifier on CIFAR-10
===================================================

The SimplePatch representation of Thiry et al. (ICLR 2021) with a plain
scikit-learn linear model: every 6x6 patch of an image is whitened
(``epsilon = 1e-3``) and encoded by its ``K = 0.4 |D|`` nearest atoms among
``|D| = 2048`` random training patches, for ``z`` and ``-z``, compared with
``5 z`` as the authors' code effectively does (``query_scale=5``); the codes
are averaged over a 2 x 2 grid of image quadrants (Coates et al. 2011),
giving 16,384 features.  Then ``StandardScaler`` and ``RidgeClassifier``; no
data augmentation.  ``alpha`` was chosen on the last 5,000 training images
held out: validation accuracy 75.9 / 77.3 / 77.2 / 75.3 % at ``alpha`` =
300 / 1000 / 3000 / 10000 (see ``--alpha``).

Measured (2 cores, 2026-11-27, an ad-hoc script with the same steps plus
the held-out alpha sweep, 20 minutes in all): **77.2 %** test accuracy.
With ``--query-scale 1 --alpha 3000``: 75.3 %.
Coarse quadrant pooling costs accuracy: ``long_cifar10_pyramid.py`` adds the
1 x 1 and 3 x 3 grids (57,344 features) and reaches 80.8 %; the authors
reach 81.6 % with a plain linear layer on their finer 9 x 9 pooling
(331,776 features), which needs a solver that does not form a dense Gram
matrix.

It reads CIFAR-10 with :func:`skscatter.datasets.fetch_cifar10` (images
(50000, 32, 32, 3) uint8) from ``$SKSCATTER_DATA``, else ``../shared/data``
beside the repository if present (else ``~/skscatter_data``, downloading the
official archive), or from the folder given with ``--data-home``::

    python examples/long_cifar10_patches.py --data-home /path/to/data

On a 2-core machine: about 1 minute of whitening statistics, 5 to 10
minutes of encoding (it depends on the machine), and a few minutes for the
ridge fit; up to about 14 GB of memory.

Keep the features in float32: scikit-learn's ridge then solves a float32
16384 x 16384 system.  In float64 that matrix is 2 GiB, and the LAPACK bundled
with NumPy/SciPy wheels crashed (segmentation fault) on it on our test machine.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import WhitenedPatchKNNEncoder
from skscatter.datasets import fetch_cifar10

# Chosen on a held-out slice of the training set (see the module docstring).
ALPHA = 1e3


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def make_pipeline(alpha, n_jobs=-1, query_scale=5.0):
    """Patch encoding, standardisation (in place: the features are large), ridge."""
    return Pipeline(
        [
            (
                "patches",
                WhitenedPatchKNNEncoder(
                    patch_size=6, n_patches=2048, n_neighbors=0.4, whitening_reg=1e-3, negative=True,
                    query_scale=query_scale, pooling="grid", grid_size=2, random_state=0, n_jobs=n_jobs, verbose=1,
                ),
            ),
            ("scaler", StandardScaler(copy=False)),
            ("ridge", RidgeClassifier(alpha=alpha)),
        ]
    )


def main(argv=None):
    """Train on the 50,000 training images, print test accuracy and timings."""
    parser = argparse.ArgumentParser(description="Whitened patches + ridge on CIFAR-10")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--alpha", type=float, default=ALPHA, help=f"ridge penalty (default {ALPHA:g})")
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for the encoder")
    parser.add_argument("--query-scale", type=float, default=5.0, help="encoder query_scale (default 5; 1: plain z)")
    args = parser.parse_args(argv)

    (X_train, y_train), (X_test, y_test) = (
        fetch_cifar10(args.data_home, subset=subset, return_X_y=True) for subset in ("train", "test")
    )
    X_train = X_train.astype(np.float32) / 255.0  # (n, 32, 32, 3): channels last
    X_test = X_test.astype(np.float32) / 255.0

    pipe = make_pipeline(args.alpha, args.n_jobs, args.query_scale)
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = pipe.score(X_test, y_test)
    test_time = time.perf_counter() - start
    print(f"features per image: {len(pipe.named_steps['patches'].get_feature_names_out())}")
    print(f"fit on 50000: {fit_time:.0f} s, test: {test_time:.0f} s, total {fit_time + test_time:.0f} s")
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (CIFAR-10 and about 20
# minutes of two cores).  Measured on a 2-core machine on 2026-11-27
# (commit ``4ca6b94``; closing note of the CIFAR-10 issue on the tracker,
# ``issues stops``), by an ad-hoc script with the same steps plus the
# held-out ``alpha`` sweep (20.4 minutes, 17.8 GB peak with the validation
# copies):
#
# * validation accuracy 0.7592 / **0.7732** / 0.7722 / 0.7530 at
#   ``alpha`` = 300 / 1000 / 3000 / 10000 (last 5,000 training images held
#   out);
# * test accuracy **0.7719** at ``alpha=1000``, ``query_scale=5`` (the
#   defaults); ``--query-scale 1 --alpha 3000``: 0.7531;
# * 16,384 features per image.
