"""Benchmarks of SOAPDescriptor and SOAPSumKernel.

Run from ``asv_benchmarks/``::

    asv run --python=same -b SOAP

Synthetic QM9-like molecules (18 atoms of H, C, N, O, F in a 7 Å box, at
least 0.9 Å apart; nothing is downloaded), the SOAP issue's hypers
(r_cut 5, n_max 8, l_max 6, sigma 0.5).  ``time_*`` are warm (numba
compiled in ``setup``).  Comparisons with dscribe and featomic run outside
asv: ``asv_benchmarks/compare_soap.py``.
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
