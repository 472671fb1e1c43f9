"""Time BlockRidgeClassifier against scikit-learn's RidgeClassifier on the same random features.

From the repository root::

    .venv/bin/python asv_benchmarks/compare_ridge.py --n-samples 20000 --n-features 2000
    .venv/bin/python asv_benchmarks/compare_ridge.py --n-samples 4000 --n-features 10000
    .venv/bin/python asv_benchmarks/compare_ridge.py --n-samples 20000 --n-features 2000 --tol 1e-8

Printed per model: the best fit time of ``--repeats`` runs, the peak of
memory allocated during one more fit (tracemalloc: NumPy's buffers
included, the input excluded) and the largest difference of its decision
function from RidgeClassifier's on the same values in float64.  The features are float32
(``--dtype``), ten classes, one feature per class shifted by one.
"""

import argparse
import time
import tracemalloc

import numpy as np
from sklearn.linear_model import RidgeClassifier

from skscatter.linear_model import BlockRidgeClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20000)
    parser.add_argument("--n-features", type=int, default=2000)
    parser.add_argument("--dtype", default="float32", choices=["float16", "float32", "float64"])
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--tol", type=float, default=1e-6, help="tol of the solver='cg' models")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    n, d = args.n_samples, args.n_features
    y = rng.integers(0, 10, n)
    X = rng.normal(size=(n, d)) + 0.5
    X[np.arange(n), y % d] += 1.0
    X = X.astype(args.dtype)
    # The reference: RidgeClassifier on the same values in float64.
    reference = RidgeClassifier(alpha=args.alpha).fit(X.astype(np.float64), y)
    rows = slice(0, min(n, 2000))
    expected = reference.decision_function(X[rows].astype(np.float64))

    models = {
        "RidgeClassifier": lambda: RidgeClassifier(alpha=args.alpha),
        "BlockRidgeClassifier": lambda: BlockRidgeClassifier(alpha=args.alpha),
        "BlockRidgeClassifier(compute_dtype='float32')": lambda: BlockRidgeClassifier(
            alpha=args.alpha, compute_dtype="float32"
        ),
        "BlockRidgeClassifier(solver='cg')": lambda: BlockRidgeClassifier(alpha=args.alpha, solver="cg", tol=args.tol),
        "BlockRidgeClassifier(solver='cg', compute_dtype='float32')": lambda: BlockRidgeClassifier(
            alpha=args.alpha, solver="cg", tol=args.tol, compute_dtype="float32"
        ),
    }
    print(f"X: {n} x {d} {args.dtype} ({X.nbytes / 2**20:.0f} MiB), 10 classes, alpha={args.alpha:g}")
    for name, make in models.items():
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model = make().fit(X, y)
            times.append(time.perf_counter() - start)
        tracemalloc.start()
        make().fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        error = np.abs(model.decision_function(X[rows]) - expected).max()
        solver = f", solver {model.solver_}" if hasattr(model, "solver_") else ""
        if getattr(model, "n_iter_", None) is not None:
            solver += f" ({model.n_iter_.max()} iterations)"
        print(
            f"{name}: fit {min(times):.2f} s, peak {peak / 2**20:.1f} MiB, "
            f"max |decision - RidgeClassifier(float64)| {error:.1e}{solver}",
            flush=True,
        )


if __name__ == "__main__":
    main()
