"""Benchmarks of 3D solid harmonic scattering.

Run from ``asv_benchmarks/``::

    asv run --python=same -b Harmonic

Inputs are synthetic molecules (no data files): ``n_atoms`` atoms with
charges 1..8 placed at random inside a 10 x 7 x 5 Å box with at least 1 Å
between them, so grids and costs resemble QM7.  ``time_*`` are warm
(filters cached and numba compiled in ``setup``).  Comparisons with kymatio
run outside asv: ``asv_benchmarks/compare_kymatio_3d.py``.
"""

import numpy as np

from skscatter.harmonic import SolidHarmonicScattering, solid_harmonic_scattering_3d
from skscatter.harmonic._density import molecule_density

from .common import PROFILE, Benchmark


def random_molecules(n, n_atoms=15, seed=0):
    rng = np.random.default_rng(seed)
    mols = []
    while len(mols) < n:
        pos = rng.uniform([-5, -3.5, -2.5], [5, 3.5, 2.5], size=(n_atoms, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + np.eye(n_atoms) * 1e9)
        if d.min() > 1.0:
            mols.append((rng.integers(1, 9, n_atoms), pos))
    return mols


# name: (grid shape, J); the kymatio QM7 grid only in the regular profile.
GRIDS = {"96x64x48 J=2": ((96, 64, 48), 2), "192x128x96 J=2": ((192, 128, 96), 2)}
if PROFILE == "fast":
    GRIDS.pop("192x128x96 J=2")


class HarmonicGridBenchmark(Benchmark):
    """solid_harmonic_scattering_3d on one density, L=3, sigma_0=2, q in {0.5, 1, 2, 3}."""

    param_names = ["grid", "path", "n_jobs"]
    params = (list(GRIDS), ["fast", "exact"], [1, -1])

    def setup(self, grid, path, n_jobs):
        shape, self.J = GRIDS[grid]
        (z, pos), = random_molecules(1)
        centres = pos / np.array([10, 7, 5]) * (np.array(shape) * 0.3) + np.array(shape) / 2
        self.x = molecule_density(centres, z.astype(float), shape, 2.0)
        self.kw = dict(bandwidth_tol=1e-9, _input_sigma=2.0) if path == "fast" else {}
        self.kw["n_jobs"] = n_jobs
        self.time_transform()

    def time_transform(self, *args):
        solid_harmonic_scattering_3d(self.x, self.J, 3, 2.0, (0.5, 1.0, 2.0, 3.0), **self.kw)

    def peakmem_transform(self, *args):
        self.time_transform()


class HarmonicTransformerBenchmark(Benchmark):
    """SolidHarmonicScattering on QM7-like molecules (3 channels, J=2, L=3).

    ``free``: the default free-space grids; ``periodic``: one box for all
    molecules (fast path); ``analytic``: the closed-form invariants only.
    """

    param_names = ["path", "n_jobs"]
    params = (["free", "periodic", "analytic"], [1, -1])

    def setup(self, path, n_jobs):
        n = {"free": 4, "periodic": 2, "analytic": 200}[path]
        self.X = random_molecules(n)
        kw = {"free": {}, "periodic": dict(boundary="periodic", bandwidth_tol=1e-9), "analytic": dict(method="analytic")}[path]
        self.est = SolidHarmonicScattering(n_jobs=n_jobs, **kw).fit(self.X)
        self.est.transform(self.X[:1])

    def time_transform(self, *args):
        self.est.transform(self.X)
