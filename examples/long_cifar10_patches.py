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
    python examples/long_cifar10_patches.py --select   # the held-out alpha sweep first

``--json PATH`` also writes the results (with ``--select``, the validation
accuracy of each ``alpha``) to a JSON file
(``docs/recorded/long_cifar10_patches.json`` draws the figure below).

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

from _recorded import write_recorded

# Chosen on a held-out slice of the training set (see the module docstring).
ALPHA = 1e3
SELECT_ALPHAS = (300.0, 1000.0, 3000.0, 10000.0)
N_HELD = 5000


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


def select(X_train, y_train, alphas=SELECT_ALPHAS, n_held=N_HELD, n_jobs=-1, query_scale=5.0):
    """Held-out sweep on the training set: fit on all but the last ``n_held`` images, score those.

    The encoder and the scaler are fitted once; only the ridge penalty
    varies.  Prints and returns ``[(alpha, validation accuracy), ...]``.
    """
    pipe = make_pipeline(alphas[0], n_jobs, query_scale)
    features = Pipeline(pipe.steps[:-1])
    fit, held = slice(0, len(X_train) - n_held), slice(len(X_train) - n_held, None)
    Z_fit = features.fit_transform(X_train[fit])
    Z_held = features.transform(X_train[held])
    rows = []
    for alpha in alphas:
        accuracy = float(RidgeClassifier(alpha=alpha).fit(Z_fit, y_train[fit]).score(Z_held, y_train[held]))
        print(f"  alpha = {alpha:g}: validation accuracy {accuracy:.4f}", flush=True)
        rows.append((alpha, accuracy))
    return rows


def write_json(path, args, results, validation=None, argv=None):
    """Write the run to ``path`` (``--json``): scalar ``results`` and, with ``--select``, (alpha, accuracy) pairs."""
    selection = None
    if validation:
        selection = {
            "metric": "validation accuracy", "unit": "fraction", "parameter": "ridge alpha",
            "split": f"fit on the first {50000 - N_HELD:,} training images, scored on the last {N_HELD:,}",
            "rows": [{"label": f"alpha = {alpha:g}", "x": alpha, "value": round(acc, 4)} for alpha, acc in validation],
            "chosen": f"alpha = {args.alpha:g}",
        }
    return write_recorded(
        path, "long_cifar10_patches", argv=argv,
        settings=dict(alpha=args.alpha, query_scale=args.query_scale, patch_size=6, n_patches=2048, n_neighbors=0.4,
                      whitening_reg=1e-3, pooling="grid", grid_size=2),
        results=results, selection=selection,
    )


def main(argv=None):
    """Train on the 50,000 training images, print test accuracy and timings."""
    parser = argparse.ArgumentParser(description="Whitened patches + ridge on CIFAR-10")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--alpha", type=float, default=ALPHA, help=f"ridge penalty (default {ALPHA:g})")
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for the encoder")
    parser.add_argument("--query-scale", type=float, default=5.0, help="encoder query_scale (default 5; 1: plain z)")
    parser.add_argument("--select", action="store_true",
                        help=f"first score alpha in {SELECT_ALPHAS} on the last {N_HELD} training images held out")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    (X_train, y_train), (X_test, y_test) = (
        fetch_cifar10(args.data_home, subset=subset, return_X_y=True) for subset in ("train", "test")
    )
    X_train = X_train.astype(np.float32) / 255.0  # (n, 32, 32, 3): channels last
    X_test = X_test.astype(np.float32) / 255.0

    validation = None
    if args.select:
        start = time.perf_counter()
        validation = select(X_train, y_train, SELECT_ALPHAS, N_HELD, args.n_jobs, args.query_scale)
        print(f"held-out sweep: {time.perf_counter() - start:.0f} s (the run below uses --alpha {args.alpha:g})")

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
    if args.json is not None:
        n_features = len(pipe.named_steps["patches"].get_feature_names_out())
        results = {"test_accuracy": round(float(accuracy), 4), "n_features": n_features,
                   "fit_seconds": round(fit_time), "test_seconds": round(test_time)}
        write_json(args.json, args, results, validation, argv=argv)
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
#
# ``--select`` now runs that sweep within the example (encoder and scaler
# fitted once on the first 45,000 training images); it has not been run
# for this record.
#
# .. plot::
#
#    plot_recorded("long_cifar10_patches", "selection")
#
# The figure is drawn from ``docs/recorded/long_cifar10_patches.json`` (the
# validation accuracies above; ``--select --json`` on a new run replaces the
# file).
