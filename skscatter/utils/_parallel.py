"""How ``n_jobs`` becomes work: batches, batches in flight, threads per batch.

Every estimator means the same by ``n_jobs``: how many CPU threads one call
may keep busy (joblib's convention: ``None`` is 1 unless inside a
:func:`joblib.parallel_config` context, ``-1`` all cores, ``-2`` all but
one).  :func:`plan_execution` is the one place that turns it, the
``batch_size`` and the working memory into an :class:`ExecutionPlan`:

* the samples are cut into batches whose temporaries fit the working memory
  (``skscatter.get_config()["working_memory"]`` MiB shared by the batches
  in flight, or a share of the free device memory on the GPU);
* with several batches, up to ``n_jobs`` run at once through
  :class:`joblib.Parallel` (threads, unless a ``parallel_config`` context
  picks processes or dask), each on one thread;
* a single batch gets all ``n_jobs`` threads inside its kernels (BLAS,
  ``scipy.fft`` workers, numba).

Batches are cut so that results never depend on the plan: every sample is
computed by the same arithmetic whatever batch it falls in.
"""

from contextlib import contextmanager
from typing import NamedTuple

import joblib
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from .._backend import device_working_memory
from .._config import get_config
from ._progress import Progress


def effective_n_jobs(n_jobs):
    """Map an sklearn-style ``n_jobs`` to a positive thread count.

    Examples
    --------
    >>> effective_n_jobs(1)
    1
    >>> effective_n_jobs(-1) >= 1
    True
    """
    return max(1, int(joblib.effective_n_jobs(n_jobs)))


@contextmanager
def limit_numba_threads(n_threads):
    """Run the body with at most ``n_threads`` numba threads (None: unchanged), restored afterwards.

    numba's thread count is a per-thread setting: call this in the thread
    that launches the parallel kernels.  skscatter never changes numba's
    threading layer.
    """
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
    return int(max(1, min(cap, budget / n_concurrent // max(bytes_per_sample, 1))))


class ExecutionPlan(NamedTuple):
    """Batches and threads of one call, from :func:`plan_execution`.

    Attributes
    ----------
    backend : str
        The resolved backend the batches run on.
    bounds : tuple of (int, int)
        ``(start, stop)`` of each batch, in order, covering all samples.
    concurrent : int
        Batches in flight at once.
    threads : int
        Threads inside each batch (BLAS, FFT workers, numba).
    """

    backend: str
    bounds: tuple
    concurrent: int
    threads: int

    def run(self, task, *, numba_parallel=False, verbose=0, label="", unit="samples"):
        """``task(start, stop)`` for each batch; yields ``(start, stop, result)`` in order.

        Parameters
        ----------
        task : callable
            Computes one batch and returns its result (rather than writing
            into a shared output, so that process-based joblib backends
            work too).
        numba_parallel : bool, default=False
            The task launches numba ``parallel=True`` kernels: each batch
            then runs with ``threads`` numba threads (set in the thread that
            runs it).  Serial kernels are left alone: setting numba's thread
            count starts its thread pool, which only costs them.
        verbose : int, default=0
            Progress on stderr (:class:`~skscatter.utils._progress.Progress`):
            a bar with rate and ETA once the call has run a few seconds for
            1, from the start and with a line per batch for 2 and above.
        label : str
            Who reports progress (the estimator's name).
        unit : str, default="samples"
            What the batches count, in progress messages.
        """
        one = _Batch(task, self.threads, numba_parallel)
        n = self.bounds[-1][1] if self.bounds else 0
        progress = Progress(n, verbose=verbose, label=label, unit=unit)
        # BLAS threads are a process-wide setting: set once around all the
        # batches (each concurrent batch then runs its products on one thread).
        with threadpool_limits(self.threads, user_api="blas"), progress:
            if self.concurrent == 1:
                results = map(one, self.bounds)
            else:
                # ``one`` is an argument, not the function, so that a dask
                # cluster receives it (and the input it holds) once per call.
                parallel = Parallel(n_jobs=self.concurrent, prefer="threads", return_as="generator")
                results = parallel(delayed(_run_batch)(one, b) for b in self.bounds)
            for k, ((start, stop), result) in enumerate(zip(self.bounds, results), 1):
                progress.update(stop - start, detail=f"batch {k}/{len(self.bounds)} ({unit} {start:,}-{stop:,})")
                yield start, stop, result


class _Batch:
    """``task(start, stop)`` with the plan's numba threads: what each joblib worker runs.

    A module-level class rather than a closure, so that process-based
    joblib backends (loky, dask) pickle it by reference.  It holds the
    call's whole input (through ``task``), so it reports itself as large:
    joblib's dask backend then scatters it to the cluster once per call
    (it scatters arguments whose ``sizeof`` exceeds a kilobyte), instead of
    pickling it into the graph with every batch.
    """

    def __init__(self, task, threads, numba_parallel):
        self.task, self.threads, self.numba_parallel = task, threads, numba_parallel

    def __call__(self, bounds):
        if not self.numba_parallel:
            return self.task(*bounds)
        with limit_numba_threads(self.threads):
            return self.task(*bounds)

    def __sizeof__(self):
        return 2**30


def _run_batch(batch, bounds):
    return batch(bounds)


def _cut_by_size(sizes, max_units, max_samples):
    bounds, start, units = [], 0, 0
    for i, size in enumerate(sizes):
        if i > start and (units + size > max_units or i - start >= max_samples):
            bounds.append((start, i))
            start, units = i, 0
        units += size
    if start < len(sizes):
        bounds.append((start, len(sizes)))
    return bounds


def plan_execution(
    n_samples, *, backend, n_jobs, batch_size="auto", bytes_per_sample, max_batch, sizes=None, parallelism="auto"
):
    """Plan one call: the batches, how many run at once, threads inside each.

    Parameters
    ----------
    n_samples : int
        Samples to transform.
    backend : {"numpy", "numba", "cupy"}
        The resolved backend.  On the GPU one batch runs at a time, sized
        from the device's free memory.
    n_jobs : int or None
        The estimator's ``n_jobs`` (see the module notes).
    batch_size : int or "auto", default="auto"
        Samples per batch; ``"auto"`` fits the temporaries of the batches in
        flight in the working memory.
    bytes_per_sample : float
        Temporaries per sample (per unit of ``sizes`` when given).
    max_batch : int
        Largest useful ``"auto"`` batch, in samples.
    sizes : sequence of int, default=None
        Work units per sample (atoms per structure): ``"auto"`` batches are
        then cut by their total units.
    parallelism : {"auto", "batches", "kernels"}, default="auto"
        Where the threads go.  ``"auto"``: several batches run side by side,
        one thread each, and a lone batch gets them all inside its kernels.
        ``"batches"``: only side by side, for work too fine-grained for
        threads inside a batch to pay.  ``"kernels"``: batches one after
        another, each with every thread inside its kernels, for threaded
        kernels that scale better than batches side by side.

    Returns
    -------
    plan : ExecutionPlan

    Examples
    --------
    >>> plan = plan_execution(10, backend="numba", n_jobs=2, bytes_per_sample=1, max_batch=64)
    >>> plan.bounds, plan.concurrent, plan.threads
    (((0, 5), (5, 10)), 2, 1)
    >>> plan_execution(10, backend="numba", n_jobs=1, batch_size=4, bytes_per_sample=1, max_batch=64).bounds
    ((0, 4), (4, 8), (8, 10))
    """
    on_device = backend == "cupy"
    n_threads = 1 if on_device else effective_n_jobs(n_jobs)
    side_by_side = 1 if parallelism == "kernels" else n_threads
    # Enough batches to give every batch in flight one.
    max_samples = max(1, -(-n_samples // side_by_side))
    if batch_size != "auto":
        max_samples = min(max_samples, int(batch_size))
        bounds = [(s, min(s + max_samples, n_samples)) for s in range(0, n_samples, max_samples)]
    else:
        budget = device_working_memory() if on_device else get_config()["working_memory"] * 2**20
        if sizes is None:
            batch = min(max_samples, batch_size_from_memory(bytes_per_sample, side_by_side, max_batch, budget))
            bounds = [(s, min(s + batch, n_samples)) for s in range(0, n_samples, batch)]
        else:
            max_units = max(1, int(budget / side_by_side // max(bytes_per_sample, 1)))
            bounds = _cut_by_size(sizes, max_units, min(max_samples, max_batch))
    concurrent = max(1, min(side_by_side, len(bounds)))
    threads = n_threads if concurrent == 1 and parallelism != "batches" else 1
    return ExecutionPlan(backend, tuple(bounds), concurrent, threads)
