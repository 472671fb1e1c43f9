"""Time SolidHarmonicScattering's grid transform against kymatio 0.3 on QM7 densities.

At kymatio's QM7 example settings (grid 192 x 128 x 96, J=2, L=3,
sigma_0=2, integral powers 0.5, 1, 2, 3, max_order=2), both libraries
transform the same density grids (nuclear-charge channel of randomly chosen
QM7 molecules, built as kymatio's example does: PCA-aligned positions
rescaled so that the smallest interatomic distance spans 8.58 voxels, sums
of unit-integral Gaussians of width 2 voxels, float32).  kymatio 0.3 needs
SciPy < 1.17, so it runs in its own environment (see ``compare_kymatio.py``
for how to create ``.kymatio-venv``); for the 3D transform pin SciPy < 1.15
as well (``pip install "scipy<1.15" "numpy<2.1"``): SciPy 1.15-1.16 route
kymatio's ``sph_harm`` calls through a deprecated path that makes its filter
construction take over ten minutes at this grid::

    .venv/bin/python asv_benchmarks/compare_kymatio_3d.py --n-molecules 3

Printed per configuration: median seconds per density over the molecules
(after one untimed warm-up: kymatio's filter construction and numba
compilation are excluded), the ratio to kymatio's numpy frontend, and the
largest relative difference to kymatio's output per integral power.  The
array function runs on kymatio's grids; ``SolidHarmonicScattering`` (free
space, the default) runs on the same molecules' atoms at the same voxel
size, one molecule per call (latency) and all of them in one call
(throughput, molecules spread over the cores).
kymatio computes in float32, so its q = 0.5 integrals carry FFT round-off
from the near-empty voxels (about 1e-2 relative, see the module notes of
``skscatter.harmonic._core``); compare q >= 1 for agreement.
"""

import argparse
import math
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KYMATIO_PYTHON = REPO_ROOT / ".kymatio-venv" / "bin" / "python"
SHAPE = (192, 128, 96)
J, L, SIGMA, POWERS = 2, 3, 2.0, (0.5, 1.0, 2.0, 3.0)

KYMATIO_WORKER = """
import sys, time, numpy as np
from kymatio.numpy import HarmonicScattering3D
from kymatio.scattering3d.backend.numpy_backend import backend
grids = np.load(sys.argv[1])
J, L, SIGMA, POWERS = {J}, {L}, {SIGMA}, {POWERS}
S = HarmonicScattering3D(J=J, shape=grids.shape[1:], L=L, sigma_0=SIGMA, integral_powers=POWERS, max_order=2)
outs, times = [], []
for i, g in enumerate(grids):
    t = time.perf_counter()
    deep = S(g[None])
    order0 = backend.compute_integrals(g[None], POWERS)
    times.append(time.perf_counter() - t)
    outs.append(np.concatenate([order0.ravel(), deep.ravel()]))
np.savez(sys.argv[2], out=np.array(outs, dtype=np.float64), times=np.array(times))
"""


def qm7_densities(path, n, seed):
    from skscatter.harmonic._density import molecule_density, principal_axes_frame
    from skscatter.structures import structures_from_padded

    d = dict(np.load(path))
    mols = structures_from_padded(d["Z"], d["R"])
    d_min = min(
        np.sqrt(((p[:, None] - p[None]) ** 2).sum(-1) + np.eye(len(p)) * 1e9).min() for _, p in mols if len(p) > 1
    )
    scale = SIGMA * math.sqrt(-8 * math.log(0.1)) / d_min
    pick = np.random.default_rng(seed).choice(len(mols), n, replace=False)
    grids = [
        molecule_density(principal_axes_frame(mols[i][1]) * scale + np.array(SHAPE) // 2, mols[i][0].astype(float), SHAPE, SIGMA)
        for i in pick
    ]
    return np.array(grids, dtype=np.float32), pick, [mols[i] for i in pick], 1.0 / scale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("SKSCATTER_DATA", REPO_ROOT.parent / "shared" / "data")) / "qm7.npz")
    parser.add_argument("--n-molecules", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    parser.add_argument("--kymatio-python", type=Path, default=Path(os.environ.get("SKSCATTER_KYMATIO_PYTHON", DEFAULT_KYMATIO_PYTHON)))
    args = parser.parse_args(argv)

    from skscatter.harmonic import scattering_3d_layout, solid_harmonic_scattering_3d

    grids, pick, molecules, voxel = qm7_densities(args.data, args.n_molecules + 1, args.seed)
    print(f"{args.n_molecules} QM7 molecules {pick[1:].tolist()} (+1 warm-up), grid {SHAPE}, J={J}, L={L}, sigma_0={SIGMA}, q={POWERS}")
    q = np.array([c[4] for c in scattering_3d_layout(J, L, POWERS)])

    ref = None
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "grids.npy", grids)
        if args.kymatio_python.exists():
            code = KYMATIO_WORKER.format(J=J, L=L, SIGMA=SIGMA, POWERS=POWERS)
            subprocess.run([str(args.kymatio_python), "-W", "ignore::DeprecationWarning", "-c", code, str(Path(tmp) / "grids.npy"), str(Path(tmp) / "k.npz")], check=True)
            k = np.load(Path(tmp) / "k.npz")
            ref, t_ref = k["out"][1:], statistics.median(k["times"][1:])
            print(f"{'kymatio 0.3 numpy':38s} {t_ref:8.3f} s/density   1.0x")
        else:
            print(f"kymatio interpreter {args.kymatio_python} not found: timing skscatter only (see compare_kymatio.py)")

    configs = [
        ("skscatter fast (tol 1e-9), n_jobs=-1", dict(bandwidth_tol=1e-9, n_jobs=-1, _input_sigma=SIGMA)),
        ("skscatter fast (tol 1e-9), n_jobs=1", dict(bandwidth_tol=1e-9, n_jobs=1, _input_sigma=SIGMA)),
        ("skscatter fast (tol 1e-6), n_jobs=-1", dict(bandwidth_tol=1e-6, n_jobs=-1, _input_sigma=SIGMA)),
        ("skscatter exact, n_jobs=-1", dict(n_jobs=-1)),
    ]
    rows = {}
    if ref is not None:
        rows["kymatio 0.3 numpy"] = {"seconds": t_ref, "rate": 1.0 / t_ref}

    def report(name, seconds, outs):
        rows[name] = {"seconds": seconds, "rate": 1.0 / seconds, "ratio_to_peer": t_ref / seconds if ref is not None else None}
        line = f"{name:38s} {seconds:8.3f} s/density"
        if ref is not None:
            rel = np.abs(np.array(outs) - ref) / np.abs(ref)
            diffs = "  ".join(f"q={p:g}: {rel[:, q == p].max():.1e}" for p in POWERS)
            line += f" {t_ref / seconds:5.1f}x   max rel diff to kymatio {diffs}"
        print(line, flush=True)

    for name, kw in configs:
        outs, times = [], []
        for g in grids:
            t = time.perf_counter()
            outs.append(solid_harmonic_scattering_3d(g.astype(np.float64), J, L, SIGMA, POWERS, **kw))
            times.append(time.perf_counter() - t)
        report(name, statistics.median(times[1:]), outs[1:])

    from skscatter import SolidHarmonicScattering

    for n_jobs in (1, -1):
        est = SolidHarmonicScattering(J=J, L=L, sigma=SIGMA, integral_powers=POWERS, channels=("nuclear",), spacing=voxel, n_jobs=n_jobs)
        est.fit(molecules)
        outs, times = [], []
        for m in molecules:
            t = time.perf_counter()
            outs.append(est.transform([m])[0])
            times.append(time.perf_counter() - t)
        t_med = statistics.median(times[1:])
        t = time.perf_counter()
        est.transform(molecules[1:])
        t_batch = (time.perf_counter() - t) / (len(molecules) - 1)
        report(f"free space, one molecule, n_jobs={n_jobs}", t_med, outs[1:])
        report(f"free space, batch, n_jobs={n_jobs}", t_batch, outs[1:])

    if args.json:
        from result_file import write_result_file

        settings = {"n_molecules": args.n_molecules, "seed": args.seed, "shape": list(SHAPE), "J": J, "L": L, "sigma": SIGMA, "integral_powers": list(POWERS)}
        write_result_file(args.json, benchmark="compare_kymatio_3d", settings=settings, unit="molecules/s", results=rows)


if __name__ == "__main__":
    main()
