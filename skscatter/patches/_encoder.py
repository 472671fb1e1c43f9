"""WhitenedPatchKNNEncoder: the SimplePatch representation of Thiry et al. (2021)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._backend import get_array_module, resolve_backend, to_host
from .._kernels import knn
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, BATCH_SIZE, N_JOBS, VERBOSE, check_execution_params
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions, _check_feature_names_in, _fit_context
from ..utils._validation import overflow_error, validate_images, working_dtype
from ._core import (
    DistanceBuffers,
    atom_products,
    bytes_per_image,
    constants,
    encode_batch,
    encoding_model,
    fits_in,
    row_abs_max,
)
from ._extraction import extract_patches, grid_cells, n_positions, pooling_plan, pyramid_cells, window_cells
from ._whitening import PatchMoments, zca_whitening

# Patches are streamed through the moments this many images at a time.
_FIT_CHUNK = 64
# Past this many images an "auto" batch gains nothing but memory.
_MAX_BATCH = 256


class WhitenedPatchKNNEncoder(TransformerMixin, BaseEstimator):
    r"""Encode images by the K nearest atoms of each whitened patch, pooled.

    The representation of Thiry, Arbel, Belilovsky and Oyallon (2021):
    every ``Q x Q`` patch of an image is whitened with the regularised
    inverse square root of the training patches' covariance, compared with
    a dictionary of ``n_patches`` whitened atoms, and encoded by the
    indicator of its ``K`` nearest atoms (and, with ``negative=True``, of
    the ``K`` nearest atoms of the negated patch).  The indicator maps are
    average-pooled spatially.

    Parameters
    ----------
    patch_size : int, default=6
        Patch side ``Q`` in pixels; at most the smaller image side.
    n_patches : int, default=2048
        Dictionary size ``|D|``; at most the number of patch positions in
        the training images.
    n_neighbors : int or float, default=0.4
        ``K``: an int, or a fraction of ``n_patches`` (``int(n_neighbors *
        n_patches)``); ``1 <= K < n_patches``.
    whitening_reg : float or None, default=1e-3
        ``epsilon`` added to the covariance eigenvalues, ``W = (Sigma +
        epsilon I)^(-1/2)``; ``None`` disables whitening (``W = I``).
    negative : bool, default=True
        Also encode the nearest atoms of ``-z`` (no extra matrix product).
    query_scale : float, default=1.0
        Encode the nearest atoms of ``query_scale * z`` (and of its
        negative) instead of ``z``: the score of atom ``a`` becomes
        ``||a||^2 - 2 query_scale z.a``, so larger values rank atoms more by
        correlation with the patch than by distance.  1 is the method's
        definition.  The authors' code behaves like about 5 on CIFAR-10: it
        divides patches by the channel standard deviations (about 0.2)
        before whitening, but not the atoms; 5 also classifies CIFAR-10
        better than 1 in ``examples/long_cifar10_pyramid.py``.
    stride : int, default=1
        Step between patch positions.
    pooling : {"grid", "window", "pyramid"}, default="grid"
        ``"grid"``: average over ``grid_size x grid_size`` near-equal cells
        (Coates et al. 2011 use 2 x 2); ``"window"``: windows of
        ``pool_size`` every ``pool_stride`` positions, ceil mode (the
        authors' 5 / 3: 27 x 27 positions give 9 x 9 cells);
        ``"pyramid"``: the grids ``1 x 1, 2 x 2, ..., grid_size x grid_size``
        together (a spatial pyramid, Lazebnik et al. 2006: 14 cells for
        ``grid_size=3``), coarse and fine pooling from one encoding pass.
    grid_size : int, default=2
        Cells per side for ``pooling="grid"``, finest level for
        ``pooling="pyramid"``.
    pool_size : int, default=5
        Window side for ``pooling="window"``.
    pool_stride : int, default=3
        Window step for ``pooling="window"``.
    shape : tuple of (int, int), default=None
        Image size ``(H, W)``; see :class:`~skscatter.ScatteringTransformer`.
    n_channels : int, default=None
        Colour channels ``C``; see :class:`~skscatter.ScatteringTransformer`.
    channel_layout : {"last", "first"}, default="last"
        Channel axis position; see :class:`~skscatter.ScatteringTransformer`.
    dictionary : {"random", "kmeans"}, default="random"
        ``"random"`` samples training patches uniformly (without
        repeating a position); ``"kmeans"`` takes the centroids of
        :class:`~sklearn.cluster.MiniBatchKMeans` on whitened patches.
    random_state : int, RandomState instance or None, default=None
        Seeds the dictionary.
    backend : {"auto", "numpy", "numba", "cupy"}, default="auto"
        Who selects the neighbours (the distance product always uses BLAS,
        or cuBLAS with ``"cupy"``).  ``"cupy"`` extracts patches, multiplies,
        selects and pools on the GPU (CUDA kernels) and returns NumPy for
        NumPy input; ``"auto"`` picks it for a cupy ``X``, whose codes then
        stay on the GPU, and numba otherwise.  May change after ``fit``.
    n_jobs : int, default=None
        CPU threads one call may use: batches are encoded concurrently
        (threads through joblib), each on one thread, or a single batch
        uses them all.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context, ``-1`` all cores.  Results
        do not depend on it.
    batch_size : int or "auto", default="auto"
        Images per batch; ``"auto"`` fits the temporaries of the batches in
        flight in ``skscatter.get_config()["working_memory"]`` MiB (on the
        GPU: in a quarter of its free memory, at most 4 GiB, unless
        ``working_memory`` is larger).  GPU batches hold at most 65,535
        images.
    verbose : int, default=0
        Progress of ``fit`` (the patch statistics) and ``transform`` on
        stderr: 1 shows a bar with the rate and the ETA once the call has
        run a few seconds (tqdm's with ``skscatter[progress]``, else a line
        every few seconds), 2 and above from the start with one line per
        batch.  May change after ``fit``; results do not depend on it.

    Attributes
    ----------
    mean_ : ndarray of shape (d,)
        Mean patch, ``d = Q * Q * C`` in ``(y, x, channel)`` order.
    whitening_ : ndarray of shape (d, d)
        ``whitened(p) = (p - mean_) @ whitening_``.
    dictionary_ : ndarray of shape (n_patches, d)
        Raw (unwhitened) atoms.
    n_neighbors_ : int
        ``K``.
    image_shape_ : tuple of (int, int)
        Image size ``(H, W)``.
    n_channels_ : int
        Colour channels ``C``.
    channel_layout_ : str
        Channel axis position of the input.
    patch_grid_ : tuple of (int, int)
        Patch positions per axis.
    pooled_shape_ : tuple of (int, int) or None
        Pooling cells per axis (None for ``pooling="pyramid"``).
    pooling_cells_ : list of ((int, int), (int, int))
        The pooling cells in output order, as ``((y0, y1), (x0, x1))``
        ranges of patch positions.
    n_features_in_ : int
        Number of input features (``H * W * C``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Input feature names, when ``X`` had string column names.

    See Also
    --------
    ScatteringTransformer : Fixed wavelet features of images.
    sklearn.feature_extraction.image.PatchExtractor : Raw patches.

    Notes
    -----
    With ``z = (p - mu) W`` a whitened patch and ``a_k`` the whitened atoms,
    the code of ``p`` is ``1[||z - a_k||^2 < tau_K(z)]`` where ``tau_K(z)``
    is the (K+1)-th smallest distance (ties at the boundary mark fewer than
    ``K`` atoms).  Distances come from one matrix product
    ``(p - mu) W W^T (D - mu)^T``; selection and pooling are fused so that
    the per-position codes are never stored.  On the GPU the K-th distance
    is found exactly by radix selection, and codes equal the CPU's for the
    same product.

    float32 input is computed in float32, except for images whose products
    could overflow it (values near the top of float32's range, or a model
    whose atoms float32 cannot hold to its precision): those are computed
    in float64 and returned in float32.  Where even float64 would overflow,
    ``transform`` raises a ``ValueError``.

    References
    ----------
    .. [1] L. Thiry, M. Arbel, E. Belilovsky and E. Oyallon, "The
       unreasonable effectiveness of patches in deep convolutional kernels
       methods", ICLR 2021.
    .. [2] A. Coates, H. Lee and A. Y. Ng, "An analysis of single-layer
       networks in unsupervised feature learning", AISTATS 2011.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skscatter import WhitenedPatchKNNEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> encoder = WhitenedPatchKNNEncoder(patch_size=3, n_patches=64, shape=(8, 8), random_state=0)
    >>> Xt = encoder.fit(X).transform(X[:5])
    >>> Xt.shape, encoder.n_neighbors_, encoder.pooled_shape_
    ((5, 512), 25, (2, 2))
    """

    _parameter_constraints = {
        "patch_size": [Interval(Integral, 1, None, closed="left")],
        "n_patches": [Interval(Integral, 2, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), Interval(Real, 0, 1, closed="neither")],
        "whitening_reg": [Interval(Real, 0, None, closed="left"), None],
        "negative": ["boolean"],
        "query_scale": [Interval(Real, 0, None, closed="neither")],
        "stride": [Interval(Integral, 1, None, closed="left")],
        "pooling": [StrOptions({"grid", "window", "pyramid"})],
        "grid_size": [Interval(Integral, 1, None, closed="left")],
        "pool_size": [Interval(Integral, 1, None, closed="left")],
        "pool_stride": [Interval(Integral, 1, None, closed="left")],
        "shape": [tuple, list, None],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "channel_layout": [StrOptions({"last", "first"})],
        "dictionary": [StrOptions({"random", "kmeans"})],
        "random_state": ["random_state"],
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "batch_size": BATCH_SIZE,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        patch_size=6,
        n_patches=2048,
        n_neighbors=0.4,
        whitening_reg=1e-3,
        negative=True,
        *,
        query_scale=1.0,
        stride=1,
        pooling="grid",
        grid_size=2,
        pool_size=5,
        pool_stride=3,
        shape=None,
        n_channels=None,
        channel_layout="last",
        dictionary="random",
        random_state=None,
        backend="auto",
        n_jobs=None,
        batch_size="auto",
        verbose=0,
    ):
        self.patch_size = patch_size
        self.n_patches = n_patches
        self.n_neighbors = n_neighbors
        self.whitening_reg = whitening_reg
        self.negative = negative
        self.query_scale = query_scale
        self.stride = stride
        self.pooling = pooling
        self.grid_size = grid_size
        self.pool_size = pool_size
        self.pool_stride = pool_stride
        self.shape = shape
        self.n_channels = n_channels
        self.channel_layout = channel_layout
        self.dictionary = dictionary
        self.random_state = random_state
        self.backend = backend
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the patch mean, the whitening and the dictionary.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Training images (see ``shape``, ``n_channels``, ``channel_layout``).
        y : None
            Ignored.

        Returns
        -------
        self : WhitenedPatchKNNEncoder
            The fitted encoder.
        """
        X, shape, C = validate_images(self, X, reset=True)
        X = to_host(X)
        dtype = working_dtype(X)
        Q, stride = int(self.patch_size), int(self.stride)
        grid, K = self._check_sizes(X, shape)
        images = _images(X, shape, C, self.channel_layout)

        with Progress(len(images), verbose=self.verbose, label=f"{type(self).__name__}.fit", unit="images") as progress:
            mean, covariance = _patch_moments(images, Q, stride, progress)
        if not (np.isfinite(mean).all() and np.isfinite(covariance).all()):
            raise overflow_error(X, "The patch covariance of X")
        if self.whitening_reg is None:
            W = W_inv = np.eye(mean.shape[0])
        else:
            W, W_inv = zca_whitening(covariance, self.whitening_reg)

        rng = check_random_state(self.random_state)
        n_available = X.shape[0] * grid[0] * grid[1]
        if self.dictionary == "random":
            positions = rng.choice(n_available, self.n_patches, replace=False)
            atoms = _sample_patches(images, grid, positions, Q, stride)
        else:
            atoms = self._kmeans_atoms(images, grid, mean, W, W_inv, rng, n_available)

        self.mean_ = mean.astype(dtype)
        self.whitening_ = W.astype(dtype)
        self.dictionary_ = atoms.astype(dtype)
        self.n_neighbors_ = int(K)
        self.image_shape_ = shape
        self.n_channels_ = C
        self.channel_layout_ = self.channel_layout
        self.patch_grid_ = grid
        self.pooling_cells_, self.pooled_shape_, cell_names = self._cells(grid)

        # The model transform computes, from the fitted (rounded) arrays.
        atom_matrix, atom_sq = atom_products(self.mean_, self.whitening_, self.dictionary_)
        if not (np.isfinite(atom_matrix).all() and np.isfinite(atom_sq).all()):
            raise overflow_error(X, "The whitened dictionary of X")
        csr, combine = pooling_plan(self.pooling_cells_, *grid)
        signs = (-2.0, 2.0) if self.negative else (-2.0,)
        self._cell_names = cell_names
        self._model = encoding_model(
            patch_size=Q,
            stride=stride,
            image_shape=shape,
            n_channels=C,
            channel_layout=self.channel_layout,
            n_neighbors=int(K),
            scales=[s * float(self.query_scale) for s in signs],
            pooling=knn.PoolingMap(*csr),
            combine=combine,
            n_features_out=len(signs) * self.n_patches * len(self.pooling_cells_),
            mean=self.mean_,
            atom_matrix=atom_matrix,
            atom_sq=atom_sq,
        )
        return self

    def _check_sizes(self, X, shape):
        """The patch grid and ``K``, or a ValueError naming the parameter to change."""
        Q, stride = self.patch_size, self.stride
        if Q > min(shape):
            raise ValueError(
                f"patch_size={Q} is larger than the images, of shape {shape}; use patch_size <= {min(shape)}."
            )
        grid = (n_positions(shape[0], Q, stride), n_positions(shape[1], Q, stride))
        n_available = X.shape[0] * grid[0] * grid[1]
        if self.n_patches > n_available:
            raise ValueError(
                f"n_patches={self.n_patches} exceeds the {n_available} patch positions in X "
                f"({X.shape[0]} images of shape {shape}, n_features = {X.shape[1]}, patch_size={Q}, "
                f"stride={stride}); lower n_patches or pass more images."
            )
        K = self.n_neighbors if isinstance(self.n_neighbors, Integral) else int(self.n_neighbors * self.n_patches)
        if not 1 <= K < self.n_patches:
            raise ValueError(
                f"n_neighbors={self.n_neighbors!r} gives K={K} nearest atoms, but K must be in "
                f"[1, n_patches - 1] = [1, {self.n_patches - 1}]; change n_neighbors or n_patches."
            )
        return grid, K

    def _kmeans_atoms(self, images, grid, mean, W, W_inv, rng, n_available):
        from sklearn.cluster import MiniBatchKMeans

        n_sample = min(n_available, max(20 * self.n_patches, 10_000))
        positions = rng.choice(n_available, n_sample, replace=False)
        sample = _sample_patches(images, grid, positions, self.patch_size, self.stride)
        kmeans = MiniBatchKMeans(
            n_clusters=self.n_patches, random_state=rng.randint(np.iinfo(np.int32).max), n_init=1, batch_size=4096
        ).fit((sample - mean) @ W)
        # Back to the raw patch space, where the dictionary lives.
        return kmeans.cluster_centers_ @ W_inv + mean

    def _cells(self, grid):
        """Pooling rectangles in output order, the (rows, cols) shape for product layouts, and cell names."""
        if self.pooling == "pyramid":
            levels = range(1, self.grid_size + 1)
            names = [f"g{g}_y{y}_x{x}" for g in levels for y in range(min(g, grid[0])) for x in range(min(g, grid[1]))]
            return pyramid_cells(*grid, levels), None, tuple(names)
        if self.pooling == "grid":
            rows, cols = (grid_cells(n, min(self.grid_size, n)) for n in grid)
        else:
            rows, cols = (window_cells(n, self.pool_size, self.pool_stride) for n in grid)
        names = tuple(f"y{y}_x{x}" for y in range(len(rows)) for x in range(len(cols)))
        return [(r, c) for r in rows for c in cols], (len(rows), len(cols)), names

    def transform(self, X):
        """Encode ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Images laid out as in ``fit``; a cupy array with
            ``backend="auto"`` or ``"cupy"`` is encoded on its GPU.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Pooled codes in ``(sign, atom, y, x)`` C order (sign: ``z`` then
            ``-z``), float32 for float32 input and float64 otherwise; a
            cupy array for cupy input.
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        X, _, _ = validate_images(self, X, reset=False)
        backend = resolve_backend(self.backend, X, owner=type(self).__name__)
        out_xp = get_array_module(X)
        dtype = working_dtype(X)
        batch_size = self.batch_size
        if batch_size != "auto" and knn.max_images(backend) is not None:
            batch_size = min(int(batch_size), knn.max_images(backend))
        plan = plan_execution(
            X.shape[0],
            backend=backend,
            n_jobs=self.n_jobs,
            batch_size=batch_size,
            bytes_per_sample=bytes_per_image(model, dtype.itemsize, backend),
            max_batch=_MAX_BATCH,
        )
        encode = _BatchEncoder(model, dtype, backend, plan)
        result = out_xp.empty((X.shape[0], model.n_features_out), dtype=dtype)
        # Only the parallel numba kernel needs numba's thread count; setting
        # it around the serial one starts numba's thread pool, which only
        # slows the serial kernel down.
        numba_parallel = backend == "numba" and plan.threads > 1
        task = lambda start, stop: encode(X[start:stop])  # noqa: E731
        for start, stop, codes in plan.run(
            task, numba_parallel=numba_parallel, verbose=self.verbose, label=type(self).__name__, unit="images"
        ):
            result[start:stop] = codes if get_array_module(codes) is out_xp else to_host(codes)
        return result

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``{pos,neg}_a{atom}_y{y}_x{x}`` (cell row and column), and
            ``{pos,neg}_a{atom}_g{level}_y{y}_x{x}`` for ``pooling="pyramid"``,
            in output order.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        signs = ["pos", "neg"][: len(self._model.scales)]
        n_atoms = self.dictionary_.shape[0]
        return np.asarray(
            [f"{s}_a{k}_{c}" for s in signs for k in range(n_atoms) for c in self._cell_names], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __getstate__(self):
        # The atom matrix is as large as the dictionary (in float64): it is
        # rebuilt from the fitted arrays on unpickling, by the same
        # arithmetic, rather than stored twice.
        # A copy: on Python >= 3.11 the parent may hand back the live __dict__.
        state = dict(super().__getstate__())
        if "_model" in state:
            state["_model"] = state["_model"]._replace(atom_matrix=None, atom_sq=None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        model = state.get("_model")
        if model is not None and model.atom_matrix is None:
            atom_matrix, atom_sq = atom_products(self.mean_, self.whitening_, self.dictionary_)
            self._model = model._replace(atom_matrix=atom_matrix, atom_sq=atom_sq)


class _BatchEncoder:
    """Encodes batches of image rows for one ``transform`` call.

    Picks each image's working dtype from the overflow bound: float32 rows
    that float32 could not hold are encoded in float64 (and returned in
    float32); rows that could overflow even float64 are encoded with checks,
    and raise the shared overflow error if they do.  The decision is per
    image, so that an image's codes never depend on its batch.
    """

    def __init__(self, model, dtype, backend, plan):
        self.model, self.dtype, self.backend = model, np.dtype(dtype), backend
        self.threads = plan.threads
        self.xp = _cupy() if backend == "cupy" else np
        self._constants = {}
        # One image's distance product for the serial numba kernel (see
        # _core._select_and_pool), else the largest batch's, so that the
        # last, smaller batch reuses the buffer.
        per_image = backend == "numba" and plan.threads == 1
        largest = max((stop - start for start, stop in plan.bounds), default=1)
        self.buffers = DistanceBuffers(1 if per_image else largest)

    def constants(self, dtype):
        # Small (the model's arrays in one dtype); on the GPU, copied there
        # once per call rather than per batch.
        if dtype not in self._constants:
            self._constants[dtype] = constants(self.model, dtype, self.xp)
        return self._constants[dtype]

    def _encode(self, block, dtype, checked):
        codes = encode_batch(
            block, self.constants(dtype), self.model, self.backend, self.threads, self.buffers, checked=checked
        )
        if codes is None:
            raise overflow_error(block.astype(dtype), "The encoding of X")
        return codes

    def __call__(self, block):
        x_max = row_abs_max(block)
        exact = fits_in(self.model, self.dtype, x_max)
        if exact.all():
            return self._encode(block, self.dtype, checked=False)
        if self.dtype == np.float64:
            return self._encode(block, self.dtype, checked=True)
        # float32 input: the rows float32 cannot hold are encoded in float64.
        codes = self.xp.empty((block.shape[0], self.model.n_features_out), dtype=self.dtype)
        rows_of = get_array_module(block).asarray
        narrow, wide = np.flatnonzero(exact), np.flatnonzero(~exact)
        if narrow.size:
            codes[self.xp.asarray(narrow)] = self._encode(block[rows_of(narrow)], self.dtype, checked=False)
        checked = not fits_in(self.model, np.float64, x_max[wide]).all()
        wide_codes = self._encode(block[rows_of(wide)], np.dtype(np.float64), checked=checked)
        codes[self.xp.asarray(wide)] = wide_codes.astype(self.dtype)
        return codes


def _cupy():
    import cupy  # resolve_backend has checked that it imports

    return cupy


def _images(X, shape, C, channel_layout):
    """``(n, H*W*C)`` rows as ``(n, H, W, C)`` images (a view)."""
    n = X.shape[0]
    if channel_layout == "first":
        return X.reshape(n, C, *shape).transpose(0, 2, 3, 1)
    return X.reshape(n, *shape, C)


def _patch_moments(images, Q, stride, progress=None):
    """Mean and covariance of all patches, streamed (never all patches at once), in float64."""
    moments = PatchMoments()
    d = Q * Q * images.shape[-1]
    # Overflow (float64 input beyond ~1e154) is checked by the caller.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(images), _FIT_CHUNK):
            patches = extract_patches(images[start : start + _FIT_CHUNK], Q, stride, dtype=np.float64)
            moments.update(patches.reshape(-1, d))
            if progress is not None:
                progress.update(min(_FIT_CHUNK, len(images) - start))
        return moments.mean(), moments.covariance()


def _sample_patches(images, grid, flat_positions, Q, stride):
    """Patches at flat indices into (image, y, x) positions."""
    img, rest = np.divmod(flat_positions, grid[0] * grid[1])
    y, x = np.divmod(rest, grid[1])
    return np.stack(
        [images[i, yy * stride : yy * stride + Q, xx * stride : xx * stride + Q, :].ravel() for i, yy, xx in zip(img, y, x)]
    )
