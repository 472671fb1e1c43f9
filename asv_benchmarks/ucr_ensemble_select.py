"""How many of the best UCR scattering candidates to average, judged on the training splits.

``examples/plot_ucr_scattering.py`` scores twenty scattering configurations
by 5-fold cross-validation on each training split and averages the decision
values of the best ``UCR_N_BEST`` (five by default).  This script measures
that choice without the test splits: a nested cross-validation on each
training split (outer 5 folds; on each outer training part the candidates
are ranked by an inner 5-fold cross-validation, at most the smallest class
count, and the best ``k`` are averaged and scored on the outer fold), for
several ``k``, ``k = 1`` being the single best candidate.  The features are
computed once per training split: the scattering learns nothing from the
data, and the rectified channels' four levels are quantiles of all its
values, a mild leak into the outer folds that every ``k`` shares.
``--test`` also prints the test accuracy of each ``k`` (candidates ranked on
the whole training split, as in the example), for information.

It uses the example's helpers (its code before the runs) and needs aeon::

    NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python asv_benchmarks/ucr_ensemble_select.py --test
"""

import argparse
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "plot_ucr_scattering.py"


def example_helpers():
    """The example's definitions (everything before its "Running both" section), as a namespace."""
    source = EXAMPLE.read_text().split("# Running both")[0]
    namespace = {"__name__": "plot_ucr_scattering"}
    exec(compile(source, str(EXAMPLE), "exec"), namespace)
    if namespace["aeon"] is None:
        raise SystemExit("aeon is needed (pip install skscatter[timeseries])")
    return argparse.Namespace(**{k: v for k, v in namespace.items() if not k.startswith("__")})


def nested_scores(ex, F, y, ks, seed=1):
    """Mean outer-fold accuracy of the average of the best ``k`` candidates, per ``k``."""
    outer = StratifiedKFold(5, shuffle=True, random_state=seed)
    accuracy = {k: [] for k in ks}
    for fit, held in outer.split(np.zeros(len(y)), y):
        smallest = np.unique(y[fit], return_counts=True)[1].min()
        inner = StratifiedKFold(min(5, smallest), shuffle=True, random_state=0)
        scores = {label: cross_val_score(ex.ridge(), X[fit], y[fit], cv=inner).mean() for label, X in F.items()}
        ranked = ex.ranked_candidates(scores)
        models = {label: ex.ridge().fit(F[label][fit], y[fit]) for label in ranked[: max(ks)]}
        for k in ks:
            best = ranked[:k]
            predicted = ex.averaged_decision([models[b] for b in best], [F[b][held] for b in best])
            accuracy[k].append(np.mean(predicted == y[held]))
    return {k: float(np.mean(a)) for k, a in accuracy.items()}


def test_scores(ex, F, y_train, F_test, y_test, ks):
    """Test accuracy of the average of the best ``k`` candidates, ranked on the whole training split.

    ``F`` and ``F_test`` map each candidate to its training and test features.
    """
    labels = list(F)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = {label: cross_val_score(ex.ridge(), F[label], y_train, cv=folds).mean() for label in labels}
    ranked = ex.ranked_candidates(scores)
    models = {label: ex.ridge().fit(F[label], y_train) for label in ranked[: max(ks)]}
    out = {}
    for k in ks:
        best = ranked[:k]
        predicted = ex.averaged_decision([models[b] for b in best], [F_test[b] for b in best])
        out[k] = float(np.mean(predicted == y_test))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 4, 5, 6, 8, 10], help="numbers of candidates averaged")
    parser.add_argument("--datasets", nargs="+", default=None, help="default: the example's eight")
    parser.add_argument("--test", action="store_true", help="also print each k's test accuracy")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*border effects.*", category=UserWarning)
    warnings.filterwarnings("ignore", message=".*least populated class.*", category=UserWarning)
    ex = example_helpers()
    ks = sorted(set(args.k))
    nested, tested = {}, {}
    for name in args.datasets or ex.DATASETS:
        X_train, y_train, X_test, y_test = ex.load(name)
        labels = list(ex.candidates(X_train.shape[-1]))
        # Both splits' features in one call, so the test features reuse the fitted transforms.
        features = ex.candidate_features(labels, X_train, [X_train, X_test] if args.test else [X_train])
        F = {label: Fs[0] for label, Fs in features.items()}
        nested[name] = nested_scores(ex, F, y_train, ks)
        line = f"{name:22s} nested " + " ".join(f"k={k}:{nested[name][k]:.3f}" for k in ks)
        if args.test:
            F_test = {label: Fs[1] for label, Fs in features.items()}
            tested[name] = test_scores(ex, F, y_train, F_test, y_test, ks)
            line += " | test " + " ".join(f"k={k}:{tested[name][k]:.3f}" for k in ks)
        print(line, flush=True)
    print(f"{'mean':22s} nested " + " ".join(f"k={k}:{np.mean([n[k] for n in nested.values()]):.3f}" for k in ks), end="")
    if args.test:
        print(" | test " + " ".join(f"k={k}:{np.mean([t[k] for t in tested.values()]):.3f}" for k in ks), end="")
    print()


if __name__ == "__main__":
    main()
