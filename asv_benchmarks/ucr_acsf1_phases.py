"""Where scattering's loss on ACSF1 comes from: the series interleave four levels, sample by sample.

In ``examples/plot_ucr_scattering.py`` the scattering loses 12 points to
MiniRocket on ACSF1 (appliance power draw, 1,460 samples per series),
more than on any other set.  Its training series have a structure at the
sampling scale: every fourth sample sits on a level of its own (one phase
of the four is far above the other three in almost every series), and
the first layer's modulus and low-pass mix the four phases.

This script checks that explanation without changing the example: it
runs both methods, exactly as the example does (twenty scattering
candidates ranked by 5-fold cross-validation on the training split, the
best one or five averaged; MiniRocket + the same ridge), on the series as
distributed (1 x 1,460) and split into their four phases as channels
(4 x 365, sample ``4 t + r`` in channel ``r``).  Both methods see the same
arrays in each layout.  MiniRocket's 5-fold score on the training split
(its features fitted on the whole split) is printed beside the
scattering's, so the comparison does not rest on the test split alone.

It uses the example's helpers and needs aeon::

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python asv_benchmarks/ucr_acsf1_phases.py
"""

import warnings

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score
from ucr_ensemble_select import example_helpers


def phases(X, period=4):
    """``(n, 1, length)`` -> ``(n, period, length // period)``: sample ``period * t + r`` in channel ``r``."""
    usable = X.shape[-1] // period * period
    return X[:, 0, :usable].reshape(len(X), -1, period).transpose(0, 2, 1).copy()


def main():
    ex = example_helpers()
    warnings.filterwarnings("ignore", message=".*border effects.*", category=UserWarning)
    X_train, y_train, X_test, y_test = ex.load("ACSF1")
    # The structure, on the training split only: which phase has the largest mean, per series.
    means = phases(X_train).mean(axis=-1)
    print("highest of the four phases, count per phase over the training series:", np.bincount(means.argmax(1), minlength=4))

    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for label, (A, B) in {"as distributed": (X_train, X_test), "four phases": (phases(X_train), phases(X_test))}.items():
        print(f"{label}: {A.shape[1]} x {A.shape[2]}")
        for k in (1, 5):
            s = ex.run_scattering(A, y_train, B, y_test, n_best=k)
            print(
                f"  scattering, best {k}: test {s['accuracy']:.3f}, 5-fold {s['cv']:.3f} ({s['choice']}), "
                f"transform {s['transform']:.2f}s"
            )
        m = ex.run_minirocket(A, y_train, B, y_test)
        features = ex.MiniRocket(n_jobs=ex.N_JOBS, random_state=0).fit_transform(A)
        cv = cross_val_score(ex.ridge(), features, y_train, cv=folds).mean()
        print(f"  MiniRocket: test {m['accuracy']:.3f}, 5-fold {cv:.3f}, transform {m['transform']:.2f}s")


if __name__ == "__main__":
    main()
