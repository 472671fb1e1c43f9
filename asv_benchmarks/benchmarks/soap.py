"""Benchmarks of SOAPDescriptor and SOAPSumKernel.

Run from ``asv_benchmarks/``::

    asv run --python=same -b SOAP

Synthetic QM9-like molecules (18 atoms of H, C, N, O, F in a 7 Å box, at
least 0.9 Å apart; nothing is downloaded), the SOAP issue's hypers
(r_cut 5, n_max 8, l_max 6, sigma 0.5).  ``time_*`` are warm (numba
compiled in ``setup``).  Comparisons with dscribe and featomic run outside
asv: ``asv_benchmarks/compare_soap.py``.  ``SOAPPeriodicBenchmark`` times
periodic cells (wrapping, periodic images, cell lists): random triclinic
cells of 64 atoms at about a solid's density, atoms unwrapped over
neighbouring cells as in a molecular-dynamics frame.
"""

import numpy as np

from skscatter.soap import SOAPDescriptor, SOAPSumKernel

from .common import N_JOBS_VALS, PROFILE, Benchmark

HYPERS = dict(species=[1, 6, 7, 8, 9], r_cut=5.0, n_max=8, l_max=6, sigma=0.5)


def random_molecules(n, n_atoms=18, seed=0):
    rng = np.random.default_rng(seed)
    mols = []
    while len(mols) < n:
        pos = rng.uniform(-3.5, 3.5, size=(n_atoms, 3))
        d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + np.eye(n_atoms) * 1e9)
        if d.min() > 0.9:
            mols.append((rng.choice([1, 1, 1, 6, 6, 7, 8, 9], n_atoms), pos))
    return mols


N_MOLECULES = 200 if PROFILE == "fast" else 1000


def random_cells(n, n_atoms=64, seed=0):
    """Triclinic cells of ``n_atoms`` atoms (about 0.06 per Å^3, at least 1.2 Å apart), unwrapped by up to 2 cells."""
    rng = np.random.default_rng(seed)
    cells = []
    for _ in range(n):
        cell = np.diag([10.0, 10.5, 11.0]) + rng.uniform(-1.5, 1.5, (3, 3))
        frac = np.empty((0, 3))
        while len(frac) < n_atoms:  # atoms placed one at a time, away from the others
            f = rng.uniform(0, 1, 3)
            diff = frac - f
            diff -= np.round(diff)  # minimum image, fine for these near-cubic cells
            if len(frac) == 0 or np.linalg.norm(diff @ cell, axis=1).min() > 1.2:
                frac = np.vstack([frac, f])
        pos = (frac + rng.integers(-2, 3, (n_atoms, 3))) @ cell
        cells.append((rng.choice([1, 6, 7, 8], n_atoms), pos, cell, True))
    return cells

class SOAPDescriptorBenchmark(Benchmark):
    """Environments per second = 18 * N_MOLECULES / time."""

    param_names = ["output", "n_jobs"]
    params = (["sum", "per-atom"], N_JOBS_VALS)

    def setup(self, output, n_jobs):
        self.X = random_molecules(N_MOLECULES)
        self.est = SOAPDescriptor(n_jobs=n_jobs, **HYPERS).fit(self.X[:1])
        self.run = self.est.transform if output == "sum" else self.est.transform_atoms
        self.run(self.X[:2])

    def time_transform(self, *args):
        self.run(self.X)

    def peakmem_transform(self, *args):
        self.run(self.X)


class SOAPPolynomialBasisBenchmark(Benchmark):
    """rbf="polynomial": spline-tabulated radial projections; fit builds the table."""

    param_names = ["n_jobs"]
    params = (N_JOBS_VALS,)

    def setup(self, n_jobs):
        self.X = random_molecules(N_MOLECULES)
        self.est = SOAPDescriptor(n_jobs=n_jobs, rbf="polynomial", **HYPERS).fit(self.X[:1])
        self.est.transform_atoms(self.X[:2])

    def time_fit(self, n_jobs):
        SOAPDescriptor(n_jobs=n_jobs, rbf="polynomial", **HYPERS).fit(self.X[:1])

    def time_transform_atoms(self, n_jobs):
        self.est.transform_atoms(self.X)


class SOAPSumKernelBenchmark(Benchmark):
    """Sparse sum kernel with M representatives, zeta = 2."""

    param_names = ["n_representatives"]
    params = ([500, 2000],)

    def setup(self, n_representatives):
        self.X = random_molecules(N_MOLECULES)
        desc = SOAPDescriptor(**HYPERS)
        self.est = SOAPSumKernel(desc, n_representatives=n_representatives, random_state=0).fit(self.X)

    def time_transform(self, *args):
        self.est.transform(self.X)


class SOAPPeriodicBenchmark(Benchmark):
    """Environments per second = 64 * N_CELLS / time, periodic cells."""

    param_names = ["output", "n_jobs"]
    params = (["sum", "per-atom"], N_JOBS_VALS)

    def setup(self, output, n_jobs):
        self.X = random_cells(20 if PROFILE == "fast" else 100)
        self.est = SOAPDescriptor(n_jobs=n_jobs, **dict(HYPERS, species=[1, 6, 7, 8])).fit(self.X[:1])
        self.run = self.est.transform if output == "sum" else self.est.transform_atoms
        self.run(self.X[:2])

    def time_transform(self, *args):
        self.run(self.X)
