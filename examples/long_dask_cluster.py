"""
Featurising QM9 and CIFAR-10 on a dask cluster
==============================================

All of QM9 (130,831 molecules) through ``SOAPDescriptor`` and all of
CIFAR-10 (60,000 images) through ``WhitenedPatchKNNEncoder``, chunk by chunk
on the workers of a dask cluster with
:func:`skscatter.parallel.blockwise_transform`, timed against the same
transform in one process.  Each chunk is one task: a worker holds one input
chunk per thread, its output rows and the transform's temporaries
(``skscatter.set_config(working_memory=...)``), whatever the size of the
set.  The features equal the one-process features to round-off (checked).

By default a :class:`distributed.LocalCluster` of ``--n-workers`` single-
threaded worker processes is started on this machine.  To use a real
cluster, start a scheduler and workers there (``dask scheduler`` on one
machine, ``dask worker tcp://SCHEDULER:8786 --nthreads 1`` on each of the
others; every worker needs skscatter installed) and pass its address::

    python examples/long_dask_cluster.py --scheduler tcp://SCHEDULER:8786

which runs ``Client("tcp://SCHEDULER:8786")`` instead of the local cluster.
For sets larger than the client's memory, build the dask array from a
chunked store the workers read themselves (``dask.array.from_zarr``, HDF5
through ``h5py``) instead of ``dask.array.from_array``, and write the
features with ``dask.array.to_zarr`` rather than ``compute()``.

It reads QM9 and CIFAR-10 with ``skscatter.datasets.fetch_qm9`` /
``fetch_cifar10`` from ``--data-dir`` (default ``$SKSCATTER_DATA``, else
``../shared/data`` beside the repository): the official files, downloaded
when missing, or their converted ``.npz`` copies.  ``--subset N`` takes the first ``N``
molecules and images.  In full, the features are large (QM9: 5,740 float64
per molecule, 6 GB; CIFAR-10: 16,384 float32 per image, 3.9 GB): the
one-process comparison holds them twice, and the cluster's chunks are
taken into that second copy as each finishes (joining them on a worker
first would hold them twice more there).  Quick runs on subsets::

    python examples/long_dask_cluster.py --subset 10000 --chunk-size 1000 --only qm9
    python examples/long_dask_cluster.py --subset 2000 --chunk-size 250 --only cifar10

``--json PATH`` also writes the timings to a JSON file
(``docs/recorded/long_dask_cluster.json`` draws the figure below).

Recorded in full (``/usr/bin/time -v python -u
examples/long_dask_cluster.py``: all 130,831 molecules and 60,000 images,
chunks of 250) on this repository's 2-core machine, one of whose cores was
running another job at the same time, two single-threaded workers against
one process; 14 min 44 s wall, 18.5 GB peak for the main process:

.. code-block:: text

    QM9, SOAPDescriptor: 130831 molecules, 5740 features
      one process, n_jobs=1                  76.1 s    1718.2 molecules/s
      one process, n_jobs=-1                 83.3 s    1570.8 molecules/s
      cluster, 524 chunks                    54.7 s    2393.0 molecules/s
      max |cluster - one process| / row scale: 0.0e+00
      speed-up over one process: 1.39x (n_jobs=1), 1.52x (n_jobs=-1)
    CIFAR-10, WhitenedPatchKNNEncoder: 60000 images, 16384 features
      one process, n_jobs=1                 286.1 s     209.7 images/s
      one process, n_jobs=-1                166.7 s     359.9 images/s
      cluster, 240 chunks                   183.0 s     328.0 images/s
      max |cluster - one process| / row scale: 0.0e+00
      speed-up over one process: 1.56x (n_jobs=1), 0.91x (n_jobs=-1)

The features equal the one-process ones exactly.  The speed-ups are those of
a busy 2-core machine, where the other job took a varying share of the
cores: one process with ``n_jobs=-1`` was slower than with one thread on
QM9 and 1.7 times faster on CIFAR-10.  On subsets (10,000 molecules in
chunks of 1,000, 2,000 images in chunks of 250) the cluster had been 0.65x
and 1.03x one single-threaded process: with so few chunks, starting them
and moving them (46 kB of features per molecule, 64 kB per image) weigh
more.  Two workers cannot beat two cores that one process keeps busy; a
cluster pays when it brings the cores of other machines, or memory for
sets that do not fit one process.

.. plot::

   plot_recorded("long_dask_cluster", "throughput")

The figure is drawn from ``docs/recorded/long_dask_cluster.json`` (the full
run above; ``--json`` on a new run replaces the file).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np

from skscatter import SOAPDescriptor, WhitenedPatchKNNEncoder
from skscatter.parallel import blockwise_transform
from skscatter.datasets import fetch_cifar10, fetch_qm9

from _recorded import write_recorded

SOAP = dict(species=[1, 6, 7, 8, 9], r_cut=5.0, n_max=8, l_max=6, sigma=0.5)
PATCHES = dict(patch_size=6, n_patches=2048, n_neighbors=0.4, whitening_reg=1e-3, pooling="grid", grid_size=2)


def default_data_dir():
    return Path(os.environ.get("SKSCATTER_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def load_qm9(data_dir, subset=None):
    """QM9's molecules as structures, read by ``skscatter.datasets.fetch_qm9``."""
    return fetch_qm9(data_home=data_dir).data[:subset]


def load_cifar10(data_dir, subset=None):
    """CIFAR-10's train then test images, (n, 32, 32, 3) float32 in [0, 1], by ``fetch_cifar10``."""
    X = fetch_cifar10(data_home=data_dir, subset="all").data[:subset]
    return X.astype(np.float32) / 255.0


def timed(label, n, unit, run):
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.1f} s  {n / seconds:8.1f} {unit}/s")
    return result, seconds


def gather_rows(client, lazy, out):
    """Compute the row chunks of ``lazy`` on the cluster into ``out``, as each finishes.

    ``client.compute(lazy).result()`` would join the chunks on one worker
    first, which then holds the whole output twice before sending it: at
    full scale (6 GB of QM9 features) more than this machine has beside the
    one-process result.  Taking each chunk as it is done keeps a worker's
    memory to its chunks in flight.
    """
    from distributed import as_completed

    starts = np.cumsum((0,) + lazy.chunks[0][:-1])
    futures = client.compute(list(lazy.to_delayed().ravel()))
    start_of = {future.key: start for future, start in zip(futures, starts)}
    for future in as_completed(futures):
        block = future.result()
        out[start_of[future.key] : start_of[future.key] + len(block)] = block
        future.release()
    return out


def max_row_difference(a, b, block=2048):
    """``max |a - b| / max |b|`` over rows, a block of rows at a time (no full-size temporaries)."""
    worst = 0.0
    for start in range(0, len(a), block):
        x, y = a[start : start + block], b[start : start + block]
        worst = max(worst, float(np.max(np.abs(x - y) / np.abs(y).max(axis=1, keepdims=True))))
    return worst


def compare(name, estimator, X, unit, client, chunk_size):
    n = len(X)
    print(f"{name}: {n} {unit}, {len(estimator.get_feature_names_out())} features")
    one, t_one = timed("one process, n_jobs=1", n, unit, lambda: estimator.set_params(n_jobs=1).transform(X))
    _, t_all = timed("one process, n_jobs=-1", n, unit, lambda: estimator.set_params(n_jobs=-1).transform(X))
    estimator.set_params(n_jobs=1)  # each task runs on one worker thread
    if isinstance(X, np.ndarray):
        import dask.array as da

        X = da.from_array(X, chunks=(chunk_size, -1, -1, -1))
    lazy = blockwise_transform(estimator, X, chunk_size=chunk_size)
    cluster = np.empty_like(one)
    _, t_cluster = timed(f"cluster, {lazy.numblocks[0]} chunks", n, unit, lambda: gather_rows(client, lazy, cluster))
    print(f"  max |cluster - one process| / row scale: {max_row_difference(cluster, one):.1e}")
    print(f"  speed-up over one process: {t_one / t_cluster:.2f}x (n_jobs=1), {t_all / t_cluster:.2f}x (n_jobs=-1)")
    runs = {"one process, n_jobs=1": t_one, "one process, n_jobs=-1": t_all,
            f"cluster, {lazy.numblocks[0]} chunks": t_cluster}
    return {"unit": f"{unit}/s", "n": n,
            "runs": {label: {"seconds": round(t, 1), "rate": round(n / t, 1)} for label, t in runs.items()},
            "speed_up": {"n_jobs=1": round(t_one / t_cluster, 2), "n_jobs=-1": round(t_all / t_cluster, 2)}}


def write_json(path, args, tasks, n_workers, argv=None):
    """Write the run to ``path`` (``--json``): ``tasks`` {name: what ``compare`` returned}."""
    return write_recorded(path, "long_dask_cluster", argv=argv,
                          settings=dict(subset=args.subset, chunk_size=args.chunk_size, n_workers=n_workers,
                                        scheduler=args.scheduler, only=args.only),
                          results={f"{task}: cluster speed-up over one process, {jobs}": value
                                   for task, spec in tasks.items() for jobs, value in spec["speed_up"].items()},
                          throughput={"tasks": tasks})


def main(argv=None):
    parser = argparse.ArgumentParser(description="QM9 (SOAP) and CIFAR-10 (patch encoder) on a dask cluster")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--subset", type=int, default=None, help="first N molecules and images (default: all)")
    parser.add_argument("--scheduler", default=None, help="address of a running scheduler, e.g. tcp://host:8786")
    parser.add_argument("--n-workers", type=int, default=2, help="local cluster: worker processes, 1 thread each")
    parser.add_argument("--chunk-size", type=int, default=250, help="molecules or images per task")
    parser.add_argument("--only", choices=["qm9", "cifar10"], default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the timings to this JSON file")
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.n_workers, threads_per_worker=1, processes=True)
        client = Client(cluster)
    n_workers = len(client.scheduler_info()["workers"])
    print(f"dask cluster: {n_workers} workers, dashboard {client.dashboard_link}")
    tasks = {}

    if args.only in (None, "qm9"):
        molecules = load_qm9(args.data_dir, args.subset)
        soap = SOAPDescriptor(**SOAP).fit(molecules[:10])
        # Compile the numba kernels here and on every worker before timing.
        client.run(soap.transform, molecules[:4])
        soap.transform(molecules[:4])
        tasks["QM9, SOAPDescriptor"] = compare("QM9, SOAPDescriptor", soap, molecules, "molecules", client,
                                               args.chunk_size)
    if args.only in (None, "cifar10"):
        images = load_cifar10(args.data_dir, args.subset)
        # The dictionary and whitening from (at most) the first 10,000 images.
        encoder = WhitenedPatchKNNEncoder(**PATCHES, random_state=0).fit(images[:10000])
        client.run(encoder.transform, images[:2])
        encoder.transform(images[:2])
        tasks["CIFAR-10, WhitenedPatchKNNEncoder"] = compare("CIFAR-10, WhitenedPatchKNNEncoder", encoder, images,
                                                             "images", client, args.chunk_size)
    client.close()
    if args.json is not None:
        write_json(args.json, args, tasks, n_workers, argv=argv)


if __name__ == "__main__":
    main()
