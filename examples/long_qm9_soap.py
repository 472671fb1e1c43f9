"""
SOAP + ridge regression of QM9 and QM7 atomization energies
===========================================================

Energies are extensive, so a linear model on the *summed* SOAP power spectra
of a molecule's atoms is a sum of atomic energies, :math:`E = \\sum_i
\\varepsilon(p_i)` with :math:`\\varepsilon` linear in the power spectrum.
This example fits

``SOAPDescriptor(r_cut=5, n_max=8, l_max=6, sigma=0.5) -> StandardScaler() -> RidgeCV``

on a random split of QM9 (U0 atomization energy, kcal/mol; by default
20,000 training and 10,000 held-out molecules, seed 0), prints the held-out
MAE, a learning curve and timings, then the 5-fold cross-validated MAE on
QM7 (species H, C, N, O, S).  ``--kernel M`` also fits the sparse
sum-of-local-energies GP on the same split::

    make_union(SpeciesCounts(), SOAPSumKernel(M representatives, zeta=2)) -> Ridge

The atom counts carry the per-element offsets of the atomization energy
(hundreds of kcal/mol per atom), which the normalised kernel, close to 1
for every environment, fits poorly on its own (on 2,000 training molecules
with M = 1,000: MAE 7.3 kcal/mol without the counts, 4.4 with them).

It reads QM9 and QM7 with :func:`skscatter.datasets.fetch_qm9` and
:func:`~skscatter.datasets.fetch_qm7` from ``$SKSCATTER_DATA``, else
``../shared/data`` beside the repository if present (else
``~/skscatter_data``, downloading the official files), or from the folder
given with ``--data-home``::

    python examples/long_qm9_soap.py --n-train 20000 --n-test 10000

``--json PATH`` also writes the results, learning curve included, to a JSON
file (``docs/recorded/long_qm9_soap.json`` draws the figure below).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold, cross_val_predict
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import StandardScaler

from skscatter import SOAPDescriptor
from skscatter.soap import SOAPSumKernel
from skscatter.datasets import fetch_qm7, fetch_qm9
from skscatter.structures import SpeciesCounts

from _recorded import write_recorded

HYPERS = dict(r_cut=5.0, n_max=8, l_max=6, sigma=0.5)
ALPHAS = 10.0 ** np.arange(-4, 4)


def default_data_home():
    """``$SKSCATTER_DATA``, else ``../shared/data`` beside the repository if present, else the fetchers' default."""
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    return os.environ.get("SKSCATTER_DATA", shared if shared.is_dir() else None)


def linear_model(species, n_jobs):
    """The documented pipeline: summed SOAP, standardised, ridge with alpha by efficient LOO."""
    return make_pipeline(SOAPDescriptor(species=species, n_jobs=n_jobs, **HYPERS), StandardScaler(), RidgeCV(alphas=ALPHAS))


def write_json(path, args, results, curve, argv=None):
    """Write the run to ``path`` (``--json``): its scalar ``results`` and the QM9 ``curve`` of (n_train, MAE) pairs."""
    return write_recorded(
        path, "long_qm9_soap", argv=argv,
        settings=dict(n_train=args.n_train, n_test=args.n_test, seed=args.seed, kernel=args.kernel, **HYPERS),
        results=results,
        learning_curves={
            "x": "training molecules", "metric": "QM9 U0 held-out MAE", "unit": "kcal/mol",
            "curves": {"StandardScaler + RidgeCV": {"n_train": [n for n, _ in curve], "value": [m for _, m in curve]}},
        },
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description="SOAP + ridge on QM9 and QM7")
    parser.add_argument("--data-home", default=default_data_home(), help="dataset folder (downloads go there)")
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=10000)
    parser.add_argument("--kernel", type=int, default=0, help="also fit SOAPSumKernel with this many representatives")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-qm7", action="store_true", help="skip the QM7 cross-validation")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    qm9 = fetch_qm9(args.data_home, target="U0_atom")
    perm = np.random.default_rng(args.seed).permutation(len(qm9.target))
    train, test = perm[: args.n_train], perm[args.n_train : args.n_train + args.n_test]
    X_train = [qm9.data[i] for i in train]
    X_test = [qm9.data[i] for i in test]
    y_train, y_test = qm9.target[train], qm9.target[test]
    species = [1, 6, 7, 8, 9]

    # Featurise once; the descriptor learns nothing from the targets.
    soap = SOAPDescriptor(species=species, n_jobs=args.n_jobs, **HYPERS).fit(X_train[:1])
    start = time.perf_counter()
    F_train, F_test = soap.transform(X_train), soap.transform(X_test)
    seconds = time.perf_counter() - start
    n_env = sum(len(z) for z, _ in X_train + X_test)
    print(f"QM9: featurised {len(X_train) + len(X_test)} molecules ({n_env} environments) in {seconds:.1f} s "
          f"({n_env / seconds:.0f} env/s), {F_train.shape[1]} features")
    results = {"n_molecules_featurised": len(X_train) + len(X_test), "n_environments": n_env,
               "featurise_seconds": round(seconds, 1)}
    curve = []
    for n in sorted({n for n in (1000, 2000, 5000, 10000, args.n_train) if n <= args.n_train}):
        start = time.perf_counter()
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=ALPHAS)).fit(F_train[:n], y_train[:n])
        mae = np.abs(model.predict(F_test) - y_test).mean()
        print(f"QM9 U0, {n:6d} training molecules: held-out MAE {mae:.3f} kcal/mol "
              f"(alpha {model[-1].alpha_:g}, fit {time.perf_counter() - start:.1f} s)")
        curve.append((n, round(float(mae), 3)))
    results.update(qm9_heldout_mae_kcal_mol=curve[-1][1], qm9_alpha=float(model[-1].alpha_))

    if args.kernel:
        start = time.perf_counter()
        kernel = SOAPSumKernel(SOAPDescriptor(species=species, cutoff_function="shifted_cosine", **HYPERS),
                               n_representatives=args.kernel, zeta=2, random_state=args.seed, n_jobs=args.n_jobs)
        features = make_union(SpeciesCounts(species=species), kernel)
        Phi_train = features.fit(X_train).transform(X_train)
        Phi_test = features.transform(X_test)
        for alpha in (1e-3, 1e-2, 1e-1):
            mae = np.abs(Ridge(alpha=alpha).fit(Phi_train, y_train).predict(Phi_test) - y_test).mean()
            print(f"QM9 U0, sparse sum kernel M={args.kernel}, alpha {alpha:g}: held-out MAE {mae:.3f} kcal/mol")
            results[f"qm9_sum_kernel_alpha_{alpha:g}_mae_kcal_mol"] = round(float(mae), 3)
        print(f"  ({time.perf_counter() - start:.1f} s)")

    if not args.no_qm7:
        X7, y7 = fetch_qm7(args.data_home, return_X_y=True)
        y7 = y7.astype(np.float64)
        start = time.perf_counter()
        pred = cross_val_predict(linear_model([1, 6, 7, 8, 16], args.n_jobs), X7, y7,
                                 cv=KFold(5, shuffle=True, random_state=args.seed))
        mae7, seconds7 = np.abs(pred - y7).mean(), time.perf_counter() - start
        print(f"QM7: 5-fold CV MAE {mae7:.3f} kcal/mol ({len(y7)} molecules, {seconds7:.1f} s)")
        results.update(qm7_cv_mae_kcal_mol=round(float(mae7), 3), qm7_molecules=len(y7), qm7_seconds=round(seconds7, 1))
    if args.json is not None:
        write_json(args.json, args, results, curve, argv=argv)


if __name__ == "__main__":
    main()

# %%
# Recorded output
# ---------------
# The documentation build does not run this example (QM9 and QM7 and about
# 22 minutes of two cores).  Its last full run,
# ``python -u examples/long_qm9_soap.py --n-train 20000 --n-test 10000`` on a
# 2-core machine on 2026-11-23 (commit ``fa7e967``; closing note of the
# SOAP issue on the tracker, ``issues stops``), printed:
#
# * featurising the 30,000 QM9 molecules (541,473 environments): 42.6 s
#   (12,720 environments per second, other jobs running beside it);
# * QM9 U0 held-out MAE along the learning curve: 3.827 (1,000 training
#   molecules), 2.063 (2,000), 1.388 (5,000), 1.003 (10,000) and **0.893
#   kcal/mol** (20,000; ``alpha`` 0.1);
# * QM7, 5-fold CV MAE **1.314 kcal/mol** (7,165 molecules, 431 s).
#
# The whole run took about 22 minutes, the RidgeCV fits 90-292 s each.
#
# .. plot::
#
#    plot_recorded("long_qm9_soap", "learning_curves")
#
# The figure is drawn from ``docs/recorded/long_qm9_soap.json`` (the numbers
# above; ``--json docs/recorded/long_qm9_soap.json`` on a new run replaces it).
