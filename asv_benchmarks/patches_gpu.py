"""GPU speed and agreement of WhitenedPatchKNNEncoder, against the CPU, from one run.

Needs cupy and a CUDA device.  Run from the repository root::

    python asv_benchmarks/patches_gpu.py --data ../shared/data/cifar10.npz
    python asv_benchmarks/patches_gpu.py --images train.npy --n-images 60000

``--images`` takes an ``(n, 32, 32, 3)`` uint8 array; when it holds fewer
than ``--n-images`` images they are cycled (the encoding's cost does not
depend on which images it sees).  For each dictionary size and pooling it
prints, measured in this process:

* ``agreement``: GPU and numba codes of the same 256 images (entries that
  differ by more than 1e-6: ties between atoms at the K-th distance that
  cuBLAS and the CPU BLAS round differently);
* ``cuBLAS``: the float32 rate of a square 8192^3 product and of the
  encoder's distance product (positions x d @ d x |D|), and their ratio;
* ``encode``: all ``--n-images`` images on the GPU, passed as cupy arrays
  in chunks of ``--chunk`` images (the codes stay on the GPU; each chunk
  is reduced to a checksum and dropped, since 60,000 x 458,752 float32
  codes are 110 GB); wall time, synchronised;
* ``host round trip``: one chunk passed as NumPy, codes copied back;
* ``CPU``: numba transform of ``--n-cpu`` images on all this machine's
  cores, and the GPU / CPU speed ratio.
"""

import argparse
import copy
import os
import time

import numpy as np

from skscatter import WhitenedPatchKNNEncoder
from skscatter.patches._extraction import extract_patches


def _sync(cupy):
    cupy.cuda.Device().synchronize()


def _gemm_tflops(cupy, a, b, repeats=5):
    out = cupy.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    cupy.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        _sync(cupy)
        start = time.perf_counter()
        cupy.matmul(a, b, out=out)
        _sync(cupy)
        times.append(time.perf_counter() - start)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / np.median(times) / 1e12


def _load(args):
    if args.images:
        images = np.load(args.images)
    else:
        images = np.load(args.data)["x_train"]
    return images.reshape(len(images), 32, 32, 3)


def main(argv=None):
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/cifar10.npz", help="cifar10.npz (x_train is used)")
    parser.add_argument("--images", default=None, help="an (n, 32, 32, 3) uint8 .npy instead of --data")
    parser.add_argument("--n-images", type=int, default=60000, help="images encoded on the GPU (default 60000)")
    parser.add_argument("--n-fit", type=int, default=10000, help="images the encoder is fitted on (default 10000)")
    parser.add_argument("--n-cpu", type=int, default=512, help="images encoded on the CPU (default 512)")
    parser.add_argument("--n-patches", default="2048,16384", help="dictionary sizes (default 2048,16384)")
    parser.add_argument("--poolings", default="pyramid", help="pyramid (3 levels, 14 cells) and/or window (5/3, 9x9)")
    parser.add_argument("--chunk", type=int, default=2000, help="images per transform call on the GPU")
    parser.add_argument("--query-scale", type=float, default=5.0)
    args = parser.parse_args(argv)

    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    print(f"device: {props['name'].decode()}, cupy {cupy.__version__}, CUDA runtime "
          f"{cupy.cuda.runtime.runtimeGetVersion()}, {os.cpu_count()} CPU cores", flush=True)
    raw = _load(args)
    X_fit = raw[: args.n_fit].astype(np.float32) / 255.0
    print(f"images: {len(raw)} distinct, cycled to {args.n_images}", flush=True)

    rng = np.random.default_rng(0)
    square = cupy.asarray(rng.random((8192, 8192), dtype=np.float32))
    square_rate = _gemm_tflops(cupy, square, square)
    del square

    for pooling in args.poolings.split(","):
        for n_patches in (int(v) for v in args.n_patches.split(",")):
            shape = dict(pooling="pyramid", grid_size=3) if pooling == "pyramid" else dict(pooling="window")
            start = time.perf_counter()
            encoder = WhitenedPatchKNNEncoder(
                n_patches=n_patches, n_neighbors=0.4, query_scale=args.query_scale, random_state=0,
                backend="cupy", n_jobs=-1, **shape,
            ).fit(X_fit)
            fit_s = time.perf_counter() - start
            cpu = copy.deepcopy(encoder).set_params(backend="numba")  # the same fitted encoder, on the CPU
            print(f"\n|D|={n_patches}, {pooling} pooling, K={encoder.n_neighbors_}, x and -x, "
                  f"query_scale={args.query_scale}: {encoder.get_feature_names_out().size} features/image; fit {fit_s:.1f} s",
                  flush=True)

            # Agreement with the CPU kernel.
            sample = raw[:256].astype(np.float32) / 255.0
            gpu_codes = encoder.transform(sample)
            cpu.transform(sample[:8])  # compile / cache load
            cpu_codes = cpu.transform(sample)
            diff = np.abs(gpu_codes - cpu_codes)
            print(f"agreement (256 images): {np.mean(diff > 1e-6):.2e} of entries differ, max {diff.max():.2e}, "
                  f"codes sum {gpu_codes.sum(dtype=np.float64):.6e} vs {cpu_codes.sum(dtype=np.float64):.6e}",
                  flush=True)

            # cuBLAS: the distance product.
            patches = extract_patches(sample[:64], encoder.patch_size) - encoder.mean_.astype(np.float32)
            patches = cupy.asarray(patches.reshape(-1, patches.shape[-1]))
            atoms_white = (encoder.dictionary_ - encoder.mean_) @ encoder.whitening_
            atom_matrix = cupy.asarray(np.ascontiguousarray(encoder.whitening_ @ atoms_white.T, dtype=np.float32))
            distance_rate = _gemm_tflops(cupy, patches, atom_matrix)
            print(f"cuBLAS float32: square 8192^3 {square_rate:.1f} TFLOP/s, distance "
                  f"({patches.shape[0]}x{patches.shape[1]} @ {atom_matrix.shape[0]}x{atom_matrix.shape[1]}) "
                  f"{distance_rate:.1f} TFLOP/s = {distance_rate / square_rate:.2f} of square", flush=True)
            del patches, atom_matrix

            # Encode everything on the GPU, chunk by chunk.
            encoder.transform(cupy.asarray(sample[:64]))  # kernels compiled, pools warm
            _sync(cupy)
            checksum = 0.0
            start = time.perf_counter()
            for first in range(0, args.n_images, args.chunk):
                index = np.arange(first, min(first + args.chunk, args.n_images)) % len(raw)
                chunk = cupy.asarray(raw[index]).astype(cupy.float32) / 255.0
                codes = encoder.transform(chunk)
                checksum += float(codes.sum(dtype=cupy.float64))
                del codes, chunk
            _sync(cupy)
            gpu_s = time.perf_counter() - start
            gpu_rate = args.n_images / gpu_s
            print(f"encode on the GPU: {args.n_images} images in {gpu_s:.1f} s ({gpu_rate:.0f} images/s), "
                  f"checksum {checksum:.6e}", flush=True)

            host_chunk = raw[: args.chunk].astype(np.float32) / 255.0
            start = time.perf_counter()
            host_codes = encoder.transform(host_chunk)
            host_s = time.perf_counter() - start
            print(f"host round trip: {len(host_chunk)} images in {host_s:.2f} s ({len(host_chunk) / host_s:.0f} "
                  f"images/s, {host_codes.nbytes / 2**30:.1f} GiB of codes copied back)", flush=True)
            del host_codes

            X_cpu = raw[: args.n_cpu].astype(np.float32) / 255.0
            start = time.perf_counter()
            cpu.transform(X_cpu)
            cpu_s = time.perf_counter() - start
            cpu_rate = len(X_cpu) / cpu_s
            print(f"CPU (numba, {os.cpu_count()} cores): {len(X_cpu)} images in {cpu_s:.1f} s ({cpu_rate:.0f} images/s)")
            print(f"RATIOS n_patches={n_patches} pooling={pooling} gpu_60k_seconds={args.n_images / gpu_rate:.1f} "
                  f"gpu_over_cpu={gpu_rate / cpu_rate:.1f} distance_gemm/square_gemm={distance_rate / square_rate:.2f}",
                  flush=True)
            cupy.get_default_memory_pool().free_all_blocks()


if __name__ == "__main__":
    main()
