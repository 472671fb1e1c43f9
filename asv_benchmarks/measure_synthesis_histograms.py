"""Histogram distance of spectra-model samples with and without the histogram term of ``synthesize``.

Run from the repository root (one thread, as in the user guide's table)::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/measure_synthesis_histograms.py --weights 1 0

The fields are those of ``examples/plot_synthesis.py`` at full size: the
top-left 256 x 256 crops of scikit-image's brick, grass and gravel, and the
first of two runs of :func:`skscatter.datasets.make_turbulence` (256, seed 0).
For each field the Gaussian model (``gaussian_synthesis``, ``random_state=0``)
gives the denominator of the goal; then for each weight,
``synthesize(example, model="spectra", init=INIT, histogram_weight=weight,
J=5, L=8, max_iter=300, random_state=0, return_error=True, n_jobs=1)`` is
timed.  Printed per run: the histogram distance (Wasserstein-1 of the pixel
values over the example's standard deviation), its ratio to the Gaussian
model's (the goal is <= 0.5), the relative statistics error (the goal is
<= 1e-2) and the wall time in seconds.
"""

import argparse
import time

import numpy as np
from skimage import data

from skscatter.datasets import make_turbulence
from skscatter.synthesis import gaussian_synthesis, histogram_distance, synthesize


def fields(size):
    out = {}
    for name in ("brick", "grass", "gravel"):
        out[name] = getattr(data, name)()[:size, :size].astype(float)
    out["turbulence"] = make_turbulence(2, size, random_state=0)[0]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.0])
    parser.add_argument("--fields", nargs="+", default=["brick", "grass", "gravel", "turbulence"])
    parser.add_argument("--init", default="marginal")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--max-iter", type=int, default=300)
    args = parser.parse_args()
    J = int(np.log2(args.size)) - 3
    examples = fields(args.size)
    print(f"size {args.size} J={J} L=8 max_iter={args.max_iter} init={args.init} random_state=0", flush=True)
    header = ("field", "weight", "hist", "gauss", "ratio", "stats err", "time s")
    print("{:10s} {:>6s} {:>7s} {:>7s} {:>6s} {:>9s} {:>7s}".format(*header), flush=True)
    for name in args.fields:
        example = examples[name]
        gauss = histogram_distance(gaussian_synthesis(example, random_state=0)[0], example) / example.std()
        for weight in args.weights:
            start = time.perf_counter()
            sample, error = synthesize(
                example, model="spectra", init=args.init, histogram_weight=weight, J=J, L=8,
                max_iter=args.max_iter, random_state=0, return_error=True, n_jobs=1,
            )
            elapsed = time.perf_counter() - start
            hist = histogram_distance(sample[0], example) / example.std()
            row = f"{name:10s} {weight:6.2f} {hist:7.3f} {gauss:7.3f} {hist / gauss:6.2f}"
            row += f" {error[0]:9.1e} {elapsed:7.1f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
