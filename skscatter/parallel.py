"""Transforms over dask collections: out-of-core inputs, one chunk per task.

``n_jobs`` spreads the batches of *one in-memory input* over threads, or
over a :func:`joblib.parallel_config` context's workers (a dask cluster
included).  :func:`blockwise_transform` is for inputs that need not fit in
one process: a :class:`dask.array.Array` of images (or signals) is transformed chunk by
chunk, each chunk by the fitted estimator on whichever worker holds it, and
the result is again a lazy dask array.  Needs ``dask`` (``pip install
skscatter[dask]``).
"""

import numpy as np

__all__ = ["blockwise_transform"]


def _transform_block(block, estimator):
    return np.asarray(estimator.transform(block))


def blockwise_transform(estimator, X, *, chunk_size=None):
    """Transform a dask array of images or signals (or a list of structures) chunk by chunk, lazily.

    Each chunk of rows is one task that calls the fitted ``estimator``'s
    ``transform`` on it, so a worker holds at any time one input chunk per
    thread, its output rows, and the transform's own temporaries (bounded by
    ``skscatter.set_config(working_memory=...)``), whatever the size of
    ``X``.  The rows and their order are those of ``estimator.transform(X)``
    on the whole input computed at once.

    Parameters
    ----------
    estimator : fitted transformer
        Any fitted skscatter estimator (or other transformer with
        ``get_feature_names_out``).  It is sent to the cluster once; inside
        a task its ``n_jobs`` applies (keep it at ``None`` or 1 so that the
        worker's threads, not the estimator's, carry the parallelism).
    X : dask.array.Array or sequence of structures
        Images laid out as ``estimator`` was fitted on, e.g. ``(n, H, W, C)``
        or ``(n, H*W*C)``: chunks along the first axis are kept (or recut to
        ``chunk_size`` rows); the other axes are merged into one chunk.  A
        sequence of structures (molecules) is cut into ``chunk_size`` of
        them per task.
    chunk_size : int, default=None
        Rows (or structures) per task; ``None`` keeps the dask array's row
        chunks, or cuts structures in 64s.

    Returns
    -------
    Xt : dask.array.Array of shape (n_samples, n_features_out)
        Lazy; ``Xt.compute()`` (or ``dask.array.to_zarr``, ``store``...)
        runs it on the current dask scheduler, e.g. a
        :class:`distributed.Client`'s cluster.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skscatter import ScatteringTransformer
    >>> X = np.random.default_rng(0).random((10, 16, 16))
    >>> est = ScatteringTransformer(J=2, L=4).fit(X)
    >>> Xt = blockwise_transform(est, da.from_array(X, chunks=4))
    >>> Xt.shape, Xt.chunks[0]
    ((10, 400), (4, 4, 2))
    >>> bool(np.array_equal(Xt.compute(scheduler="sync"), est.transform(X)))
    True
    """
    import dask
    import dask.array as da

    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) != chunk_size or chunk_size < 1):
        raise ValueError(f"chunk_size={chunk_size!r} must be a positive integer (rows per task) or None.")
    n_out = len(estimator.get_feature_names_out())
    if not isinstance(X, da.Array):
        return _structure_chunks(estimator, X, n_out, 64 if chunk_size is None else int(chunk_size))
    if X.ndim < 2:
        raise ValueError(f"X has shape {X.shape}; pass a dask array of images or signals with one sample per row.")
    X = X.rechunk({0: X.chunks[0] if chunk_size is None else int(chunk_size), **{k: -1 for k in range(1, X.ndim)}})
    # The output dtype from one sample computed here (transforms keep the
    # dtype of float32 images, and return float64 otherwise).
    probe = np.zeros((1, *X.shape[1:]), dtype=X.dtype)
    dtype = np.asarray(estimator.transform(probe)).dtype
    # Delayed, the fitted model is one key of the graph that every task reads.
    model = dask.delayed(estimator, pure=True)
    return X.map_blocks(
        _transform_block,
        model,
        chunks=(X.chunks[0], (n_out,)),
        drop_axis=list(range(2, X.ndim)),
        dtype=dtype,
        meta=np.empty((0, n_out), dtype=dtype),
    )


def _structure_chunks(estimator, X, n_out, chunk_size):
    import dask
    import dask.array as da

    if isinstance(X, np.ndarray) or not hasattr(X, "__len__"):
        raise ValueError(
            f"X is a {type(X).__name__}; pass a dask array of images or signals (dask.array.from_array(X, chunks=...)) "
            "or a list of structures."
        )
    if len(X) == 0:
        raise ValueError("X holds no structures; pass at least one.")
    dtype = np.asarray(estimator.transform(list(X[:1]))).dtype
    model = dask.delayed(estimator, pure=True)
    transform = dask.delayed(_transform_block, pure=True)
    blocks = []
    for start in range(0, len(X), chunk_size):
        chunk = list(X[start : start + chunk_size])
        blocks.append(da.from_delayed(transform(chunk, model), shape=(len(chunk), n_out), dtype=dtype))
    return da.concatenate(blocks, axis=0)
