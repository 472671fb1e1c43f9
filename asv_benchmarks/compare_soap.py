"""Time SOAPDescriptor against dscribe and featomic on the same QM9 molecules.

Settings of the SOAP issue: species H, C, N, O, F; r_cut = 5 Å, n_max = 8,
l_max = 6, sigma = 0.5 Å, GTO radial basis (``--rbf polynomial``: Bartók's
polynomial basis in skscatter and dscribe), no smooth cutoff.  From the
repository root, with dscribe and featomic installed (``pip install dscribe
featomic``; both are optional)::

    .venv/bin/python asv_benchmarks/compare_soap.py --n-molecules 2000 --repeats 5

Printed per library: median environments (atoms) per second over
``--repeats`` runs after one warm-up (numba compilation excluded), the
ratio to dscribe with ``n_jobs=1``, the median CPU time of the process per
run (user seconds: on a shared machine it moves less than the wall time,
and it shows what threads cost), and for skscatter the largest relative
difference of the per-atom kernel ``P @ P.T`` to dscribe's (its features
weighted by sqrt(2) off the diagonal).  ``per-atom`` returns the atoms'
rows, ``sum`` one summed row per molecule (skscatter only: dscribe and
featomic produce per-atom rows that the caller then sums, timed here too).
featomic's output is densified (``keys_to_samples`` / ``keys_to_properties``)
inside the timed region, since a dense matrix is what a scikit-learn model
takes.
"""

import argparse
import math
import os
import resource
import statistics
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECIES = [1, 6, 7, 8, 9]
HYPERS = dict(r_cut=5.0, n_max=8, l_max=6, sigma=0.5)


def timed(fn, repeats):
    """Median wall seconds, max/min spread, and median user-CPU seconds of ``repeats`` warm calls."""
    fn()  # warm-up: numba compilation, caches
    times, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(resource.getrusage(resource.RUSAGE_SELF).ru_utime - before)
    return statistics.median(times), max(times) / min(times), statistics.median(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SKSCATTER_DATA", REPO_ROOT.parent / "shared" / "data")) / "qm9.npz")
    parser.add_argument("--n-molecules", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rbf", choices=["gto", "polynomial"], default="gto", help="radial basis, both libraries (featomic: gto only)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    hypers = dict(HYPERS, rbf=args.rbf)

    from skscatter import SOAPDescriptor
    from skscatter.structures import structures_from_padded

    d = dict(np.load(args.data))
    pick = np.random.default_rng(args.seed).choice(len(d["U0"]), args.n_molecules, replace=False)
    mols = structures_from_padded(d["Z"][pick], d["R"][pick])
    n_env = sum(len(z) for z, _ in mols)
    print(f"{len(mols)} QM9 molecules, {n_env} environments ({n_env / len(mols):.1f} atoms each), {hypers}")

    rows = []
    for n_jobs in (1, -1):
        est = SOAPDescriptor(species=SPECIES, n_jobs=n_jobs, **hypers).fit(mols[:1])
        rows.append((f"skscatter per-atom, n_jobs={n_jobs}", *timed(lambda: est.transform_atoms(mols), args.repeats)))
        rows.append((f"skscatter sum, n_jobs={n_jobs}", *timed(lambda: est.transform(mols), args.repeats)))

    reference = None
    try:
        import ase
        from dscribe.descriptors import SOAP

        atoms = [ase.Atoms(numbers=z, positions=p) for z, p in mols]
        soap = SOAP(species=SPECIES, **hypers)
        rows.append(("dscribe 2 per-atom, n_jobs=1", *timed(lambda: [soap.create(a) for a in atoms], args.repeats)))
        rows.append(("dscribe 2 sum (create + sum), n_jobs=1", *timed(lambda: [soap.create(a).sum(0) for a in atoms], args.repeats)))
        reference = np.concatenate([soap.create(a) for a in atoms[:200]])
    except ImportError as exc:
        print(f"dscribe not available ({exc}); pip install dscribe")
    try:
        if args.rbf != "gto":
            raise LookupError(f"featomic has no {args.rbf!r} radial basis")
        import ase
        from featomic import SoapPowerSpectrum

        calc = SoapPowerSpectrum(
            cutoff={"radius": HYPERS["r_cut"], "smoothing": {"type": "Step"}},
            density={"type": "Gaussian", "width": HYPERS["sigma"]},
            basis={"type": "TensorProduct", "max_angular": HYPERS["l_max"], "radial": {"type": "Gto", "max_radial": HYPERS["n_max"] - 1}},
        )
        atoms = [ase.Atoms(numbers=z, positions=p) for z, p in mols]

        def featomic_dense():
            desc = calc.compute(atoms)
            return desc.keys_to_samples("center_type").keys_to_properties(["neighbor_1_type", "neighbor_2_type"]).block().values

        rows.append(("featomic per-atom (dense)", *timed(featomic_dense, args.repeats)))
    except ImportError as exc:
        print(f"featomic not available ({exc}); pip install featomic")
    except LookupError as exc:
        print(f"featomic skipped: {exc}")

    results = {}
    base = next((t for name, t, *_ in rows if name.startswith("dscribe 2 per-atom")), None)
    for name, t, spread, cpu in rows:
        ratio = f"{base / t:6.2f}x dscribe" if base else ""
        results[name] = {"rate": n_env / t, "ratio_to_peer": base / t if base else None, "seconds": t, "max_over_min": spread, "cpu_s": cpu}
        print(f"{name:42s} {n_env / t:10.0f} env/s {len(mols) / t:9.0f} mol/s  {ratio}  cpu {cpu:6.2f} s  (max/min {spread:.2f})")

    if reference is not None:
        est = SOAPDescriptor(species=SPECIES, **hypers).fit(mols[:1])
        P, _ = est.transform_atoms(mols[:200])
        w = np.array([1.0 if (a == b and c[1:] == e[1:]) else math.sqrt(2) for a, b, _, c, e in (n.split("_") for n in est.get_feature_names_out())])
        K, Kd = P @ P.T, (reference * w) @ (reference * w).T
        print(f"per-atom kernel vs dscribe (200 molecules): max relative difference {np.max(np.abs(K - Kd) / np.abs(Kd)):.1e}")

    if args.json:
        from result_file import write_result_file

        settings = {"n_molecules": args.n_molecules, "n_environments": n_env, "repeats": args.repeats, "seed": args.seed, **hypers}
        write_result_file(args.json, benchmark="compare_soap", settings=settings, unit="env/s", results=results)


if __name__ == "__main__":
    main()
