"""
Colour scattering on CIFAR-10: a linear head and a Nystroem RBF head
====================================================================

Oyallon and Mallat (2015) classified CIFAR-10 from the scattering
coefficients of the Y, U and V channels of each image, after a log
non-linearity and standardisation, with a Gaussian-kernel SVM.  This example
builds that pipeline from scikit-learn parts and skscatter:

* RGB to YUV (a picklable :class:`~sklearn.preprocessing.FunctionTransformer`),
  each channel given the same scattering (the authors' choice on images this
  small);
* :class:`~skscatter.ScatteringTransformer` with ``J=3``, ``L=8``, order 2,
  ``log(|S| + 1e-3)``: 3 x 217 paths on 4 x 4 positions, 10,416 features;
* training images and their mirror images (horizontal flips), which
  scattering is not invariant to but the classes are;
* two heads on the standardised coefficients:

  (a) linear: :class:`~skscatter.linear_model.BlockRidgeClassifier`
      (one-vs-all ridge, ``standardize=True``, fitted block by block on
      the float32 coefficients without copying them);
  (b) kernel: :class:`~sklearn.preprocessing.StandardScaler`, then
      :class:`~sklearn.kernel_approximation.Nystroem` (Gaussian kernel
      :math:`\\exp(-\\|x - y\\|^2 / 2d)` on the ``d`` standardised
      features, ``n_components`` landmarks), then the same ridge classifier.

The authors resized the images to 64 x 64 and used ``J=4`` with
roto-translation wavelets on the second layer (82.3 %); this example stays
at the native 32 x 32 with translation scattering (``--J`` and ``--upsample``
change that), which is what two cores afford within the hour.

Every choice was made on the training set only: ``--select`` fits on the
first 45,000 training images (and their flips) and scores the last 5,000
for a grid of ridge penalties; the defaults below are that comparison's
best.  The test set is scored once per head.

It reads CIFAR-10 with :func:`skscatter.datasets.fetch_cifar10` from
``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present
(else ``~/skscatter_data``, downloading the official archive)::

    python examples/long_cifar10_scattering.py --data-home /path/to/data
    python examples/long_cifar10_scattering.py --select   # held-out selection only

``--json PATH`` also writes the results (with ``--select``, the held-out
accuracy of each head and penalty) to a JSON file
(``docs/recorded/long_cifar10_scattering.json``).
"""

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import zoom
from sklearn.kernel_approximation import Nystroem
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skscatter import ScatteringTransformer
from skscatter.datasets import fetch_cifar10
from skscatter.linear_model import BlockRidgeClassifier

from _recorded import write_recorded

# Rows: Y, U, V (the analog PAL definition used by the authors' rgb2yuv).
RGB_TO_YUV = np.array(
    [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]], dtype=np.float32
)


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def to_yuv(images, upsample=1):
    """uint8 RGB images (n, 32, 32, 3) to float32 YUV in [0, 1] units, optionally upsampled (bilinear)."""
    yuv = (np.asarray(images, dtype=np.float32) / 255.0) @ RGB_TO_YUV.T
    if upsample != 1:
        yuv = zoom(yuv, (1, upsample, upsample, 1), order=1, grid_mode=True, mode="grid-mirror")
    return yuv.astype(np.float32, copy=False)


def make_features(J=3, upsample=1, n_jobs=-1, verbose=0):
    """YUV conversion then log scattering of each channel: the features both heads read."""
    side = 32 * upsample
    return Pipeline(
        [
            ("yuv", FunctionTransformer(to_yuv, kw_args={"upsample": upsample})),
            ("scattering", ScatteringTransformer(J=J, L=8, shape=(side, side), n_channels=3, channel_layout="last",
                                                 log=True, log_eps=1e-3, n_jobs=n_jobs, verbose=verbose)),
        ]
    )


def make_linear_head(alpha=5000.0):
    """Head (a): one-vs-all ridge on the standardised coefficients, read block by block."""
    return BlockRidgeClassifier(alpha=alpha, standardize=True)


def make_kernel_head(n_features, alpha=0.05, n_components=6000, random_state=0):
    """Head (b): standardise, Nystroem map of the Gaussian kernel exp(-|x - y|^2 / 2d), ridge."""
    return Pipeline(
        [
            # In place: the caller's coefficients are not needed unscaled afterwards.
            ("scaler", StandardScaler(copy=False)),
            ("nystroem", Nystroem(kernel="rbf", gamma=0.5 / n_features, n_components=n_components,
                                  random_state=random_state)),
            ("ridge", BlockRidgeClassifier(alpha=alpha)),
        ]
    )


def with_flips(images, y):
    """The images followed by their mirror images (left-right), and the labels twice."""
    return np.concatenate([images, images[:, :, ::-1]]), np.concatenate([y, y])


def peak_memory_gb():
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def featurise(features, images, label):
    """Scattering coefficients of ``images`` with a timing line."""
    start = time.perf_counter()
    Z = features.transform(images)
    print(f"  {label}: {Z.shape[0]} images -> {Z.shape[1]} features in {time.perf_counter() - start:.1f} s",
          flush=True)
    return Z


def fit_score(head, Z_fit, y_fit, Z_eval, y_eval, label, Z_eval_flipped=None):
    """Fit one head; print and return its accuracy, and with ``Z_eval_flipped`` the flip-averaged accuracy.

    The flip-averaged prediction sums the head's decision functions on each
    image and on its mirror image.  Each array's decision function is computed
    once: the kernel head standardises its input in place.
    """
    start = time.perf_counter()
    head.fit(Z_fit, y_fit)
    fit_time = time.perf_counter() - start
    start = time.perf_counter()
    scores = head.decision_function(Z_eval)
    accuracy = float(np.mean(head.classes_[scores.argmax(axis=1)] == y_eval))
    result = {"accuracy": accuracy}
    line = f"accuracy {accuracy:.4f}"
    if Z_eval_flipped is not None:
        scores = scores + head.decision_function(Z_eval_flipped)
        result["flip_averaged"] = float(np.mean(head.classes_[scores.argmax(axis=1)] == y_eval))
        line += f", averaged with the mirror image {result['flip_averaged']:.4f}"
    print(f"  {label}: {line} (fit {fit_time:.1f} s, predict {time.perf_counter() - start:.1f} s, "
          f"peak memory so far {peak_memory_gb():.1f} GB)", flush=True)
    return result


def select(X_train, y_train, args):
    """Held-out comparison on the training set: fit on the first 45,000 (with flips), score the last 5,000."""
    n_fit = len(X_train) - 5000
    features = make_features(args.J, args.upsample, args.n_jobs).fit(X_train[:1])
    images, y_fit = with_flips(X_train[:n_fit], y_train[:n_fit])
    Z_fit = featurise(features, images, "held-out fit part, with flips")
    del images
    held = X_train[n_fit:]
    Z_held = featurise(features, held, "held-out part")
    Z_held_flipped = featurise(features, held[:, :, ::-1], "held-out part, mirrored")
    y_held = y_train[n_fit:]
    results = []
    for alpha in (1000.0, 5000.0, 20000.0):
        result = fit_score(make_linear_head(alpha), Z_fit, y_fit, Z_held, y_held, f"linear alpha={alpha:g}",
                           Z_held_flipped)
        results.append((result["flip_averaged"], f"linear alpha={alpha:g}"))
    # The Nystroem map is computed once; only the ridge penalty varies.
    kernel = make_kernel_head(Z_fit.shape[1], n_components=args.n_components)
    kernel_map = Pipeline(kernel.steps[:-1])
    M_fit = kernel_map.fit_transform(Z_fit)
    M_held, M_held_flipped = kernel_map.transform(Z_held), kernel_map.transform(Z_held_flipped)
    for alpha in (0.01, 0.05, 0.2):
        result = fit_score(BlockRidgeClassifier(alpha=alpha), M_fit, y_fit, M_held, y_held,
                           f"Nystroem alpha={alpha:g}", M_held_flipped)
        results.append((result["flip_averaged"], f"Nystroem alpha={alpha:g}"))
    return results


def write_json(path, args, results=None, selection=None, argv=None):
    """Write the run to ``path`` (``--json``): the test ``results`` of both heads, or ``select``'s list."""
    flat = {f"{head}_{name}": round(value, 4) for head, scores in (results or {}).items()
            for name, value in scores.items()}
    spec = None
    if selection:
        rows = []
        for accuracy, label in selection:
            group, alpha = label.rsplit(" alpha=", 1)  # labels of select(): "linear alpha=5000"
            rows.append({"label": label, "group": f"{group} head", "x": float(alpha), "value": round(accuracy, 4)})
        spec = {"metric": "held-out accuracy, averaged with the mirror image", "unit": "fraction",
                "parameter": "ridge alpha", "rows": rows, "chosen": max(selection)[1],
                "split": f"fit on the first {args.n_train - 5000:,} training images and their flips, "
                         "scored on the last 5,000"}
        flat["selection_best"] = max(selection)[1]
    settings = dict(n_train=args.n_train, J=args.J, upsample=args.upsample, n_components=args.n_components,
                    linear_alpha=args.linear_alpha, kernel_alpha=args.kernel_alpha, select=args.select)
    return write_recorded(path, "long_cifar10_scattering", argv=argv, settings=settings, results=flat, selection=spec)


def main(argv=None):
    """Train both heads on the CIFAR-10 training set with flips, print test accuracies, times and memory."""
    parser = argparse.ArgumentParser(description="Colour scattering + linear / Nystroem heads on CIFAR-10")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--n-train", type=int, default=50000, help="training images used (default all)")
    parser.add_argument("--J", type=int, default=3, help="scattering scales (default 3)")
    parser.add_argument("--upsample", type=int, default=1, help="bilinear upsampling factor before scattering")
    parser.add_argument("--n-components", type=int, default=6000, help="Nystroem landmarks")
    parser.add_argument("--linear-alpha", type=float, default=5000.0)
    parser.add_argument("--kernel-alpha", type=float, default=0.05)
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for the scattering transform")
    parser.add_argument("--select", action="store_true",
                        help="only compare penalties on a held-out part of the training set (the last 5,000)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.select and args.n_train <= 5000:
        parser.error(f"--select holds out the last 5000 training images; --n-train={args.n_train} leaves none "
                     "to fit on: pass --n-train above 5000")

    start_all = time.perf_counter()
    X_train, y_train = fetch_cifar10(args.data_home, subset="train", return_X_y=True)
    X_test, y_test = fetch_cifar10(args.data_home, subset="test", return_X_y=True)
    X_train, y_train = X_train[: args.n_train], y_train[: args.n_train]
    print(f"CIFAR-10: {len(X_train)} train / {len(X_test)} test images of 32x32x3")

    if args.select:
        results = select(X_train, y_train, args)
        best = max(results)
        print(f"held-out best (averaged with the mirror image): {best[1]} ({best[0]:.4f}); "
              f"total {time.perf_counter() - start_all:.1f} s")
        if args.json is not None:
            write_json(args.json, args, selection=results, argv=argv)
        return best

    features = make_features(args.J, args.upsample, args.n_jobs).fit(X_train[:1])
    images, y_fit = with_flips(X_train, y_train)
    Z_train = featurise(features, images, "train with flips")
    del images
    Z_test = featurise(features, X_test, "test")
    Z_test_flipped = featurise(features, X_test[:, :, ::-1], "test, mirrored")
    results = {}
    results["linear"] = fit_score(make_linear_head(args.linear_alpha), Z_train, y_fit, Z_test, y_test,
                                  "(a) linear head", Z_test_flipped)
    # Last: the kernel head standardises Z_train and the test arrays in place.
    results["kernel"] = fit_score(make_kernel_head(Z_train.shape[1], args.kernel_alpha, args.n_components),
                                  Z_train, y_fit, Z_test, y_test, "(b) Nystroem RBF head", Z_test_flipped)
    print(f"test accuracy (averaged with the mirror image): linear {results['linear']['flip_averaged']:.4f}, "
          f"Nystroem RBF {results['kernel']['flip_averaged']:.4f}; total {time.perf_counter() - start_all:.1f} s, "
          f"peak memory {peak_memory_gb():.1f} GB")
    if args.json is not None:
        write_json(args.json, args, results=results, argv=argv)
    return results


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (it needs the CIFAR-10
# archive and a quarter of an hour of two cores).  Its full run on a 2-core
# machine shared with another job (2026-12-05, from commit ``35deb21`` plus
# this example), ``/usr/bin/time -v python examples/long_cifar10_scattering.py``,
# printed:
#
# * featurising 100,000 training images (with flips) 203.1 s, the 10,000 test
#   images and their mirror images 17.8 s + 18.4 s;
# * (a) linear head (alpha 5000): test accuracy **0.7344**, **0.7374** averaged
#   with the mirror image (fit 202.1 s);
# * (b) Nystroem RBF head (6,000 landmarks, alpha 0.05): test accuracy
#   **0.7579**, **0.7629** averaged with the mirror image (fit 447.7 s,
#   predict 35.5 s);
# * 927.5 s in all (15 min 29 s wall), 14.6 GB peak resident memory.
#
# The penalties and the kernel width were chosen on held-out training images
# at a smaller scale (fit on 10,000 training images and their flips, scored
# on 5,000 others); ``--select`` repeats that choice at full scale and was
# not run for this record.  Both heads fall short of the published 82.3 %,
# which used 64 x 64 inputs, roto-translation wavelets and PLS feature
# selection before the SVM.
