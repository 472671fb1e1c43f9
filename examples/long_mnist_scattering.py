"""
Scattering + Gaussian SVM on the full MNIST
===========================================

Bruna and Mallat (2013) classified MNIST from second-order scattering
coefficients with a Gaussian-kernel SVM.  This example does the same with a
scikit-learn ``Pipeline``: scattering (``J=3``, ``L=8``, log non-linearity),
standardisation, PCA to 200 dimensions and an RBF ``SVC``, trained on the
60,000 training images and scored on the 10,000 test images.  ``J=3`` (an
averaging window of 8 pixels) is the scale Bruna and Mallat used on MNIST.

It reads MNIST with :func:`skscatter.datasets.fetch_mnist` from
``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present
(else ``~/skscatter_data``, downloading the official files); pass another
folder with ``--data-home``::

    python examples/long_mnist_scattering.py --data-home /path/to/data

On a 2-core machine the whole run takes about two minutes, most of it in
the SVM.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skscatter import ScatteringTransformer
from skscatter.datasets import fetch_mnist


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def make_pipeline(n_jobs=-1):
    """The documented pipeline: scattering, log, standardise, PCA, RBF SVM."""
    return Pipeline(
        [
            # Pixels in [0, 1]; log(|S| + 1e-3) compresses the heavy-tailed
            # coefficients, as in Oyallon and Mallat (2015).
            ("scattering", ScatteringTransformer(J=3, L=8, shape=(28, 28), log=True, log_eps=1e-3, n_jobs=n_jobs)),
            ("scaler", StandardScaler()),
            ("pca", PCA(n_components=200, random_state=0)),
            ("svm", SVC(kernel="rbf", C=10.0, gamma="scale")),
        ]
    )


def main(argv=None):
    """Train on the MNIST training set, print test accuracy and timings."""
    parser = argparse.ArgumentParser(description="Scattering + SVM on MNIST")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--n-train", type=int, default=60000, help="training images used (default all)")
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for the scattering transform")
    args = parser.parse_args(argv)

    train, test = (fetch_mnist(args.data_home, subset=subset) for subset in ("train", "test"))
    X_train = train.data[: args.n_train].reshape(-1, 28 * 28).astype(np.float32) / 255.0
    y_train = train.target[: args.n_train]
    X_test = test.data.reshape(-1, 28 * 28).astype(np.float32) / 255.0
    y_test = test.target
    print(f"MNIST: {len(X_train)} train / {len(X_test)} test images of 28x28")

    pipe = make_pipeline(args.n_jobs)
    start = time.perf_counter()
    pipe.fit(X_train, y_train)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = pipe.score(X_test, y_test)
    score_time = time.perf_counter() - start

    scattering = pipe.named_steps["scattering"]
    print(f"scattering: {scattering.n_paths_} paths x {scattering.output_shape_} = "
          f"{len(scattering.get_feature_names_out())} features per image")
    print(f"fit: {fit_time:.1f} s, predict on test: {score_time:.1f} s, total {fit_time + score_time:.1f} s")
    print(f"test accuracy: {accuracy:.4f} (error {100 * (1 - accuracy):.2f} %)")
    return accuracy


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (it needs the MNIST
# archive and about two minutes of two cores).  Its last full run,
# ``python examples/long_mnist_scattering.py`` on a 2-core machine
# (2026-11-22, commit ``3aabbfe``; a closing note on the tracker,
# ``issues stops``), printed:
#
# * test accuracy **0.9936** (error 0.64 %);
# * fit and predict 101.8 s in all (1 min 46 s wall with data loading),
#   2.0 GB peak resident memory (``/usr/bin/time -v``).
#
# Ablations of the same note, scored on the test set (so an ablation, not a
# tuned result): ``J=2`` without log 0.9921, ``J=2`` with log 0.9932,
# ``J=3`` with PCA 300 and ``C=20`` 0.9932.  Bruna and Mallat (2013) report
# about 99.6 % with a Gaussian SVM.
