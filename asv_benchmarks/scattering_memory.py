"""Peak memory of ScatteringTransformer.transform on CIFAR-10 colour images, channel-last.

Run from the repository root::

    python asv_benchmarks/scattering_memory.py --data ../shared/data/cifar10.npz --n-images 20000

The first ``--n-images`` training images, ``(n, 32, 32, 3)`` channel-last
(float32 in [0, 1] by default, ``--dtype uint8`` for the raw bytes), are
transformed with ``J=2, L=8`` in one call.  Before the call the process
holds the data and the fitted model; the kernel's peak-RSS mark is reset
(Linux), and after it the peak resident memory above the level before the
call is split into the output array (which the caller asked for) and the
rest: the transform's own temporaries, which batches must bound by
``skscatter.get_config()["working_memory"]``.  Printed: both, the budget,
and whether the temporaries stay within the budget plus 50 MiB (numba,
FFT plans and allocator slack).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks.measure import reset_peak_rss, status_kib  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/cifar10.npz")
    parser.add_argument("--n-images", type=int, default=20000)
    parser.add_argument("--dtype", choices=["float32", "uint8"], default="float32")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--working-memory", type=float, default=64, help="MiB (skscatter.set_config)")
    args = parser.parse_args(argv)

    import skscatter
    from skscatter import ScatteringTransformer

    skscatter.set_config(working_memory=args.working_memory)
    images = np.load(args.data)["x_train"][: args.n_images]
    X = images if args.dtype == "uint8" else images.astype(np.float32) / np.float32(255)
    del images
    est = ScatteringTransformer(J=2, L=8, n_jobs=args.n_jobs).fit(X[:8])
    est.transform(X[:64])  # numba compilation or cache load, FFT plans

    before = status_kib("VmRSS")
    if not reset_peak_rss() or before is None:
        sys.exit("needs Linux's /proc/self/clear_refs and /proc/self/status")
    start = time.perf_counter()
    out = est.transform(X)
    seconds = time.perf_counter() - start
    rise = (status_kib("VmHWM") - before) * 1024
    beyond = rise - out.nbytes
    budget = args.working_memory * 2**20
    print(f"skscatter {skscatter.__version__} from {Path(skscatter.__file__).parent}")
    print(f"{len(X):,} images {X.shape[1:]} {X.dtype}, channel-last, J=2, L=8, n_jobs={args.n_jobs}: "
          f"{seconds:.1f} s ({len(X) / seconds:.0f} img/s)")
    print(f"input {X.nbytes / 2**20:.0f} MiB, output {out.shape} {out.dtype} {out.nbytes / 2**20:.0f} MiB")
    print(f"peak resident rise during transform: {rise / 2**20:.0f} MiB = output + {beyond / 2**20:.1f} MiB "
          f"(working_memory budget {budget / 2**20:.0f} MiB; limit budget + 50 = {budget / 2**20 + 50:.0f} MiB: "
          f"{'within' if beyond <= budget + 50 * 2**20 else 'EXCEEDED'})")
    print(f"RATIOS temporaries_mib={beyond / 2**20:.1f} budget_mib={budget / 2**20:.0f}")


if __name__ == "__main__":
    main()
