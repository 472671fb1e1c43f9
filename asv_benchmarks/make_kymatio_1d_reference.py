"""Regenerate ``tests/scattering/data/kymatio_0.3_scattering1d.npz``: kymatio 0.3's Scattering1D as a test oracle.

Run with a Python that has kymatio 0.3.0 (it needs SciPy < 1.15 and NumPy <
2.1, e.g. ``pip install kymatio==0.3.0 "scipy<1.15" "numpy<2.1"`` in a venv of
its own)::

    python asv_benchmarks/make_kymatio_1d_reference.py

For each configuration it stores the input, kymatio 0.3's output as
released (``mean_*``: filters at coarser resolutions average their aliased
copies) and its output with the aliased copies summed (``sum_*``: the
convention of kymatio's golden test values, which skscatter follows),
obtained by swapping the one function of kymatio's filter bank that folds
filters.
"""

import json
import sys
from pathlib import Path

import numpy as np

import kymatio
import kymatio.scattering1d.filter_bank as filter_bank
from kymatio.numpy import Scattering1D

# (J, Q, T, length, max_order, oversampling): non-powers of two, T below and
# at 2**J, T not a power of two, both orders, oversampling, (Q1, Q2) pairs,
# and the benchmark's configuration.
CONFIGS = [
    (4, 1, None, 100, 2, 0),
    (5, (8, 2), 16, 300, 2, 0),
    (3, 4, 20, 97, 1, 0),
    (6, 8, None, 1000, 2, 1),
    (2, 12, None, 40, 2, 2),
    (7, (1, 1), 64, 200, 2, 0),
    (8, 8, None, 4096, 2, 0),
]


def main(out):
    rng = np.random.default_rng(0)
    averaged = filter_bank.periodize_filter_fourier
    arrays = {}
    for i, (J, Q, T, length, max_order, oversampling) in enumerate(CONFIGS):
        x = rng.standard_normal((2, length))
        # A chirp: energy in every band, so every path is exercised.
        t = np.arange(length) / length
        x[1] += 3 * np.sin(2 * np.pi * (5 + 0.4 * length * t) * t)
        arrays[f"x_{i}"] = x
        for name, fold in (("mean", averaged), ("sum", lambda h, nperiods=1: averaged(h, nperiods) * nperiods)):
            filter_bank.periodize_filter_fourier = fold
            S = Scattering1D(J=J, shape=length, Q=Q, T=T, max_order=max_order, oversampling=oversampling)
            arrays[f"{name}_{i}"] = S(x)
        filter_bank.periodize_filter_fourier = averaged
    arrays["configs"] = np.asarray(json.dumps(CONFIGS))
    arrays["kymatio_version"] = np.asarray(kymatio.__version__)
    np.savez_compressed(out, **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[1] / "tests" / "scattering" / "data" / "kymatio_0.3_scattering1d.npz")
