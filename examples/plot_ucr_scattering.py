"""
1D scattering against MiniRocket on UCR/UEA time series
=======================================================

Fixed 1D scattering transforms followed by standardised ridge classifiers
(the five configurations that cross-validate best on the training split,
their decisions averaged), side by side with MiniRocket (Dempster et al.
2021) followed by one such classifier, on the train/test splits of the
UCR and UEA archives that ship inside `aeon <https://www.aeon-toolkit.org>`_:
six univariate sets and two multivariate ones.  Both methods see the same
arrays; neither is tuned on the test split.

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
#
# The series are read as float32: MiniRocket casts its input to float32
# itself, and the scattering then computes in float32 too (1.3 to 1.8
# times faster than in float64), so both methods work at the same
# precision.
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
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
    return X_train.astype(np.float32), y_train, X_test.astype(np.float32), y_test


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
# series).  Five layouts per data set:
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
# Each layout comes twice: as is, and with its second order *renormalised*
# by its first-order parent, :math:`S_2 x(t, \lambda_1, \lambda_2) /
# S_1 x(t, \lambda_1)` (Andén & Mallat 2014), which after the log
# is a difference of columns.  The ratio measures the modulation of a band
# apart from the band's energy, which the first order already carries.
#
# The ten candidates come twice: on the series as they are, and on
# *rectified* channels (``RectifiedChannels`` below: each channel, its
# parts above four levels learnt from the training values, and its rises
# and falls), which give back the sign that the modulus throws away.
#
# Each candidate (twenty; ``UCR_POOL=base`` keeps the first ten) is scored
# by 5-fold cross-validation of the scaler + ridge step on the training
# split only.  The scattering transform learns nothing from the data and
# works one series at a time, so computing the features once and
# cross-validating the classifier on them is the same as a
# ``GridSearchCV`` over the whole pipeline, only cheaper.
#
# With a few dozen training series the best score is noisy: the single
# best candidate is often one that fits the folds by chance.  So the five
# best (``UCR_N_BEST``; 1 gives the single best, as in the first versions)
# each get their own scaler + ridge, and their decision values are
# averaged (``averaged_decision``): layouts that see the series at
# different scales make different errors, and the average keeps what they
# agree on.
N_JOBS = 1  # both methods on one thread, for comparable times
POOL = os.environ.get("UCR_POOL", "rectified")  # "base": the ten candidates of the first version
N_BEST = int(os.environ.get("UCR_N_BEST", "5"))  # 1: the best candidate alone, as in the first versions


def ridge():
    # As in the MiniRocket paper: standardise, then ridge with a
    # cross-validated (leave-one-out) regularisation.
    return make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))


class RectifiedChannels(TransformerMixin, BaseEstimator):
    """Each channel, its parts above a few levels, and its rises and falls, as extra channels.

    The modulus in the scattering transform is blind to sign: a step up and
    a step down, or a bump above and a dip below the typical level, give the
    same first-order coefficients.  Rectifying before scattering puts the
    sign back: channel ``c`` is followed by ``max(x_c - q, 0)`` for the
    levels ``q`` at the given quantiles of that channel's training values
    (learnt in ``fit``), then by ``max(dx_c, 0)`` and ``max(-dx_c, 0)`` with
    ``dx_c`` the first difference.  The scattering of each extra channel
    measures how long and in which rhythm the series stays above a level,
    or climbs, or falls, much as MiniRocket's proportion of positive values
    counts how often a filtered series exceeds its thresholds.
    """

    def __init__(self, quantiles=(0.2, 0.4, 0.6, 0.8)):
        self.quantiles = quantiles

    def fit(self, X, y=None):
        X = _floating(X)
        if X.ndim != 3:
            raise ValueError(f"X must be (n_series, n_channels, length); got shape {X.shape}.")
        values = np.moveaxis(X, 1, 0).reshape(X.shape[1], -1)
        self.levels_ = np.quantile(values, self.quantiles, axis=1).T  # (channels, levels)
        return self

    def transform(self, X):
        X = _floating(X)
        if X.ndim != 3 or X.shape[1] != len(self.levels_):
            raise ValueError(
                f"X must be (n_series, {len(self.levels_)}, length), the channels seen in fit; got shape {X.shape}."
            )
        levels = self.levels_.astype(X.dtype, copy=False)  # the output keeps the input's precision
        above = np.maximum(X[:, :, None, :] - levels[None, :, :, None], 0.0)
        step = np.diff(X, axis=-1, prepend=X[..., :1])
        parts = [X[:, :, None, :], above, np.maximum(step, 0.0)[:, :, None, :], np.maximum(-step, 0.0)[:, :, None, :]]
        # (n, channels, 1 + levels + 2, length) -> channels kept together, each followed by its parts.
        return np.concatenate(parts, axis=2).reshape(len(X), -1, X.shape[-1])


def _floating(X):
    """``X`` as an array, float32 kept, anything else as float64."""
    X = np.asarray(X)
    return X if X.dtype == np.float32 else X.astype(np.float64)


def candidates(length, pool=None):
    """Label -> (transformer parameters side by side, renormalise S2/S1?, rectify the input?).

    ``pool="base"`` is the ten candidates of the first version of this
    example; ``"rectified"`` (the default) adds the same ten on rectified
    channels (``RectifiedChannels``).
    """
    pool = POOL if pool is None else pool
    top = int(np.log2(length))
    coarse = dict(J=top, T=2 ** max(top - 2, 0), Q=(4, 1), output="maps")
    fine = dict(J=2, T=4, Q=(2, 1), output="maps")
    layouts = {
        "mean Q=8": [dict(J=top, Q=(8, 1), output="mean")],
        "mean Q=4": [dict(J=top, Q=(4, 1), output="mean")],
        "coarse maps": [coarse],
        "fine maps": [fine],
        "fine+coarse": [fine, coarse],
    }
    out = {}
    for rectify in (False, True) if pool == "rectified" else (False,):
        for label, params in layouts.items():
            for renormalise in (False, True):
                name = ("rect. " if rectify else "") + label + (" S2/S1" if renormalise else "")
                out[name] = (params, renormalise, rectify)
    return out


def log_features(S, orders, parents):
    """Log of orders 1 and 2; second-order columns minus their parent's log if ``parents`` is given."""
    S = S.copy()
    S[:, orders > 0] = np.log(S[:, orders > 0] + 1e-6)
    if parents is not None:
        second = parents >= 0
        S[:, second] -= S[:, parents[second]]
    return S


def scattering_features(params_list, renormalise, rectify, X_fit):
    """Fitted (rectification +) scattering + log steps for series shaped like ``X_fit``, side by side."""
    if not rectify:
        return make_union(*[scattering_log(params, renormalise, X_fit) for params in params_list])
    rectified = RectifiedChannels().fit(X_fit)
    X_fit = rectified.transform(X_fit)
    return make_pipeline(rectified, make_union(*[scattering_log(params, renormalise, X_fit) for params in params_list]))


def scattering_log(params, renormalise, X_fit):
    scattering = Scattering1DTransformer(n_jobs=N_JOBS, **params).fit(X_fit)
    return make_pipeline(scattering, FunctionTransformer(log_features, kw_args=log_columns(scattering, renormalise)))


def log_columns(scattering, renormalise):
    """``log_features`` arguments for a fitted scattering: each column's order, and its parent's column."""
    # Columns are (channel, path, time) in C order: the order and the
    # first-order parent of every column, from ``paths_`` = (order, n1, n2).
    n_paths, n_channels = scattering.n_paths_, scattering.n_channels_
    per_path = 1 if scattering.output == "mean" else scattering.output_length_
    path_order = np.array([order for order, _, _ in scattering.paths_])
    first_order = {n1: k for k, (order, n1, _) in enumerate(scattering.paths_) if order == 1}
    path_parent = np.array([first_order[n1] if order == 2 else -1 for order, n1, _ in scattering.paths_])
    columns = np.arange(n_channels * n_paths * per_path).reshape(n_channels, n_paths, per_path)
    orders = np.broadcast_to(path_order[None, :, None], columns.shape).ravel()
    parents = None
    if renormalise:
        # The parent's column is as many paths away as the parent path is.
        shift = (path_parent - np.arange(n_paths)) * per_path
        parents = np.where(path_parent[None, :, None] >= 0, columns + shift[None, :, None], -1).ravel()
    return {"orders": orders, "parents": parents}


def candidate_features(labels, X_fit, splits):
    """Features of the candidates ``labels`` on each array of ``splits``.

    The same values as ``scattering_features(...).fit(X_fit)`` then
    ``.transform`` on each split, but each distinct scattering transform
    runs once per split: the twenty candidates are eight transforms (four
    layouts, rectified or not), which their S2/S1 variants and
    ``fine+coarse`` share.  Returns ``{label: [features per split]}``.
    """
    options = candidates(X_fit.shape[-1])
    rectifier = RectifiedChannels().fit(X_fit)
    inputs = {False: [X_fit, *splits]}
    if any(options[label][2] for label in labels):
        rectified_fit = rectifier.transform(X_fit)  # reused where a split is X_fit itself
        inputs[True] = [rectified_fit if X is X_fit else rectifier.transform(X) for X in inputs[False]]
    fitted, coefficients = {}, {}
    out = {}
    for label in labels:
        params_list, renormalise, rectify = options[label]
        out[label] = []
        for k in range(len(splits)):
            blocks = []
            for params in params_list:
                key = (rectify, tuple(sorted(params.items())))
                if key not in fitted:
                    fitted[key] = Scattering1DTransformer(n_jobs=N_JOBS, **params).fit(inputs[rectify][0])
                if (key, k) not in coefficients:
                    coefficients[key, k] = fitted[key].transform(inputs[rectify][k + 1])
                blocks.append(log_features(coefficients[key, k], **log_columns(fitted[key], renormalise)))
            out[label].append(np.hstack(blocks))
    return out


def ranked_candidates(scores):
    """Candidate labels, best 5-fold score first.

    Equal fold accuracies in another order can differ in the last bit of
    their mean; rounding makes such ties keep the order the candidates are
    listed in (unrectified before rectified), as the sort is stable.
    """
    return sorted(scores, key=lambda label: -round(scores[label], 9))


def run_scattering(X_train, y_train, X_test, y_test, n_best=None):
    n_best = N_BEST if n_best is None else n_best
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    start = time.perf_counter()
    features = candidate_features(list(candidates(X_train.shape[-1])), X_train, [X_train])
    scores = {label: cross_val_score(ridge(), F, y_train, cv=folds).mean() for label, (F,) in features.items()}
    chosen = ranked_candidates(scores)[:n_best]
    selection = time.perf_counter() - start

    # The chosen candidates' features again, from scratch, for both splits:
    # what a model fitted on the training split costs to apply.
    start = time.perf_counter()
    features = candidate_features(chosen, X_train, [X_train, X_test])
    transform = time.perf_counter() - start
    return dict(
        choice=chosen[0] + (f" +{len(chosen) - 1}" if len(chosen) > 1 else ""),
        cv=scores[chosen[0]],
        selection=selection,
        transform=transform,
        **classify([features[label][0] for label in chosen], y_train, [features[label][1] for label in chosen], y_test),
    )


def run_minirocket(X_train, y_train, X_test, y_test):
    start = time.perf_counter()
    minirocket = MiniRocket(n_jobs=N_JOBS, random_state=0)
    F_train = minirocket.fit_transform(X_train)
    F_test = minirocket.transform(X_test)
    transform = time.perf_counter() - start
    return dict(transform=transform, **classify(F_train, y_train, F_test, y_test))


def averaged_decision(models, F_test):
    """Predictions of ridge classifiers fitted on several feature sets, their decision values averaged.

    Every model regresses the same class indicators (+1 for the class, -1
    for the others), so their decision values share one scale and average
    as they are, each test series on its own.
    """
    decision = np.mean([model.decision_function(F) for model, F in zip(models, F_test)], axis=0)
    classes = models[0].classes_
    if decision.ndim == 1:  # two classes: the sign picks the second one
        return classes[(decision > 0).astype(int)]
    return classes[np.argmax(decision, axis=1)]


def classify(F_train, y_train, F_test, y_test):
    """Test accuracy of a ridge per feature set (arrays, or lists of them to average)."""
    if not isinstance(F_train, list):
        F_train, F_test = [F_train], [F_test]
    start = time.perf_counter()
    models = [ridge().fit(F, y_train) for F in F_train]
    accuracy = float(np.mean(averaged_decision(models, F_test) == y_test))
    return dict(
        accuracy=accuracy, fit_predict=time.perf_counter() - start, n_features=sum(F.shape[1] for F in F_train)
    )


# %%
# Running both
# ------------
# Both methods compile numba code on first use (MiniRocket for tens of
# seconds, once per univariate/multivariate variant); a warm-up on a few
# series of each kind keeps that out of the times below.  "transform" is
# the features of the train and test splits (``fit`` included for both);
# "fit+predict" the scaler and ridge; the scattering's candidate selection
# is timed apart.
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
        scattering_features([dict(J=4, Q=(4, 1), output="maps")], True, True, warm).transform(warm)

    for name in DATASETS:
        X_train, y_train, X_test, y_test = load(name)
        results[name] = (
            X_train.shape,
            len(y_test),
            run_scattering(X_train, y_train, X_test, y_test),
            run_minirocket(X_train, y_train, X_test, y_test),
        )

    header = (
        f"{'data set':22s} {'train x ch x len':>16s} {'test':>5s} | {'scattering':>10s} {'(cv)':>6s} {'choice':>17s} "
        f"{'transf.':>7s} {'fit+pr.':>7s} | {'MiniRocket':>10s} {'transf.':>7s} {'fit+pr.':>7s}"
    )
    print(header)
    print("-" * len(header))
    for name, (shape, n_test, s, m) in results.items():
        print(
            f"{name:22s} {'x'.join(map(str, shape)):>16s} {n_test:5d} | {s['accuracy']:10.3f} {s['cv']:6.3f} "
            f"{s['choice']:>17s} "
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
    for offset, index, label in ((-0.2, 2, "scattering + 5 averaged ridges"), (0.2, 3, "MiniRocket + ridge")):
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
# Recorded with ``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# MKL_NUM_THREADS=1 MPLBACKEND=Agg python examples/plot_ucr_scattering.py``
# (45 s wall, 0.7 GB peak;
# aeon 1.6.0, numba 0.63.1, numpy 2.3.5, scikit-learn 1.9.1, one thread per
# method, on a shared 2-core machine, so the times are rough; "choice" is
# the best of the five averaged candidates, "(cv)" its 5-fold score on the
# training split):
#
# .. code-block:: text
#
#    data set               train x ch x len  test | scattering   (cv)            choice transf. fit+pr. | MiniRocket transf. fit+pr.
#    --------------------------------------------------------------------------------------------------------------------------------
#    ItalyPowerDemand                67x1x24  1029 |      0.961  0.985       mean Q=4 +4   0.05s   0.03s |      0.963   0.18s   0.18s
#    GunPoint                       50x1x150   150 |      0.993  1.000 fine+coarse S2/S1 +4   0.24s   0.04s |      0.993   0.12s   0.03s
#    ArrowHead                      36x1x251   175 |      0.806  0.921    fine+coarse +4   0.25s   0.04s |      0.863   0.15s   0.03s
#    OSULeaf                       200x1x427   242 |      0.930  0.885    fine+coarse +4   1.62s   0.25s |      0.959   0.43s   0.09s
#    ACSF1                        100x1x1460   100 |      0.790  0.640 rect. coarse maps S2/S1 +4   4.46s   0.09s |      0.910   0.87s   0.05s
#    PickupGestureWiimoteZ          50x1x361    50 |      0.900  0.840 rect. coarse maps +4   0.79s   0.06s |      0.860   0.17s   0.03s
#    BasicMotions                   40x6x100    40 |      1.000  1.000       mean Q=8 +4   0.13s   0.03s |      1.000   0.14s   0.02s
#    JapaneseVowels                270x12x26   370 |      0.981  0.963 rect. fine maps +4   1.13s   0.38s |      0.986   0.20s   0.14s
#    mean accuracy: scattering 0.920, MiniRocket 0.942
#    total transform 8.68s vs 2.25s, fit+predict 0.94s vs 0.56s; scattering candidate selection 26.55s
#
# With the single best candidate (``UCR_N_BEST=1``, the same command just
# after: 34 s wall) the mean is 0.877, as in the previous versions of this
# example (the same candidates are chosen), with a total transform of
# 2.09 s against MiniRocket's 2.16 s.  Averaging the five best raises it
# to 0.920: ItalyPowerDemand 0.945 to 0.961, GunPoint 0.987 to 0.993,
# ArrowHead 0.749 to 0.806, OSULeaf 0.884 to 0.930, ACSF1 0.720 to 0.790,
# PickupGestureWiimoteZ 0.780 to 0.900, BasicMotions 0.975 to 1.000,
# JapaneseVowels 0.978 to 0.981; no set goes down.  (Read in float64, as
# before, the series gave the same single-candidate results, and 0.918
# with five for 17.4 s of transform instead of 8.7.)
#
# The number five was set before any run.  The training splits alone
# support the averaging: in a nested 5-fold cross-validation on each
# training split (candidates ranked on the inner folds, scored on the
# outer; ``asv_benchmarks/ucr_ensemble_select.py --test``, 2 min) the
# single best candidate scores 0.864 on average over the eight sets, the
# average of the best 3, 4, 5, 6, 8 or 10 scores 0.880, 0.877, 0.882,
# 0.891, 0.887 and 0.884: any of them, within a point of each other.  The
# test means of the same numbers, from the same run, are 0.896, 0.911,
# 0.920, 0.916, 0.915 and 0.917.
#
# The price is time: the five best candidates are up to four distinct
# transforms (the S2/S1 variants and ``fine+coarse`` reuse the
# coefficients of the layouts they share, ``candidate_features``), and on
# ACSF1 two of them average 7 rectified channels of 1,460 samples over
# ``J=10`` scales.  The total transform is 8.7 s against MiniRocket's
# 2.3 s, 3.9 times slower, where the single candidate takes about as long
# as MiniRocket.  Choosing ``UCR_N_BEST`` trades one for the other.  The
# rectified channels are most of that cost (seven channels per series
# instead of one: on ACSF1's training split the coarse maps took 0.53 s
# rectified against 0.07 s as is, a separate timing), and they are what
# the average needs: with the ten
# candidates on the series as they are (``UCR_POOL=base``, the same nested
# script with ``--k 1 3 5``, a separate run), averaging the best five
# scores 0.841 nested and 0.867 on the test splits, against 0.849 and
# 0.864 for the single best.
#
# The rectified channels (the second ten candidates) had raised the
# single-candidate mean from 0.864 (``UCR_POOL=base``; 10 s wall,
# selection 5.2 s, float64) to 0.877: JapaneseVowels 0.941 to 0.978,
# PickupGestureWiimoteZ 0.740 to 0.780, ACSF1 0.690 to 0.720, the other
# five sets unchanged (the same candidate chosen).  Widening the pool
# further with the first difference as a second channel, each series
# standardised, ``mean`` and coarse maps side by side, or the square roots
# of orders 1 and 2 beside their logs (72 candidates in all) raised the
# chosen candidates' 5-fold scores but *lowered* the single-candidate test
# mean to 0.846 (separate run): one candidate picked among many, within
# the noise of a few dozen series, picks noise.  Averaging several is the
# other answer to that noise; it does not make a wider pool pay either:
# eight more candidates with maps of eight windows (``T=2**(J_L - 3)``),
# alone and beside the fine maps, lowered the nested score of the
# five-candidate average from 0.883 to 0.873 (float64 runs; test mean
# 0.905; the same script with the pool extended, a separate run), so the
# pool stays at twenty.
#
# Scattering still loses, plainly: 0.920 mean accuracy against
# MiniRocket's 0.942, 2.2 points, short of the aim of 2, and with five
# candidates a slower transform.  It matches or beats MiniRocket on
# GunPoint, PickupGestureWiimoteZ and BasicMotions, comes within 0.5 point
# on ItalyPowerDemand and JapaneseVowels, and loses 3 points on OSULeaf,
# 6 on ArrowHead (outlines of flint heads unrolled into series) and 12 on
# ACSF1 (appliance power draw).
#
# On ArrowHead part of the loss may be the split, not the method:
# MiniRocket's own 5-fold score on its training split (a separate run
# with the first version, its features fitted on the whole training
# split) is 0.92, the same as scattering's best candidate (optimistic,
# being the best of twenty).  On ACSF1 (0.78 against 0.64) and OSULeaf
# (0.96 against 0.89) the training splits show the same loss as the test
# splits: it is real.
#
# On ACSF1 much of the loss comes from the layout of its series: every
# fourth sample sits on a level of its own (in 97 of the 100 training
# series the same one of the four phases has the highest mean).  The
# first layer's modulus and low-pass mix the four phases before any
# averaging.  Split into its four phases as channels (4 x 365; both
# methods given the same arrays; ``asv_benchmarks/ucr_acsf1_phases.py``,
# a separate run of 40 s), the scattering scores 0.850 on the test split
# with its best candidate alone and 0.840 with five averaged, against
# MiniRocket's 0.880 (0.720, 0.790 and 0.910 as distributed); on the
# training split's 5-fold scores, 0.67 against 0.74 (0.64 against 0.78 as
# distributed): the gap halves on both.  The table above keeps the series
# as the archive distributes them: the split was found by looking at this
# set after seeing its loss, and it is part of neither method.
#
# Why it loses there: MiniRocket also pools over the whole series, but it
# pools the *signed* outputs of many short filters against many
# thresholds drawn from the training series, so it keeps how the filtered
# values are distributed.  Scattering keeps the average modulus per band
# (and where it sits, in maps); the phase, and with it the exact shape of
# a step or a bump, is gone, and a linear classifier on the maps
# recovers it only in part.  The rectified channels give back part of
# the sign (levels crossed, rises and falls), and they are what moved
# JapaneseVowels, PickupGestureWiimoteZ and ACSF1.
#
# Speed: with the ten candidates of the first version and one candidate
# chosen, the scattering transform took 1.3 s against MiniRocket's 2.8 s
# over the eight sets (a run on a more loaded machine).  Scattering gives
# a few hundred to a few thousand features per candidate against 9,996,
# which makes each ridge faster.  Choosing among the candidates costs
# more than both transforms together (the cross-validated ridges dominate
# it).  A fixed recipe removes that cost: the best single recipe of the
# first version by mean 5-fold score on the eight training splits (fine
# maps beside maps of eight windows, ``T=2**(J_L - 3)``, second order
# renormalised; a separate run) scores 0.856 on the test splits.
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
#   0.70]): the mean test accuracy rose from 0.838 to 0.855;
# * the second order renormalised by its parent, offered beside each
#   layout and chosen on GunPoint (1.00 against 0.98 [0.960 to 0.987]) and
#   PickupGestureWiimoteZ (0.78 against 0.72 [0.70 to 0.74]): 0.855 to
#   0.864.  Always renormalising is no better (0.851 on the test splits):
#   its cross-validated scores drop on ArrowHead (0.92 to 0.87) and
#   OSULeaf (0.89 to 0.85).
#
# What did not close the gap on ArrowHead, OSULeaf, ACSF1 and
# PickupGestureWiimoteZ (each tried on two to four of them): 16 windows instead of 4 (``T=2**(J_L - 4)``),
# ``Q=(8, 1)`` maps, ``oversampling=1``, ``J=J_L - 3`` maps, the first
# difference of each series as a second channel, a larger
# :math:`\varepsilon` in the log (1e-3 to 0.1 instead of 1e-6), an
# :math:`\varepsilon` scaled to each path's median, or a square root
# instead of the log; ``max_order=1`` with ``Q=16``, ``Q=(8, 2)``, means
# over three ``J`` side by side, maps of two windows, or fine maps with
# maps of 4 and 16 windows together; pooling each path's map (``T`` of 4
# to 16 samples) over time by its standard deviation, maximum and minimum
# or by its quantiles besides the mean; a wider ridge grid (:math:`10^{-3}` to :math:`10^6`);
# and an RBF SVM, logistic regression or 1-nearest-neighbour instead of the
# ridge.  Each moved cross-validated accuracy by a few points either way,
# within the noise of 36 to 200 training series; on ACSF1 none scored
# above 0.67.  Standardising each series (UCR style) changes nothing on
# five univariate sets, which are already standardised, costs about 2
# points on PickupGestureWiimoteZ, and hurts the multivariate sets, whose
# channel amplitudes tell the classes apart (JapaneseVowels 0.94 to 0.77,
# BasicMotions 1.00 to 0.95).
