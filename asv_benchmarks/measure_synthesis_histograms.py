"""Histogram distance of spectra-model samples with and without the histogram term of ``synthesize``.

Run from the repository root (one thread, as in the user guide's table)::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/measure_synthesis_histograms.py --weights 1 0

(``--defaults`` runs ``synthesize``'s default settings instead.)

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
<= 1e-2) and the wall time in seconds.  The last two columns are an
out-of-sample check of the same ratio: the distance between the standardised
histograms of the sample and of a fresh sample of the field (the
bottom-right crop of the texture, the second run of the flow), and its ratio
to the Gaussian model's; the ``fresh`` row gives the floor, the example's own
distance to the fresh sample.  Weights given as ``None`` use
``synthesize``'s defaults.
"""

import argparse
import time

import numpy as np
from skimage import data

from skscatter.datasets import make_turbulence
from skscatter.synthesis import gaussian_synthesis, histogram_distance, synthesize


def fields(size):
    """Each field's example and a fresh sample (another crop, another run of the flow)."""
    out = {}
    for name in ("brick", "grass", "gravel"):
        image = getattr(data, name)().astype(float)
        out[name] = image[:size, :size], image[-size:, -size:]
    runs = make_turbulence(2, size, random_state=0)
    out["turbulence"] = runs[0], runs[1]
    return out


def standardised(x):
    return (x - x.mean()) / x.std()


def shape_distance(x, fresh):
    """Histogram distance of the standardised pixel values to a fresh sample's.

    A sample fitted to the example's histogram also fits that example's
    fluctuations of mean and variance; against a *fresh* sample, after
    standardising both, only the shape of the histogram counts, which is the
    field's and not the example's.
    """
    return histogram_distance(standardised(x), standardised(fresh))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.0])
    parser.add_argument("--defaults", action="store_true",
                        help="one run per field with synthesize's default init and histogram_weight")
    parser.add_argument("--fields", nargs="+", default=["brick", "grass", "gravel", "turbulence"])
    parser.add_argument("--init", default="marginal")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--max-iter", type=int, default=300)
    args = parser.parse_args()
    J = int(np.log2(args.size)) - 3
    examples = fields(args.size)
    print(f"size {args.size} J={J} L=8 max_iter={args.max_iter} init={args.init} random_state=0", flush=True)
    header = ("field", "weight", "hist", "gauss", "ratio", "stats err", "time s", "fresh", "ratio")
    print("{:10s} {:>6s} {:>7s} {:>7s} {:>6s} {:>9s} {:>7s} {:>7s} {:>6s}".format(*header), flush=True)
    runs = [None] if args.defaults else args.weights
    for name in args.fields:
        example, fresh = examples[name]
        gaussian = gaussian_synthesis(example, random_state=0)[0]
        gauss = histogram_distance(gaussian, example) / example.std()
        gauss_fresh = shape_distance(gaussian, fresh)
        blank = f"{'':>7s} {'':>7s} {'':>6s} {'':>9s} {'':>7s}"
        print(f"{name:10s} {'fresh':>6s} {blank} {shape_distance(example, fresh):7.3f}", flush=True)
        print(f"{name:10s} {'gauss':>6s} {blank} {gauss_fresh:7.3f}", flush=True)
        for weight in runs:
            options = {} if weight is None else dict(init=args.init, histogram_weight=weight)
            start = time.perf_counter()
            sample, error = synthesize(
                example, model="spectra", J=J, L=8, max_iter=args.max_iter, random_state=0,
                return_error=True, n_jobs=1, **options,
            )
            elapsed = time.perf_counter() - start
            hist = histogram_distance(sample[0], example) / example.std()
            held = shape_distance(sample[0], fresh)
            label = "dflt" if weight is None else f"{weight:.2f}"
            row = f"{name:10s} {label:>6s} {hist:7.3f} {gauss:7.3f} {hist / gauss:6.2f}"
            row += f" {error[0]:9.1e} {elapsed:7.1f} {held:7.3f} {held / gauss_fresh:6.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
