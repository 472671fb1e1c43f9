"""
1D scattering against MiniRocket on UCR/UEA time series
=======================================================

A fixed 1D scattering transform followed by a standardised ridge classifier,
side by side with MiniRocket (Dempster et al. 2021) followed by the same
classifier, on the train/test splits of the UCR and UEA archives that ship
inside `aeon <https://www.aeon-toolkit.org>`_: six univariate sets and two
multivariate ones.  Both methods see the same arrays; neither is tuned on the
test split.

It needs aeon and matplotlib (``pip install skscatter[timeseries]``; aeon 1.6
pins ``numba<0.64``, so pip resolves numba 0.63 and numpy 2.3 beside
scikit-learn 1.9).  Without aeon it prints a message and stops.
"""

# %%
# The data
# --------
# aeon bundles these sets with its package, so nothing is downloaded.  Two
# of them have series of unequal lengths (JapaneseVowels: 7 to 29 frames of
# 12 cepstral coefficients; PickupGestureWiimoteZ: 29 to 361 samples).  Both
# methods need one length, so every series of such a set is resampled by
# linear interpolation to the longest *training* length: the whole gesture
# or utterance is kept, stretched, instead of being padded with values that
# were never measured.
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skscatter import Scattering1DTransformer

try:
    import aeon
    from aeon.datasets import load_from_ts_file
    from aeon.transformations.collection.convolution_based import MiniRocket
except ImportError:
    aeon = None
    print("This example needs aeon (pip install skscatter[timeseries]); skipping it.")

# Six univariate sets, then two multivariate ones (6 and 12 channels).
DATASETS = [
    "ItalyPowerDemand",
    "GunPoint",
    "ArrowHead",
    "OSULeaf",
    "ACSF1",
    "PickupGestureWiimoteZ",
    "BasicMotions",
    "JapaneseVowels",
]


def resample(series, length):
    """List of ``(channels, length_i)`` arrays -> ``(n, channels, length)``."""
    out = np.empty((len(series), series[0].shape[0], length))
    grid = np.linspace(0.0, 1.0, length)
    for i, x in enumerate(series):
        source = np.linspace(0.0, 1.0, x.shape[-1])
        for c in range(x.shape[0]):
            out[i, c] = np.interp(grid, source, x[c])
    return out


def load(name):
    folder = os.path.join(os.path.dirname(aeon.__file__), "datasets", "data", name)
    X_train, y_train = load_from_ts_file(os.path.join(folder, f"{name}_TRAIN.ts"))
    X_test, y_test = load_from_ts_file(os.path.join(folder, f"{name}_TEST.ts"))
    if isinstance(X_train, list):  # unequal lengths
        length = max(x.shape[-1] for x in X_train)
        X_train, X_test = resample(X_train, length), resample(X_test, length)
    return X_train, y_train, X_test, y_test


# %%
# The scattering features and how they are chosen
# -----------------------------------------------
# ``log`` of the coefficients tames their heavy tails, but the zeroth order
# (the low-passed signal itself) is signed: its log would throw the sign
# away, and with it the shape of the curve that shape-based sets such as
# GunPoint or JapaneseVowels are classified by.  So the transformer returns
# plain coefficients and a small function takes the log of orders 1 and 2
# only (``meta_["order"]`` says which column is which).
#
# The scales follow the series length :math:`L`, with
# :math:`J_L = \lfloor \log_2 L \rfloor` (the largest wavelet spans the
# series).  Five candidates per data set:
#
# * ``mean`` with ``Q=(8, 1)`` or ``Q=(4, 1)``: ``J=J_L``, every path averaged
#   over the whole series (shift invariant, few features);
# * ``coarse`` maps: ``J=J_L``, ``T=2**(J_L - 2)``, ``Q=(4, 1)``: about four
#   time windows per path, which keep *where* in the series the energy is;
# * ``fine`` maps: ``J=2``, ``T=4``, ``Q=(2, 1)``: short wavelets sampled
#   every 4 samples, a smoothed copy of the series with its local
#   variations, for short series whose exact values matter;
# * ``fine+coarse``: both maps side by side (a ``FeatureUnion``).
#
# The candidate is picked by 5-fold cross-validation of the
# scaler + ridge step on the training split only.  The scattering transform
# learns nothing from the data and works one series at a time, so computing
# the features once and cross-validating the classifier on them is the same
# as a ``GridSearchCV`` over the whole pipeline, only cheaper.
N_JOBS = 1  # both methods on one thread, for comparable times


def ridge():
    # As in the MiniRocket paper: standardise, then ridge with a
    # cross-validated (leave-one-out) regularisation.
    return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))


def candidates(length):
    top = int(np.log2(length))
    coarse = dict(J=top, T=2 ** max(top - 2, 0), Q=(4, 1), output="maps")
    fine = dict(J=2, T=4, Q=(2, 1), output="maps")
    return {
        "mean Q=8": [dict(J=top, Q=(8, 1), output="mean")],
        "mean Q=4": [dict(J=top, Q=(4, 1), output="mean")],
        "coarse maps": [coarse],
        "fine maps": [fine],
        "fine+coarse": [fine, coarse],
    }


def log_orders_1_2(S, orders):
    S = S.copy()
    S[:, orders > 0] = np.log(S[:, orders > 0] + 1e-6)
    return S


def scattering_features(params_list, X_fit):
    """Fitted scattering + log steps for series shaped like ``X_fit``, side by side."""
    return make_union(*[scattering_log(params, X_fit) for params in params_list])


def scattering_log(params, X_fit):
    scattering = Scattering1DTransformer(n_jobs=N_JOBS, **params).fit(X_fit)
    per_path = 1 if params["output"] == "mean" else scattering.output_length_
    orders = np.tile(np.repeat(scattering.meta_["order"], per_path), scattering.n_channels_)
    return make_pipeline(scattering, FunctionTransformer(log_orders_1_2, kw_args={"orders": orders}))


def run_scattering(X_train, y_train, X_test, y_test):
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    start = time.perf_counter()
    scores = {}
    for label, params in candidates(X_train.shape[-1]).items():
        F = scattering_features(params, X_train).transform(X_train)
        scores[label] = cross_val_score(ridge(), F, y_train, cv=folds).mean()
    choice = max(scores, key=scores.get)
    selection = time.perf_counter() - start

    start = time.perf_counter()
    features = scattering_features(candidates(X_train.shape[-1])[choice], X_train)
    F_train, F_test = features.transform(X_train), features.transform(X_test)
    transform = time.perf_counter() - start
    return dict(choice=choice, selection=selection, transform=transform, **classify(F_train, y_train, F_test, y_test))


def run_minirocket(X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    minirocket = MiniRocket(n_jobs=N_JOBS, random_state=0)
    F_train = minirocket.fit_transform(X_train)
    F_test = minirocket.transform(X_test)
    transform = time.perf_counter() - start
    return dict(transform=transform, **classify(F_train, y_train, F_test, y_test))


def classify(F_train, y_train, F_test, y_test):
    start = time.perf_counter()
    model = ridge().fit(F_train, y_train)
    accuracy = float(np.mean(model.predict(F_test) == y_test))
    return dict(accuracy=accuracy, fit_predict=time.perf_counter() - start, n_features=F_train.shape[1])


# %%
# Running both
# ------------
# Both methods compile numba code on first use (MiniRocket for tens of
# seconds, once per univariate/multivariate variant); a warm-up on a few
# series of each kind keeps that out of the times below.  "transform" is
# the features of the train and test splits (``fit`` included for both); "fit+predict" the scaler and ridge; the scattering's candidate
# selection is timed apart.
results = {}
if aeon is not None:
    # J = J_L puts the low-pass support beyond the series on most sets, and
    # the transformer warns of border effects.  They are deliberate here:
    # the reflect-padded borders are treated alike in every series, and the
    # classifier is judged on held-out data.
    warnings.filterwarnings("ignore", message=".*border effects.*", category=UserWarning)
    rng = np.random.default_rng(0)
    for channels in (1, 3):
        warm = rng.standard_normal((4, channels, 64))
        MiniRocket(n_jobs=N_JOBS, random_state=0).fit_transform(warm)
        scattering_features([dict(J=4, Q=(4, 1), output="maps")], warm).transform(warm)

    for name in DATASETS:
        X_train, y_train, X_test, y_test = load(name)
        results[name] = (
            X_train.shape,
            len(y_test),
            run_scattering(X_train, y_train, X_test, y_test),
            run_minirocket(X_train, y_train, X_test, y_test),
        )

    header = (
        f"{'data set':22s} {'train x ch x len':>16s} {'test':>5s} | {'scattering':>10s} {'choice':>11s} "
        f"{'transf.':>7s} {'fit+pr.':>7s} | {'MiniRocket':>10s} {'transf.':>7s} {'fit+pr.':>7s}"
    )
    print(header)
    print("-" * len(header))
    for name, (shape, n_test, s, m) in results.items():
        print(
            f"{name:22s} {'x'.join(map(str, shape)):>16s} {n_test:5d} | {s['accuracy']:10.3f} {s['choice']:>11s} "
            f"{s['transform']:6.2f}s {s['fit_predict']:6.2f}s | {m['accuracy']:10.3f} {m['transform']:6.2f}s "
            f"{m['fit_predict']:6.2f}s"
        )
    mean_s = np.mean([s["accuracy"] for _, _, s, _ in results.values()])
    mean_m = np.mean([m["accuracy"] for _, _, _, m in results.values()])
    total = {k: sum(r[2][k] for r in results.values()) for k in ("selection", "transform", "fit_predict")}
    total_m = {k: sum(r[3][k] for r in results.values()) for k in ("transform", "fit_predict")}
    print(f"mean accuracy: scattering {mean_s:.3f}, MiniRocket {mean_m:.3f}")
    print(
        f"total transform {total['transform']:.2f}s vs {total_m['transform']:.2f}s, fit+predict "
        f"{total['fit_predict']:.2f}s vs {total_m['fit_predict']:.2f}s; scattering candidate selection "
        f"{total['selection']:.2f}s"
    )

# %%
# Accuracy and time per data set
# -------------------------------
if results:
    names = list(results)
    x = np.arange(len(names))
    fig, (ax_acc, ax_time) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True)
    for offset, index, label in ((-0.2, 2, "scattering + ridge"), (0.2, 3, "MiniRocket + ridge")):
        ax_acc.bar(x + offset, [results[n][index]["accuracy"] for n in names], width=0.4, label=label)
        ax_time.bar(x + offset, [results[n][index]["transform"] for n in names], width=0.4, label=label)
    ax_acc.set_ylim(0.5, 1.02)
    ax_acc.set_ylabel("test accuracy")
    ax_acc.legend(loc="lower left")
    ax_time.set_yscale("log")
    ax_time.set_ylabel("transform time (s, train + test)")
    ax_time.set_xticks(x, names, rotation=25, ha="right")
    fig.tight_layout()
    plt.show()

# %%
# What the numbers say
# --------------------
# Recorded with ``python examples/plot_ucr_scattering.py`` (37 s wall;
# aeon 1.6.0, numba 0.63.1, numpy 2.3.5, scikit-learn 1.9.1, one thread per
# method, on a shared and busy 2-core machine, so the times are rough):
#
# .. code-block:: text
#
#    data set               train x ch x len  test | scattering      choice transf. fit+pr. | MiniRocket transf. fit+pr.
#    -------------------------------------------------------------------------------------------------------------------
#    ItalyPowerDemand                67x1x24  1029 |      0.945    mean Q=4   0.03s   0.01s |      0.963   0.31s   0.20s
#    GunPoint                       50x1x150   150 |      0.960   fine maps   0.04s   0.02s |      0.993   0.16s   0.22s
#    ArrowHead                      36x1x251   175 |      0.749 fine+coarse   0.09s   0.05s |      0.863   0.28s   0.66s
#    OSULeaf                       200x1x427   242 |      0.884 fine+coarse   0.42s   0.54s |      0.959   0.58s   0.79s
#    ACSF1                        100x1x1460   100 |      0.690 coarse maps   0.35s   0.13s |      0.910   0.92s   0.27s
#    PickupGestureWiimoteZ          50x1x361    50 |      0.700 fine+coarse   0.12s   0.02s |      0.860   0.19s   0.19s
#    BasicMotions                   40x6x100    40 |      0.975    mean Q=8   0.08s   0.01s |      1.000   0.14s   0.23s
#    JapaneseVowels                270x12x26   370 |      0.941   fine maps   0.14s   0.45s |      0.986   0.26s   0.60s
#    mean accuracy: scattering 0.855, MiniRocket 0.942
#    total transform 1.28s vs 2.84s, fit+predict 1.22s vs 3.16s; scattering candidate selection 22.79s
#
# Scattering loses, plainly: 0.855 mean accuracy against MiniRocket's
# 0.942, far from the aim of 2 points.  It comes within 2.5 points on
# ItalyPowerDemand and BasicMotions, where classes differ by their
# frequency content or the series are short, and loses 3 to 5 points on
# GunPoint and JapaneseVowels, 7.5 on OSULeaf, 11 on ArrowHead (outlines of
# leaves and flint heads unrolled into series), 16 on
# PickupGestureWiimoteZ (50 training gestures of 10 classes) and 22 on
# ACSF1 (appliance power draw).  Where classes differ by the detailed shape
# of the curve at a given place, averaging over time removes what tells
# them apart, and maps give it back only in part; MiniRocket's dilated
# convolutions, with biases drawn from the training series, keep it.
#
# The scattering transform is faster: 1.3 s against 2.8 s over the eight
# sets, with a few hundred to a few thousand features against 9,996, which
# also makes the ridge faster.  Choosing among the five candidates costs
# more than both transforms together (23 s here); with a fixed choice that
# cost disappears.
#
# What helped, measured by 5-fold cross-validation on the training splits
# (separate runs, not part of this example; test accuracies of the same
# runs in brackets, for information only):
#
# * keeping the zeroth order linear instead of taking its log
#   (JapaneseVowels, ``mean Q=4``: 0.82 to 0.89);
# * fewer wavelets per octave on short series, ``Q=(4, 1)`` or ``(2, 1)``;
#   ``(12, 2)`` beat ``(8, 1)`` only with coarse maps on ItalyPowerDemand
#   and ArrowHead, by 1.5 and 2.5 points, and tied or lost elsewhere on the
#   five sets first tried;
# * fine maps (``J=2``) for JapaneseVowels (0.89 to 0.94);
# * fine and coarse maps side by side, chosen by cross-validation on
#   ArrowHead (0.92, against 0.86 for ``mean Q=8`` [test 0.73 to 0.75]),
#   OSULeaf (0.89 [0.84 to 0.88]) and PickupGestureWiimoteZ (0.72 [0.62 to
#   0.70]): the mean test accuracy rose from 0.838 to 0.855.
#
# What did not close the gap on ArrowHead, OSULeaf, ACSF1 and
# PickupGestureWiimoteZ: 16 windows instead of 4 (``T=2**(J_L - 4)``),
# ``Q=(8, 1)`` maps, ``oversampling=1``, ``J=J_L - 3`` maps, the first
# difference of each series as a second channel, and a larger
# :math:`\varepsilon` in the log (1e-3 to 0.1 instead of 1e-6): each moved
# cross-validated accuracy by a few points either way, within the noise of
# 36 to 200 training series.
