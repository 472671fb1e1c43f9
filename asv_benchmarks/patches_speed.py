"""Speed of WhitenedPatchKNNEncoder against NumPy's own GEMM, from one run.

Run from the repository root::

    python asv_benchmarks/patches_speed.py                  # random CIFAR-like images
    python asv_benchmarks/patches_speed.py --data ../shared/data/cifar10.npz

It prints, measured in this process:

* ``square GEMM``: NumPy's float32 rate on a 2048 x 2048 x 2048 product (the
  best case for BLAS on this machine);
* ``distance GEMM``: the encoder's distance product, (positions x d) @
  (d x |D|), and its ratio to the square rate (both measured in five
  alternating rounds: the median of the per-round ratios);
* ``encode``: images per second of the full transform (GEMM, selection,
  pooling) with ``n_jobs=-1``, and the projected time for 60,000 images;
* ``transform memory``: the peak rise of resident memory during the timed
  transforms (Linux: the peak mark is reset after warm-up).

Both GEMMs write into preallocated outputs, so that the page faults of a
fresh ~100 MB result are not timed as arithmetic.
"""

import argparse
import time

import numpy as np

from benchmarks.measure import gemm_rate_ratio, reset_peak_rss, status_kib
from skscatter import WhitenedPatchKNNEncoder
from skscatter.patches._extraction import extract_patches


def main(argv=None):
    """Measure and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="cifar10.npz (default: random 32x32x3 images)")
    parser.add_argument("--n-images", type=int, default=1000, help="images encoded (default 1000)")
    parser.add_argument("--n-patches", type=int, default=2048, help="|D| (default 2048)")
    parser.add_argument("--repeats", type=int, default=3, help="timed transforms (default 3)")
    parser.add_argument("--pooling", default="grid", choices=["grid", "pyramid", "window"],
                        help="grid (2x2, default), pyramid (1x1 + 2x2 + 3x3) or window (the authors' 9x9)")
    args = parser.parse_args(argv)

    if args.data:
        images = np.load(args.data)["x_train"][: max(args.n_images, 2000)].astype(np.float32) / 255.0
    else:
        images = np.random.default_rng(0).random((max(args.n_images, 2000), 32, 32, 3), dtype=np.float32)
    pooling = dict(pooling="pyramid", grid_size=3) if args.pooling == "pyramid" else dict(pooling=args.pooling)
    encoder = WhitenedPatchKNNEncoder(n_patches=args.n_patches, random_state=0, n_jobs=-1, **pooling).fit(images)
    X = images[: args.n_images]

    rng = np.random.default_rng(0)
    square = rng.random((2048, 2048), dtype=np.float32)
    patches = (extract_patches(X[:16], encoder.patch_size) - encoder.mean_).reshape(-1, encoder.mean_.shape[0])
    atoms_white = (encoder.dictionary_ - encoder.mean_) @ encoder.whitening_
    atom_matrix = np.ascontiguousarray(encoder.whitening_ @ atoms_white.T, dtype=np.float32)
    distance_rate, square_rate, gemm_ratio = gemm_rate_ratio(patches.astype(np.float32), atom_matrix, square)

    encoder.transform(X[:8])  # numba compilation or cache load
    before = status_kib("VmRSS") if reset_peak_rss() else None
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        encoder.transform(X)
        times.append(time.perf_counter() - start)
    transform_mib = (status_kib("VmHWM") - before) / 1024 if before is not None else float("nan")
    rate = len(X) / np.median(times)

    print(f"images: {'CIFAR-10 ' + args.data if args.data else 'random 32x32x3'}, n={len(X)}, "
          f"|D|={args.n_patches}, Q={encoder.patch_size}, K={encoder.n_neighbors_}, x and -x, "
          f"{args.pooling} pooling, {len(encoder.pooling_cells_)} cells")
    print(f"square GEMM (2048^3, float32):  {square_rate:7.1f} GFLOP/s")
    print(f"distance GEMM ({patches.shape[0]}x{patches.shape[1]} @ {atom_matrix.shape[0]}x{atom_matrix.shape[1]}): "
          f"{distance_rate:7.1f} GFLOP/s = {gemm_ratio:.2f} of the square rate (median of 5 alternating rounds)")
    print(f"encode: {rate:.0f} images/s (median of {args.repeats}); 60,000 images in {60000 / rate / 60:.1f} min")
    print(f"transform memory (peak rise during the timed runs): {transform_mib:.0f} MiB")
    print(f"RATIOS distance_gemm/square_gemm={gemm_ratio:.2f} "
          f"cifar60k_minutes={60000 / rate / 60:.2f}")


if __name__ == "__main__":
    main()
