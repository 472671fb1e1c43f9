"""Encode all 60,000 CIFAR-10 images with WhitenedPatchKNNEncoder: time and memory.

Run from the repository root::

    python asv_benchmarks/patches_cifar60k.py --data ../shared/data/cifar10.npz
    python asv_benchmarks/patches_cifar60k.py --data ../shared/data/cifar10.npz --out codes.f32

The encoder (|D| = 2048, Q = 6, K = 0.4|D|, x and -x, 2 x 2 grid, the
issue's setting) is fitted on the 50,000 training images, then transforms
all 60,000 (train + test) with ``n_jobs=-1``.  It prints the fit and
transform times and the whole process's peak resident memory (Linux), up to
the end of fit and during the transform.

Without ``--out`` the codes of all images are held in memory, as one
``transform`` call returns them (60,000 x 16,384 float32 = 3.9 GB).  With
``--out`` the images are transformed in chunks of ``--chunk`` and each
chunk's codes are appended to that raw float32 file (plain writes, not a
memory map, so written codes do not stay resident): the way to encode a
dataset whose codes do not fit in memory.
"""

import argparse
import time

import numpy as np

from benchmarks.measure import reset_peak_rss, status_kib
from skscatter import WhitenedPatchKNNEncoder


def _peak_gib():
    peak = status_kib("VmHWM")
    return float("nan") if peak is None else peak / 2**20


def main(argv=None):
    """Fit, transform, print times and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/cifar10.npz", help="cifar10.npz")
    parser.add_argument("--out", default=None, help="raw float32 file for the codes (default: keep them in memory)")
    parser.add_argument("--chunk", type=int, default=5000, help="images per transform call with --out (default 5000)")
    parser.add_argument("--query-scale", type=float, default=1.0)
    args = parser.parse_args(argv)

    data = np.load(args.data)
    # uint8 stays uint8 until each chunk is converted: 184 MB instead of 737 MB.
    images = np.concatenate([data["x_train"], data["x_test"]]).reshape(-1, 32, 32, 3)
    n_train = len(data["x_train"])

    def as_float(block):
        return block.astype(np.float32) / np.float32(255)

    start = time.perf_counter()
    encoder = WhitenedPatchKNNEncoder(
        patch_size=6, n_patches=2048, n_neighbors=0.4, negative=True, pooling="grid", grid_size=2,
        query_scale=args.query_scale, random_state=0, n_jobs=-1,
    ).fit(as_float(images[:n_train]))
    fit_seconds = time.perf_counter() - start
    encoder.transform(as_float(images[:16]))  # numba compilation or cache load
    fit_peak_gib = _peak_gib()
    reset = reset_peak_rss()  # so that the peak below is the transform's phase alone

    start = time.perf_counter()
    if args.out is None:
        codes = encoder.transform(as_float(images))
        shape = codes.shape
    else:
        with open(args.out, "wb") as file:
            for first in range(0, len(images), args.chunk):
                encoder.transform(as_float(images[first : first + args.chunk])).tofile(file)
        shape = (len(images), encoder.get_feature_names_out().shape[0])
    seconds = time.perf_counter() - start

    print(f"fit on {n_train:,} images: {fit_seconds:.1f} s")
    print(f"transform of {shape[0]:,} images into {shape[1]:,} features: {seconds:.1f} s "
          f"({shape[0] / seconds:.0f} img/s, {seconds / 60:.2f} min), "
          f"{'in memory' if args.out is None else f'streamed to {args.out} in chunks of {args.chunk}'}")
    peak_gib = _peak_gib() if reset else float("nan")
    print(f"whole-process peak resident memory: {fit_peak_gib:.2f} GiB up to the end of fit, "
          f"{peak_gib:.2f} GiB during the transform (data and codes included)")
    print(f"RATIOS cifar60k_minutes={seconds / 60:.2f} transform_peak_gib={peak_gib:.2f}")


if __name__ == "__main__":
    main()
