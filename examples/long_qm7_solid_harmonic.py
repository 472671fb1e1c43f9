"""
Solid harmonic scattering + Ridge / quadratic kernel ridge on QM7
=================================================================

Eickenberg et al. (2017, 2018) regress molecular atomization energies on
solid harmonic scattering invariants of molecular densities.  This example
follows kymatio's QM7 example (J=2, L=3, sigma=2 voxels, grid spacing from
the smallest interatomic distance) with two additions of the authors' own
code and of our ablation: a fourth density channel, ``"bonding"`` (the usual
number of covalent bonds of each atom, beside the nuclear, valence and core
charges), and seven integral powers q in {0.5, 1, 1.5, 2, 2.5, 3, 4} instead
of four (700 invariants instead of 300).  ``--channels nuclear,valence,core
--integral-powers 0.5,1,2,3`` gives kymatio's settings.  It reports 5-fold
cross-validated mean absolute errors (kcal/mol) of two scikit-learn
pipelines:

* ``StandardScaler() -> RidgeCV(alphas=10**-9..10**-1)``: the linear model of
  kymatio's example (alpha chosen by inner leave-one-out per fold);
* the quadratic ("bilinear") regression of the papers:
  ``StandardScaler() -> KernelRidge(kernel="poly", degree=2)`` on the
  standardised target, alpha and gamma chosen by a shuffled inner 5-fold grid
  search; here the mean of two such models, one on the invariants and one on
  their logarithms (the invariants span several decades, and the two
  models' errors are only partly shared: averaging them cut the MAE by about
  10 % in our ablation).

The transformer learns no targets (``fit`` only chooses the grid from the
molecules), so the features are computed once for all molecules and the
folds are cut afterwards; ``make_pipeline(SolidHarmonicScattering(), ...)``
works as well but featurises every fold again.

It reads QM7 with :func:`skscatter.datasets.fetch_qm7` (positions in
Ångström, energies in kcal/mol) from ``$SKSCATTER_DATA``, else
``../shared/data`` beside the repository if present (else
``~/skscatter_data``, downloading ``qm7.mat``), or from the folder given
with ``--data-home``.  ``--n-molecules`` runs on a random subset (the
featurisation costs about 0.4 s per molecule on 2 cores at the defaults,
0.16 s at kymatio's settings), ``--features`` caches the features in an
``.npz`` file, ``--learning-curve`` adds the MAE on the first fold's test
molecules for growing training subsets::

    python examples/long_qm7_solid_harmonic.py --n-molecules 1000 --features /tmp/qm7_1000.npz

``--json PATH`` also writes the results (and the learning curve) to a JSON
file (``docs/recorded/long_qm7_solid_harmonic.json`` draws the figure below).
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.linalg import LinAlgWarning
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import VotingRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skscatter import SolidHarmonicScattering
from skscatter.datasets import fetch_qm7

from _recorded import write_recorded


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def linear_model():
    """kymatio's example model: standardise, ridge with alpha by inner CV."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=10.0 ** np.arange(-9, 0)))


def log_magnitude(X):
    """``log |S|``; a molecule without core electrons (H2) has zero core invariants."""
    return np.log(np.abs(X) + 1e-12)


def polynomial_kernel_ridge():
    """Degree-2 polynomial kernel ridge, alpha and gamma by inner 5-fold CV.

    ``KernelRidge`` fits no intercept and QM7 energies average about
    -1,500 kcal/mol, so the target is standardised around it
    (``TransformedTargetRegressor``); without that the regularised kernel
    spends itself on the offset.  The kernel ``(1 + gamma x.y)^2`` weighs
    the linear terms by ``2 gamma`` and the quadratic ones by ``gamma^2``:
    on standardised invariants the best fits leave the linear terms almost
    free (``alpha / 2 gamma`` about 1e-6) and shrink the quadratic ones
    (``alpha / gamma^2`` about 0.1), hence the small ``gamma`` and
    ``alpha`` of the grid.
    """
    search = {"alpha": [1e-11, 1e-10, 1e-9, 1e-8], "gamma": [3e-5, 1e-4, 3e-4]}
    # Shuffled inner folds: QM7 is ordered by molecule size, and so are the
    # training indices of an outer fold, so unshuffled inner folds would
    # each hold out a size range and pick hyperparameters for extrapolation.
    inner = KFold(5, shuffle=True, random_state=0)
    krr = GridSearchCV(KernelRidge(kernel="poly", degree=2, coef0=1.0), search, cv=inner, scoring="neg_mean_absolute_error")
    return TransformedTargetRegressor(make_pipeline(StandardScaler(), krr), transformer=StandardScaler())


def quadratic_model():
    """The mean of two polynomial kernel ridges, on ``S`` and on ``log |S|``."""
    on_log = make_pipeline(FunctionTransformer(log_magnitude), polynomial_kernel_ridge())
    return VotingRegressor([("invariants", polynomial_kernel_ridge()), ("log_invariants", on_log)])


def featurise(structures, channels, integral_powers, n_jobs):
    """Fit the grid on all molecules (no targets involved) and transform them."""
    est = SolidHarmonicScattering(
        J=2, L=3, sigma=2.0, integral_powers=integral_powers, channels=channels, n_jobs=n_jobs, verbose=20
    )
    start = time.perf_counter()
    features = est.fit(structures).transform(structures)
    seconds = time.perf_counter() - start
    print(f"free-space grids, voxel {est.spacing_:.4f} Å, {features.shape[1]} features")
    print(f"featurised {len(structures)} molecules in {seconds:.1f} s ({seconds / len(structures):.3f} s per molecule)")
    return features


def write_json(path, args, results, curves, argv=None):
    """Write the run to ``path`` (``--json``): scalar ``results`` and ``curves`` {model: [(n_train, MAE), ...]}."""
    return write_recorded(
        path, "long_qm7_solid_harmonic", argv=argv,
        settings=dict(n_molecules=args.n_molecules, seed=args.seed, channels=args.channels,
                      integral_powers=args.integral_powers, J=2, L=3, sigma=2.0),
        results=results,
        learning_curves={
            "x": "training molecules", "metric": "held-out MAE on fold 0's test molecules", "unit": "kcal/mol",
            "curves": {model: {"n_train": [n for n, _ in points], "value": [m for _, m in points]}
                       for model, points in curves.items()},
        } if curves else None,
    )


def main(argv=None):
    """Featurise QM7 (or a subset), print cross-validated MAEs and timings."""
    parser = argparse.ArgumentParser(description="Solid harmonic scattering on QM7")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--n-molecules", type=int, default=None, help="random subset size (default: all 7,165)")
    parser.add_argument("--features", type=Path, default=None, help="cache file for the features (.npz)")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--channels", default="nuclear,valence,core,bonding", help="comma-separated density channels (kymatio: nuclear,valence,core)"
    )
    parser.add_argument(
        "--integral-powers", default="0.5,1,1.5,2,2.5,3,4", help="comma-separated exponents q (kymatio: 0.5,1,2,3)"
    )
    parser.add_argument("--learning-curve", action="store_true")
    parser.add_argument("--skip-cv", action="store_true", help="only the learning curve")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    qm7 = fetch_qm7(args.data_home)
    rng = np.random.default_rng(args.seed)
    index = np.arange(len(qm7.target))
    if args.n_molecules is not None:
        index = np.sort(rng.choice(index, size=args.n_molecules, replace=False))
    structures = [qm7.data[i] for i in index]
    y = qm7.target[index].astype(np.float64)

    channels = tuple(args.channels.split(","))
    powers = tuple(float(q) for q in args.integral_powers.split(","))
    settings = np.array([args.channels, ",".join(str(q) for q in powers)])
    results = {"n_molecules": len(y)}
    if args.features is not None and args.features.exists():
        cached = np.load(args.features)
        if not (np.array_equal(cached["index"], index) and np.array_equal(cached["settings"], settings)):
            raise SystemExit(f"{args.features} holds features of other molecules or settings: delete it or pick another file")
        X = cached["X"]
    else:
        start = time.perf_counter()
        X = featurise(structures, channels, powers, args.n_jobs)
        results["featurise_seconds"] = round(time.perf_counter() - start, 1)
        if args.features is not None:
            np.savez(args.features, X=X, index=index, settings=settings)
    results["n_features"] = X.shape[1]

    # The best kernel ridges nearly interpolate (alpha 1e-10 against kernel
    # entries of order 1): scipy warns of ill-conditioning on every fit, but
    # the Cholesky solve succeeds and the held-out errors are what count.
    warnings.filterwarnings("ignore", category=LinAlgWarning)
    folds = KFold(5, shuffle=True, random_state=args.seed)
    names = {"linear": "StandardScaler + RidgeCV", "quadratic": "poly-2 KernelRidge on S and log|S|, mean"}
    models = [("linear", linear_model()), ("quadratic", quadratic_model())]
    for key, model in [] if args.skip_cv else models:
        start = time.perf_counter()
        pred = cross_val_predict(model, X, y, cv=folds)
        err = pred - y
        mae, rmse, seconds = np.abs(err).mean(), np.sqrt((err**2).mean()), time.perf_counter() - start
        print(f"{names[key]}: MAE {mae:.2f} kcal/mol, RMSE {rmse:.2f} ({len(y)} molecules, 5-fold CV, {seconds:.1f} s)")
        results.update({f"{key}_cv_mae_kcal_mol": round(float(mae), 2),
                        f"{key}_cv_rmse_kcal_mol": round(float(rmse), 2), f"{key}_cv_seconds": round(seconds, 1)})
    curves = {}
    if args.learning_curve:
        train, test = next(folds.split(X))
        # KFold returns sorted indices and QM7 is ordered by size: shuffle
        # before taking prefixes, or small subsets hold only small molecules.
        train = np.random.default_rng(args.seed).permutation(train)
        for n in [500, 1000, 2000, 4000, len(train)]:
            if n > len(train):
                continue
            row = []
            for model in (linear_model(), quadratic_model()):
                model.fit(X[train[:n]], y[train[:n]])
                row.append(np.abs(model.predict(X[test]) - y[test]).mean())
            print(f"learning curve: {n} training molecules -> MAE linear {row[0]:.2f}, quadratic {row[1]:.2f} kcal/mol")
            for key, mae in zip(names, row):
                curves.setdefault(names[key], []).append((n, round(float(mae), 2)))
    if args.json is not None:
        write_json(args.json, args, results, curves, argv=argv)


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (QM7 and about an hour
# of two cores to featurise).  Its last full run,
# ``python -u examples/long_qm7_solid_harmonic.py --features F.npz
# --learning-curve`` on a 2-core machine on 2026-11-24 (commit ``e0a91fe``;
# closing note of the QM7 issue on the tracker, ``issues stops``; the
# features were computed by the example's estimator in 3,480 s while other
# jobs shared the cores), printed:
#
# * 5-fold CV, ``StandardScaler -> RidgeCV``: MAE **2.14 kcal/mol**
#   (RMSE 3.07);
# * 5-fold CV, mean of the two poly-2 ``KernelRidge``: MAE **1.42
#   kcal/mol** (RMSE 3.21, 697 s);
# * learning curve on fold 0's 1,433 test molecules, 500 / 1,000 / 2,000 /
#   4,000 / 5,732 training molecules: linear 3.64 / 2.86 / 2.53 / 2.11 /
#   2.21, quadratic 5.06 / 3.14 / 2.11 / 1.59 / 1.41 kcal/mol.
#
# With kymatio's settings (``--channels nuclear,valence,core
# --integral-powers 0.5,1,2,3``), featurising all 7,165 molecules took
# 1,715 s and the RidgeCV MAE was 2.75-2.76 kcal/mol (kymatio's example:
# 2.75); see the README's table.
#
# .. plot::
#
#    plot_recorded("long_qm7_solid_harmonic", "learning_curves")
#
# The figure is drawn from ``docs/recorded/long_qm7_solid_harmonic.json``
# (the learning curve above; ``--json`` on a new run replaces the file).
