"""Thread-count control for numba kernels.

skscatter never changes numba's threading layer; it only lowers the number
of threads for the duration of a call and restores it afterwards.  BLAS
threads are not touched here (use threadpoolctl for those).
"""

from contextlib import contextmanager

import joblib


def effective_n_threads(n_jobs):
    """Map an sklearn-style ``n_jobs`` to a positive thread count.

    ``None`` means 1 (unless inside a ``joblib.parallel_config`` context),
    ``-1`` means all cores, ``-2`` all but one, and so on.

    Examples
    --------
    >>> effective_n_threads(1)
    1
    >>> effective_n_threads(-1) >= 1
    True
    """
    return max(1, int(joblib.effective_n_jobs(n_jobs)))


@contextmanager
def limit_numba_threads(n_threads):
    """Run the body with at most ``n_threads`` numba threads (None: unchanged)."""
    if n_threads is None:
        yield
        return
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
