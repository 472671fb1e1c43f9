"""Batching shared by the image estimators: size, plan, and run batches concurrently."""

from joblib import Parallel, delayed

from .._config import get_config


def batch_size_from_memory(bytes_per_sample, n_concurrent, cap, budget=None):
    """Samples per batch so that ``n_concurrent`` batches fit in the working memory.

    Parameters
    ----------
    bytes_per_sample : float
        Temporaries one sample needs while its batch is transformed.
    n_concurrent : int
        Batches in flight at once; they share the budget.
    cap : int
        Largest useful batch (beyond it a batch only adds cache misses).
    budget : int, default=None
        Bytes for all batches in flight; default: the ``working_memory``
        setting.

    Returns
    -------
    batch_size : int
        At least 1.

    Examples
    --------
    >>> batch_size_from_memory(2**20, 2, 1000)  # 1 MiB per sample, 64 MiB shared by 2
    32
    """
    if budget is None:
        budget = get_config()["working_memory"] * 2**20
    return int(max(1, min(cap, budget / n_concurrent // bytes_per_sample)))


def plan_batches(n_samples, batch_size, n_threads):
    """Split ``n_samples`` into batches, small enough to give every thread work.

    Returns
    -------
    batch_size : int
    starts : range
        First sample of each batch.
    concurrent : int
        Batches to run at once (1: run them one by one, each with
        ``n_threads`` inner threads).

    Examples
    --------
    >>> plan_batches(10, 64, 2)
    (5, range(0, 10, 5), 2)
    """
    batch_size = max(1, min(batch_size, -(-n_samples // n_threads)))
    starts = range(0, n_samples, batch_size)
    return batch_size, starts, min(n_threads, len(starts))


def map_batches(function, items, concurrent):
    """``function(item)`` for each item, in order, lazily.

    With ``concurrent > 1`` the calls run through :class:`joblib.Parallel`
    (threads unless a ``joblib.parallel_config`` context selects another
    backend, e.g. processes or dask), and results stream back one at a time.
    """
    if concurrent == 1:
        return (function(item) for item in items)
    return Parallel(n_jobs=concurrent, prefer="threads", return_as="generator")(delayed(function)(item) for item in items)
