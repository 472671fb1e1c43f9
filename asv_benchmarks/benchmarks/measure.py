"""Measurement helpers shared by the asv suite and the comparison scripts.

Standard library and NumPy only: the kymatio workers of
``compare_kymatio.py`` import this module from kymatio's own environment.
"""

import time

import numpy as np


def gemm_gflops(a, b, repeats=7):
    """Median GFLOP/s of ``a @ b``, written into a preallocated output.

    A fresh ~100 MB result would be a new mmap each call, and its page
    faults would be timed as arithmetic.
    """
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    np.matmul(a, b, out=out)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - start)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / np.median(times) / 1e9



def gemm_rate_ratio(a, b, reference, rounds=5, repeats=3):
    """Rates of ``a @ b`` and ``reference @ reference``, measured in alternation.

    Returns ``(rate, reference_rate, ratio)``: median GFLOP/s of each over
    ``rounds`` alternating rounds, and the median of the per-round ratios.
    On a shared machine whose speed drifts, a ratio of two rates measured
    minutes apart swung from 0.54 to 0.77 for the same product; rounds
    side by side cancel the drift.
    """
    pairs = [(gemm_gflops(a, b, repeats), gemm_gflops(reference, reference, repeats)) for _ in range(rounds)]
    rates, reference_rates = np.array(pairs).T
    return float(np.median(rates)), float(np.median(reference_rates)), float(np.median(rates / reference_rates))

def status_kib(field):
    """A ``VmRSS``/``VmHWM``-style field of /proc/self/status, in KiB (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss():
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
