"""How much rotating a molecule changes SolidHarmonicScattering invariants.

Run from the repository root::

    python asv_benchmarks/harmonic_rotation.py                      # ideal symmetric molecules
    python asv_benchmarks/harmonic_rotation.py --qm7 ../shared/data/qm7.npz --n-molecules 100
    python asv_benchmarks/harmonic_rotation.py --qm7 ../shared/data/qm7.npz --no-align --bandwidth-tol 1e-6

For each molecule it compares the invariants of the molecule and of
``--n-rotations`` random rotations of it (default settings: J=2, L=3,
q in {0.5, 1, 2, 3}, three channels), and prints the median, 90th
percentile and maximum over molecules of the worst relative change.  The
relative change of an invariant is taken against the larger of its own
magnitude and 1 % of the largest invariant with the same q, so that
invariants that are almost zero (an l = 1 field of a nearly symmetric
molecule) do not dominate.  ``--qm7`` adds random QM7 molecules and the ones
whose principal spreads are closest to equal (the hard case for alignment).
"""

import argparse
import time

import numpy as np
from scipy.spatial.transform import Rotation

from skscatter import SolidHarmonicScattering
from skscatter.structures import structures_from_padded


def symmetric_molecules():
    """Ideal methane, benzene, SF6, CO2 and water (Å)."""
    a = 0.629
    angles = np.arange(6) * np.pi / 3
    ring = np.c_[np.cos(angles), np.sin(angles), 0 * angles]
    return {
        "methane": ([6, 1, 1, 1, 1], [[0, 0, 0], [a, a, a], [-a, -a, a], [-a, a, -a], [a, -a, -a]]),
        "benzene": ([6] * 6 + [1] * 6, np.vstack([1.39 * ring, 2.47 * ring])),
        "SF6": ([16] + [9] * 6, np.vstack([[0, 0, 0], 1.56 * np.eye(3), -1.56 * np.eye(3)])),
        "CO2": ([8, 6, 8], [[-1.16, 0, 0], [0, 0, 0], [1.16, 0, 0]]),
        "water": ([8, 1, 1], [[0, 0, 0.12], [0, 0.76, -0.47], [0, -0.76, -0.47]]),
    }


def worst_change(est, numbers, positions, n_rotations, q):
    """Largest relative change of any invariant over ``n_rotations`` random rotations."""
    S = est.transform([(numbers, positions)])[0]
    floor = 1e-2 * np.array([np.abs(S[q == p]).max() for p in q])
    worst = 0.0
    for seed in range(n_rotations):
        R = Rotation.random(random_state=seed).as_matrix()
        T = est.transform([(numbers, positions @ R.T)])[0]
        worst = max(worst, float((np.abs(T - S) / np.maximum(np.abs(S), floor)).max()))
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--qm7", default=None, help="path to qm7.npz (adds QM7 molecules)")
    parser.add_argument("--n-molecules", type=int, default=40, help="random QM7 molecules")
    parser.add_argument("--n-rotations", type=int, default=3)
    parser.add_argument("--no-align", action="store_true", help="align=False: the grid's own sampling error")
    parser.add_argument("--bandwidth-tol", type=float, default=None, help="default: the estimator's")
    args = parser.parse_args(argv)

    groups = {"ideal symmetric": [(np.array(z), np.array(r, dtype=float)) for z, r in symmetric_molecules().values()]}
    if args.qm7 is not None:
        data = dict(np.load(args.qm7))
        mols = structures_from_padded(data["Z"], data["R"])
        pick = np.random.default_rng(7).choice(len(mols), args.n_molecules, replace=False)
        groups["QM7 random"] = [mols[i] for i in pick]
        gaps = []
        for _, r in mols:
            c = r - r.mean(axis=0)
            vals = np.linalg.eigvalsh(c.T @ c)
            gaps.append(np.diff(vals).min() / vals[-1])
        groups["QM7 closest to symmetric"] = [mols[i] for i in np.argsort(gaps)[:16]]

    kwargs = {} if args.bandwidth_tol is None else {"bandwidth_tol": args.bandwidth_tol}
    for name, mols in groups.items():
        est = SolidHarmonicScattering(align=not args.no_align, **kwargs).fit(mols)
        q = np.array([float(n.split("_q")[-1]) for n in est.get_feature_names_out()])
        start = time.perf_counter()
        w = np.array([worst_change(est, z, r, args.n_rotations, q) for z, r in mols])
        print(
            f"{name} ({len(mols)} molecules, align={est.align}, {args.n_rotations} rotations): worst relative "
            f"change median {np.median(w):.2e}, p90 {np.quantile(w, 0.9):.2e}, max {w.max():.2e} "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
