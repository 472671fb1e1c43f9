"""
Scattering + Gaussian SVM on the full MNIST
===========================================

Bruna and Mallat (2013) classified MNIST from second-order scattering
coefficients with a Gaussian-kernel SVM.  This example does the same with a
scikit-learn ``Pipeline``: deskewing, scattering (``J=3``, ``L=8``, log
non-linearity), standardisation, PCA to 200 dimensions and an RBF ``SVC``,
trained on the 60,000 training images and scored on the 10,000 test images.
``J=3`` (an averaging window of 8 pixels) is the scale Bruna and Mallat used
on MNIST.

Deskewing is the classic moment-based preprocessing of MNIST: each digit is
sheared horizontally so that its principal axis stands upright and its centre
of mass sits in the middle of the frame.  Scattering is stable to small
deformations but not invariant to a shear of this size, so removing the slant
of the writer lets the SVM spend its support vectors on shape.

Every choice was made on the training set only: fit on the first 50,000
training images, score on the last 10,000 (``--select`` reruns that
comparison; see the recorded output below).  The test set is scored once,
by the final pipeline.

It reads MNIST with :func:`skscatter.datasets.fetch_mnist` from
``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present
(else ``~/skscatter_data``, downloading the official files); pass another
folder with ``--data-home``::

    python examples/long_mnist_scattering.py --data-home /path/to/data
    python examples/long_mnist_scattering.py --select   # held-out selection first

On a 2-core machine the default run takes about a minute and a half, most of
it in the scattering transform and the SVM; ``--select`` adds about six.
``--json PATH`` also writes the results (with ``--select``, the held-out
accuracy of each setting) to a JSON file
(``docs/recorded/long_mnist_scattering.json`` draws the figure below).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import affine_transform
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from skscatter import ScatteringTransformer
from skscatter.datasets import fetch_mnist

from _recorded import write_recorded

SIDE = 28


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def deskew(X):
    """Shear each flattened 28x28 image upright about its centre of mass.

    The shear ``cov(row, col) / var(row)`` is the slope of the digit's
    principal axis; the affine map reads each output pixel from the sheared
    position, centred so that the centre of mass lands in the middle.  A blank
    image is returned unchanged.
    """
    images = np.asarray(X, dtype=np.float32).reshape(-1, SIDE, SIDE)
    rows, cols = np.mgrid[:SIDE, :SIDE].astype(np.float64)
    centre = np.array([(SIDE - 1) / 2, (SIDE - 1) / 2])
    out = np.empty_like(images)
    for i, image in enumerate(images):
        mass = float(image.sum())
        if mass <= 0:
            out[i] = image
            continue
        mean_r = float((rows * image).sum()) / mass
        mean_c = float((cols * image).sum()) / mass
        var_r = float(((rows - mean_r) ** 2 * image).sum()) / mass
        cov = float(((rows - mean_r) * (cols - mean_c) * image).sum()) / mass
        shear = cov / var_r if var_r > 0 else 0.0
        matrix = np.array([[1.0, 0.0], [shear, 1.0]])
        offset = np.array([mean_r, mean_c]) - matrix @ centre
        out[i] = affine_transform(image, matrix, offset=offset, order=1)
    return out.reshape(len(out), SIDE * SIDE)


def make_pipeline(n_jobs=-1, *, deskewed=True, log_eps=0.1, C=10.0):
    """The documented pipeline: deskew, scattering, log, standardise, PCA, RBF SVM.

    The defaults are the held-out choice (see :func:`select`).
    """
    return Pipeline(
        [
            ("deskew", FunctionTransformer(deskew if deskewed else None)),
            # Pixels in [0, 1]; log(|S| + log_eps) compresses the heavy-tailed
            # coefficients.
            ("scattering", ScatteringTransformer(J=3, L=8, shape=(SIDE, SIDE), log=True, log_eps=log_eps,
                                                 n_jobs=n_jobs)),
            ("scaler", StandardScaler()),
            ("pca", PCA(n_components=200, random_state=0)),
            ("svm", SVC(kernel="rbf", C=C, gamma="scale")),
        ]
    )


def select(X_train, y_train, n_jobs=-1, n_fit=50000):
    """Compare settings on the training set only: fit on the first ``n_fit`` images, score the rest.

    The scattering coefficients are computed once per deskew setting without
    the log, which the transformer applies elementwise as ``log(|S| + eps)``,
    so each ``log_eps`` reuses them.  Prints one line per setting and returns
    the list of ``(held-out accuracy, setting)``.
    """
    fit, held = slice(0, n_fit), slice(n_fit, None)
    results = []
    for deskewed in (False, True):
        images = deskew(X_train) if deskewed else X_train
        S = ScatteringTransformer(J=3, L=8, shape=(SIDE, SIDE), n_jobs=n_jobs).fit_transform(images)
        eps_grid = (1e-3, 1e-2, 0.1, 1.0)
        # C and gamma are varied around one setting only (deskewed, log_eps=0.1,
        # the best of an earlier search): the SVM's optimum was flat there.
        for log_eps in eps_grid:
            L = np.log(np.abs(S) + log_eps)
            scaler = StandardScaler().fit(L[fit])
            pca = PCA(n_components=200, random_state=0).fit(scaler.transform(L[fit]))
            Z_fit, Z_held = (pca.transform(scaler.transform(L[part])) for part in (fit, held))
            gamma_scale = 1.0 / (Z_fit.shape[1] * Z_fit.var())
            svm_grid = [(10.0, 1.0)]
            if deskewed and log_eps == 0.1:
                svm_grid += [(5.0, 1.0), (20.0, 1.0), (10.0, 0.7), (10.0, 1.4)]
            for C, gamma_factor in svm_grid:
                svm = SVC(kernel="rbf", C=C, gamma=gamma_factor * gamma_scale).fit(Z_fit, y_train[fit])
                accuracy = float(np.mean(svm.predict(Z_held) == y_train[held]))
                setting = dict(deskewed=deskewed, log_eps=log_eps, C=C, gamma=f"{gamma_factor:g} x scale")
                results.append((accuracy, setting))
                print(f"  held-out {accuracy:.4f}  {setting}", flush=True)
    return results


def setting_label(setting):
    """One line per held-out setting, as in the recorded table."""
    return (f"{'deskewed' if setting['deskewed'] else 'not deskewed'}, log_eps={setting['log_eps']:g}, "
            f"C={setting['C']:g}, gamma={setting['gamma']}")


def write_json(path, args, results, selection=None, n_held=10000, argv=None):
    """Write the run to ``path`` (``--json``): scalar ``results`` and the ``(accuracy, setting)`` list of ``select``."""
    spec = None
    if selection:
        # The defaults of make_pipeline are the held-out choice.
        chosen = setting_label(dict(deskewed=True, log_eps=0.1, C=10.0, gamma="1 x scale"))
        best = max(accuracy for accuracy, _ in selection)
        spec = {
            "metric": "held-out accuracy", "unit": "fraction",
            "split": f"fit on the first {args.n_train - n_held:,} training images, scored on the last {n_held:,}",
            "rows": [{"label": setting_label(setting), "value": accuracy} for accuracy, setting in selection],
            "chosen": chosen,
            "standard_error": round(float(np.sqrt(best * (1 - best) / n_held)), 5),
        }
    return write_recorded(path, "long_mnist_scattering", argv=argv,
                          settings=dict(n_train=args.n_train, select=args.select), results=results, selection=spec)


def main(argv=None):
    """Train on the MNIST training set, print test accuracy and timings."""
    parser = argparse.ArgumentParser(description="Scattering + SVM on MNIST")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--n-train", type=int, default=60000, help="training images used (default all)")
    parser.add_argument("--n-jobs", type=int, default=-1, help="threads for the scattering transform")
    parser.add_argument("--select", action="store_true",
                        help="first compare settings on a held-out part of the training set (the last 10,000)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if args.select and args.n_train <= 10000:
        parser.error(f"--select holds out the last 10000 training images; --n-train={args.n_train} leaves none "
                     "to fit on: pass --n-train above 10000")

    train, test = (fetch_mnist(args.data_home, subset=subset) for subset in ("train", "test"))
    X_train = train.data[: args.n_train].reshape(-1, SIDE * SIDE).astype(np.float32) / 255.0
    y_train = train.target[: args.n_train]
    X_test = test.data.reshape(-1, SIDE * SIDE).astype(np.float32) / 255.0
    y_test = test.target
    print(f"MNIST: {len(X_train)} train / {len(X_test)} test images of 28x28")

    selection = None
    if args.select:
        start = time.perf_counter()
        print(f"held-out selection: fit on the first {len(X_train) - 10000}, score the last 10000 training images")
        selection = select(X_train, y_train, args.n_jobs, n_fit=len(X_train) - 10000)
        print(f"selection: {time.perf_counter() - start:.1f} s")

    pipe = make_pipeline(args.n_jobs)
    start, cpu = time.perf_counter(), time.process_time()
    pipe.fit(X_train, y_train)
    fit_time, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    accuracy = pipe.score(X_test, y_test)
    score_time, score_cpu = time.perf_counter() - start, time.process_time() - cpu

    scattering = pipe.named_steps["scattering"]
    print(f"scattering: {scattering.n_paths_} paths x {scattering.output_shape_} = "
          f"{len(scattering.get_feature_names_out())} features per image")
    print(f"fit: {fit_time:.1f} s ({fit_cpu:.1f} s CPU), predict on test: {score_time:.1f} s ({score_cpu:.1f} s CPU), "
          f"total {fit_time + score_time:.1f} s")
    print(f"test accuracy: {accuracy:.4f} (error {100 * (1 - accuracy):.2f} %)")
    if args.json is not None:
        results = {"test_accuracy": round(float(accuracy), 4), "fit_seconds": round(fit_time, 1),
                   "predict_seconds": round(score_time, 1)}
        write_json(args.json, args, results, selection, argv=argv)
    return accuracy


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (it needs the MNIST
# archive and minutes of two cores).  Its last full runs on a 2-core machine
# shared with other jobs (2026-12-05, from commit ``68d3ded`` plus this
# example; ``uptime`` load 2.1-2.6 during the runs), printed:
#
# ``python examples/long_mnist_scattering.py`` (the default run):
#
# * test accuracy **0.9946** (error 0.54 %);
# * fit 67.6 s, predict on test 14.0 s, 81.7 s in all; 1 min 24 s wall with
#   data loading, 84 s CPU, 2.0 GB peak resident memory (``/usr/bin/time -v``).
#
# ``python examples/long_mnist_scattering.py --select`` (held-out selection,
# then the same default run): 7 min 28 s wall, 496 s CPU, 2.7 GB peak.  Fit on
# the first 50,000 training images, scored on the last 10,000 (one image is
# 0.01 %; the binomial standard error is about 0.07 %):
#
# =========  ========  =====  =========  ========
# deskewed   log_eps   C      gamma      held-out
# =========  ========  =====  =========  ========
# no         1e-3      10     scale      0.9947
# no         1e-2      10     scale      0.9946
# no         0.1       10     scale      0.9942
# no         1         10     scale      0.9943
# yes        1e-3      10     scale      0.9954
# yes        1e-2      10     scale      0.9955
# yes        0.1       10     scale      0.9961
# yes        0.1       5      scale      0.9959
# yes        0.1       20     scale      0.9960
# yes        0.1       10     0.7 scale  0.9957
# yes        0.1       10     1.4 scale  0.9959
# yes        1         10     scale      0.9961
# =========  ========  =====  =========  ========
#
# Deskewing is the one change the split supports beyond its noise (+0.07 to
# +0.19 %); ``log_eps`` 0.1 and 1 tie, and C and gamma are flat around the
# defaults.  The earlier pipeline (no deskewing, ``log_eps=1e-3``) scored
# 0.9947 on this split and 0.9936 on the test set.
#
# Compared on the same split and dropped (an ad-hoc search, same protocol):
# ``J=2`` (7x7 maps, 3,969 features) against ``J=3``, 0.9910 against 0.9910
# to 0.9916 with 20,000 training images; PCA 100 / 400 / none against 200,
# 0.9905 / 0.9909 / 0.9910 against 0.9910 (20,000 images, none is 10x slower);
# virtual support vectors (retraining on the support vectors and their four
# 1-pixel shifts, Decoste and Schölkopf 2002) 0.9950 against 0.9946 without
# deskewing and 0.9957 against 0.9955 with it (50,000 images, ``log_eps=1e-2``),
# within the noise for about a minute more.  Bruna and Mallat (2013) report
# 99.57 % with a Gaussian SVM.
#
# .. plot::
#
#    plot_recorded("long_mnist_scattering", "selection")
#
# The figure is drawn from ``docs/recorded/long_mnist_scattering.json`` (the
# held-out table above; ``--select --json`` on a new run replaces the file).
