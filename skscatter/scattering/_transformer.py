"""ScatteringTransformer: 2D Morlet wavelet scattering as a scikit-learn transformer."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import get_array_module, resolve_backend, to_host
from .._kernels.fourier import get_fourier_ops
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, BATCH_SIZE, N_JOBS, VERBOSE, check_execution_params
from ..utils._sklearn_compat import Interval, StrOptions, _check_feature_names_in, _fit_context
from ..utils._validation import overflow_error, validate_images, working_dtype
from ._angular import angular_filter_bank
from ._core import n_paths, output_size, pad_images, scattering_2d, scattering_paths
from ._filter_bank import filter_bank, filter_bank_for, padded_shape
from ._gradient import pad_images_adjoint, scattering_2d_vjp
from ._precision import scatter_in_range


class _Model(NamedTuple):
    """What ``fit`` resolved: the function ``transform`` computes."""

    J: int
    L: int
    max_order: int
    image_shape: tuple
    n_channels: int
    channel_layout: str
    padded_shape: tuple
    average: bool
    log_eps: float  # None without the log
    n_features_out: int
    angular: np.ndarray = None  # (R, L) complex128: the roto-translation layer's angular filters


def _angular_for(model, dtype, ops):
    """The model's angular filters in the complex dtype matching ``dtype``, on the backend's device."""
    if model.angular is None:
        return None
    return ops.asarray(model.angular.astype(np.result_type(dtype, np.complex64)))


def _channel_images(block, model, ops, dtype):
    """``(b, H*W*C)`` rows -> contiguous ``(b * C, H, W)`` images in ``dtype`` on the backend's device.

    The one copy of the input a batch makes: channel-last colour rows are
    transposed here, a batch at a time, never the whole input.
    """
    b = block.shape[0]
    H, W = model.image_shape
    C = model.n_channels
    if model.channel_layout == "last" and C > 1:
        block = block.reshape(b, H, W, C).transpose(0, 3, 1, 2)
    xp = get_array_module(block)
    images = xp.ascontiguousarray(block, dtype=dtype).reshape(b * C, H, W)
    return ops.asarray(images)


def _scatter_batch(images, model, ops):
    """Scattering of ``(B, H, W)`` images: ``(B, n_paths, H', W')``, or ``(B, n_paths)`` averaged.

    ``None`` when the arithmetic overflowed the images' dtype.
    """
    bank = filter_bank_for(ops, *model.padded_shape, model.J, model.L, images.dtype)
    xp = ops.xp
    # Overflow (float32 input near its limit) is handled by the caller, so
    # numpy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        x = pad_images(images, model.padded_shape, xp)
        S = scattering_2d(x, bank, model.max_order, ops, _angular_for(model, images.dtype, ops))
        if model.average:
            S = S.mean(axis=(2, 3))
        if model.log_eps is not None:
            S = xp.log(xp.abs(S) + model.log_eps)
    return S if bool(xp.isfinite(S).all()) else None


def _bytes_per_sample(model, itemsize, backend):
    """Temporaries of one sample (all its channels) while its batch is scattered."""
    # In units of M * N real values per channel-image: the padded image and
    # its spectrum (~2), the first-order maps at full resolution (complex,
    # modulus, half spectrum: ~4 L), the second-order maps at half
    # resolution (~0.75 L**2).  The array-expression backends also hold each
    # product before folding (~2 L**2 more).  Freed buffers are not all
    # returned to the OS at once, hence the factor 2.  The roto-translation
    # layer also holds the R angular outputs of each second-order map
    # (complex then modulus, at half resolution: ~0.75 R L).
    M, N = model.padded_shape
    L = model.L
    units = 2 + 4 * L
    if model.max_order == 2 and model.J > 1:
        units += 0.75 * L * L + (2 * L * L if backend != "numba" else 0)
        if model.angular is not None:
            units += 0.75 * model.angular.shape[0] * L
    return 2 * units * M * N * itemsize * model.n_channels


def _input_shape(X):
    shape = getattr(X, "shape", None)
    return tuple(shape) if shape is not None else np.shape(X)


def _validate_cotangent(cotangent, n_samples, n_features, xp):
    """A real, finite ``(n_samples, n_features)`` array of coefficients (``n_samples`` None: any)."""
    g = xp.asarray(cotangent) if xp is not np else np.asarray(cotangent)
    if g.ndim != 2 or g.shape[1] != n_features or (n_samples is not None and g.shape[0] != n_samples):
        expected = f"({n_samples if n_samples is not None else 'n_samples'}, {n_features})"
        raise ValueError(
            f"The coefficients have shape {tuple(g.shape)}, but this transformer's output is {expected}; "
            "pass an array shaped like transform's output."
        )
    if g.dtype.kind not in "biuf" or not bool(xp.isfinite(g).all()):
        raise ValueError("The coefficients must be finite real numbers; remove NaN or infinity.")
    return g


def _vjp_batch(images, g, model, ops):
    """Gradient for ``(B * C, H, W)`` images of ``<S, g>``, ``g`` the batch's ``(B, n_features_out)`` rows."""
    xp = ops.xp
    dtype = images.dtype
    bank = filter_bank_for(ops, *model.padded_shape, model.J, model.L, dtype)
    Ho, Wo = bank.lowpass_rows[0].shape[0], bank.lowpass_cols[0].shape[0]
    angular = _angular_for(model, dtype, ops)
    n_p = n_paths(model.J, model.L, model.max_order, None if angular is None else angular.shape[0])
    g = xp.asarray(g, dtype=dtype).reshape(images.shape[0], n_p, *((1, 1) if model.average else (Ho, Wo)))
    with np.errstate(over="ignore", invalid="ignore"):
        x = pad_images(images, model.padded_shape, xp)
        if model.log_eps is not None:
            # d log(|S| + eps) = sign(S) dS / (|S| + eps), S after any averaging.
            S = scattering_2d(x, bank, model.max_order, ops, angular)
            if model.average:
                S = S.mean(axis=(2, 3), keepdims=True)
            g = g * xp.sign(S) / (xp.abs(S) + model.log_eps)
        if model.average:
            g = xp.broadcast_to(g / (Ho * Wo), (*g.shape[:2], Ho, Wo))
        gx = scattering_2d_vjp(x, xp.ascontiguousarray(g), bank, model.max_order, ops, angular)
        return pad_images_adjoint(gx, model.image_shape, model.padded_shape, xp)


def _to_input_layout(grad, model):
    """``(b * C, H, W)`` gradients -> ``(b, H*W*C)`` rows in the input's channel layout."""
    H, W = model.image_shape
    C = model.n_channels
    grad = grad.reshape(-1, C, H, W)
    if model.channel_layout == "last" and C > 1:
        grad = grad.transpose(0, 2, 3, 1)
    return grad.reshape(grad.shape[0], -1)


def _on_cpu(estimator):
    from sklearn.base import clone

    cpu = clone(estimator).set_params(backend="numpy")
    cpu.__dict__.update({k: v for k, v in estimator.__dict__.items() if k.endswith("_") or k == "_model"})
    return cpu


class ScatteringTransformer(TransformerMixin, BaseEstimator):
    r"""2D Morlet wavelet scattering transform of images.

    Computes the scattering coefficients of Bruna & Mallat (2013) exactly as
    kymatio's ``Scattering2D`` defines them (same filters, padding,
    subsampling and path order), with fused numba kernels and threaded FFTs
    on the CPU and an optional cupy path on the GPU.  Features are stable to
    translations smaller than ``2**J`` pixels and to small deformations.

    Parameters
    ----------
    J : int, default=2
        Number of dyadic scales; the averaging window is ``2**J`` pixels and
        maps are sampled every ``2**J`` pixels.
    L : int, default=8
        Number of wavelet orientations in :math:`[0, \pi)`.
    max_order : {1, 2}, default=2
        Highest scattering order.
    shape : tuple of (int, int), default=None
        Image size ``(H, W)``.  ``None`` takes it from ``(n, H, W[, C])``
        input, or, for flattened input, reads ``H * W`` pixels as a square
        (as a ``1 x n`` row, with a warning, when not a perfect square).
    second_order : {"translation", "roto-translation"}, default="translation"
        The second layer's wavelets (used with ``max_order=2``).
        ``"translation"``: kymatio's, ``|x * psi_{j1,t1}| * psi_{j2,t2}``.
        ``"roto-translation"``: the joint space-angle layer of Oyallon &
        Mallat (2015): those complex maps are also filtered along ``t1``
        by a small bank of periodic wavelets and a low-pass (two angular
        octaves, both senses of rotation) before the modulus: the
        coefficients record how the response varies with the orientation,
        and the angular low-pass averages neighbouring orientations.  It
        needs ``L >= 4``; with ``L=8``, each ``(j1, j2, t2)`` has 28
        angular outputs instead of 8.
    n_channels : int, default=None
        Number of colour channels ``C``.  ``None`` takes it from 4D input and
        means 1 for 2D and 3D input.  Each channel is scattered separately.
    channel_layout : {"last", "first"}, default="last"
        Where the channel axis is: ``(n, H, W, C)`` / flattened ``H, W, C``
        (NumPy image convention, e.g. CIFAR-10 arrays) for ``"last"``;
        ``(n, C, H, W)`` / flattened ``C, H, W`` (torch convention) for
        ``"first"``.  Never guessed.
    output : {"maps", "mean"}, default="maps"
        ``"maps"`` returns every coefficient of every coarse position;
        ``"mean"`` averages each path over positions (fully translation
        invariant, ``C * n_paths`` features).
    log : bool, default=False
        Return :math:`\log(|S| + \varepsilon)` instead of :math:`S`, the
        non-linearity of Oyallon & Mallat (2015); follow it with a
        ``StandardScaler``.
    log_eps : float, default=1e-6
        The :math:`\varepsilon` of ``log``.
    backend : {"auto", "numpy", "numba", "cupy"}, default="auto"
        Who computes.  ``"auto"`` uses cupy for cupy input and numba
        otherwise; ``"numpy"`` uses array expressions only; ``"cupy"`` runs on
        the GPU and returns NumPy for NumPy input (so a ``Pipeline`` keeps
        working).  All compute the same function.
    n_jobs : int, default=None
        Parallel workers.  Batches of images are transformed concurrently
        through :class:`joblib.Parallel` (threads by default; a
        ``joblib.parallel_config(backend=...)`` context such as dask spreads
        them further), each with serial kernels; a single batch uses
        ``n_jobs`` numba threads and ``scipy.fft`` workers instead.
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all cores.  Results do not depend on ``n_jobs``.
    batch_size : int or "auto", default="auto"
        Samples transformed at once.  ``"auto"`` takes at most 64, and fewer
        when the temporaries of the concurrent batches would exceed
        ``skscatter.get_config()["working_memory"]`` MiB (64 by default):
        memory stays bounded whatever the number of samples.
    verbose : int, default=0
        Progress of ``transform`` on stderr: 1 shows a bar with the rate
        and the ETA once the call has run a few seconds (tqdm's with
        ``skscatter[progress]``, else a line every few seconds), 2 and
        above from the start with one line per batch.  May change after
        ``fit``; results do not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Number of input features (``H * W * C``).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Input feature names, when ``X`` had string column names.
    image_shape_ : tuple of (int, int)
        Image size ``(H, W)`` used.
    n_channels_ : int
        Number of colour channels ``C``.
    padded_shape_ : tuple of (int, int)
        Size of the padded grid, ``2**J * (size // 2**J + 2)`` per axis.
    output_shape_ : tuple of (int, int)
        Coarse positions ``(H', W')`` per map: ``max(1, size // 2**J)``.
    n_paths_ : int
        Scattering paths per channel: ``1 + J L + L^2 J (J - 1) / 2`` at
        ``max_order=2`` (``1 + J L + R L J (J - 1) / 2`` with the ``R``
        angular outputs of the roto-translation layer).
    paths_ : list of tuple
        ``(order, j1, theta1, j2, theta2)`` of each path in output order
        (``-1`` where not applicable); for the roto-translation layer the
        second-order paths hold the angular output ``r`` (a row of
        ``angular_filters_``) in place of ``theta1``.
    angular_filters_ : ndarray of shape (R, L), complex, or None
        The roto-translation layer's filtering along ``theta1`` (row ``r``
        gives angular output ``r``); ``None`` for the translation layer.
    angular_labels_ : list of str or None
        Name of each angular output: ``k0p_a3`` is sample 3 of the finest
        angular wavelet, ``k0m`` its mirror (the other sense of rotation),
        ``k1p`` / ``k1m`` the next octave, ``lp`` the low-pass.
    filters_ : MorletFilterBank
        Fourier-domain filters (``phi``, ``psi``) for the padded grid,
        shared with other estimators through a cache.

    See Also
    --------
    sklearn.feature_extraction.image.PatchExtractor : Raw image patches.
    sklearn.kernel_approximation.RBFSampler : Random Fourier features.

    Notes
    -----
    With :math:`\phi_J` the low-pass filter and :math:`\psi_{j,\theta}`
    the Morlet wavelets,

    .. math::

        S_0 x = x \star \phi_J, \quad
        S_1 x = |x \star \psi_{j_1,\theta_1}| \star \phi_J, \quad
        S_2 x = ||x \star \psi_{j_1,\theta_1}| \star \psi_{j_2,\theta_2}|
        \star \phi_J \;(j_2 > j_1),

    sampled every :math:`2^J` pixels.  The output is flattened in
    ``(channel, path, y, x)`` C order: ``X_t.reshape(n, C, n_paths_, H',
    W')`` is kymatio's layout.  Images are reflect-padded, so any size works,
    down to a single pixel along one axis; an axis shorter than ``2**J``
    keeps one coarse sample.

    References
    ----------
    .. [1] J. Bruna and S. Mallat, "Invariant scattering convolution
       networks", IEEE TPAMI 35(8), 2013. https://doi.org/10.1109/TPAMI.2012.230
    .. [2] M. Andreux et al., "Kymatio: Scattering transforms in Python",
       JMLR 21(60), 2020.
    .. [3] E. Oyallon and S. Mallat, "Deep roto-translation scattering for
       object classification", CVPR 2015. https://doi.org/10.1109/CVPR.2015.7298904

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skscatter import ScatteringTransformer
    >>> X, y = load_digits(return_X_y=True)
    >>> scattering = ScatteringTransformer(J=1, shape=(8, 8)).fit(X)
    >>> Xt = scattering.transform(X[:5])
    >>> Xt.shape, scattering.n_paths_, scattering.output_shape_
    ((5, 144), 9, (4, 4))
    >>> scattering.get_feature_names_out()[[0, 16, 143]].tolist()
    ['s0_y0_x0', 's1_j0_t0_y0_x0', 's1_j0_t7_y3_x3']
    """

    _parameter_constraints = {
        "J": [Interval(Integral, 1, None, closed="left")],
        "L": [Interval(Integral, 1, None, closed="left")],
        "max_order": [Interval(Integral, 1, 2, closed="both")],
        "second_order": [StrOptions({"translation", "roto-translation"})],
        "shape": [tuple, list, None],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "channel_layout": [StrOptions({"last", "first"})],
        "output": [StrOptions({"maps", "mean"})],
        "log": ["boolean"],
        "log_eps": [Interval(Real, 0, None, closed="neither")],
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "batch_size": BATCH_SIZE,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        J=2,
        L=8,
        max_order=2,
        shape=None,
        *,
        second_order="translation",
        n_channels=None,
        channel_layout="last",
        output="maps",
        log=False,
        log_eps=1e-6,
        backend="auto",
        n_jobs=None,
        batch_size="auto",
        verbose=0,
    ):
        self.J = J
        self.L = L
        self.max_order = max_order
        self.shape = shape
        self.second_order = second_order
        self.n_channels = n_channels
        self.channel_layout = channel_layout
        self.output = output
        self.log = log
        self.log_eps = log_eps
        self.backend = backend
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the image layout and build the filter bank.

        Nothing is learned from the pixel values: the scattering transform is
        fixed.  ``fit`` records the layout and fetches the filters from a
        module-level cache, so refitting clones is cheap.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Training images (see ``shape``, ``n_channels`` and
            ``channel_layout``).
        y : None
            Ignored.

        Returns
        -------
        self : ScatteringTransformer
            The fitted transformer.
        """
        X, shape, n_channels = validate_images(self, X, reset=True)
        largest_J = int(np.log2(max(shape)))
        if self.J > largest_J:
            fix = f"use J <= {largest_J}" if largest_J >= 1 else "pass images with at least 2 pixels along one axis"
            raise ValueError(
                f"J={self.J} is too large for images of shape {shape} (n_features = {X.shape[1]}): "
                f"the averaging window 2**J={2**self.J} pixels exceeds the image along both axes; {fix}."
            )
        J, L, max_order = int(self.J), int(self.L), int(self.max_order)
        self.image_shape_ = shape
        self.n_channels_ = n_channels
        self.channel_layout_ = self.channel_layout
        self.padded_shape_ = padded_shape(shape, J)
        self.output_shape_ = tuple(output_size(s, J) for s in shape)
        angular, labels = None, None
        if self.second_order == "roto-translation" and max_order == 2:
            angular, labels = angular_filter_bank(L)  # refuses L < 4
        self.angular_filters_ = angular
        self.angular_labels_ = labels
        n_angular = None if angular is None else angular.shape[0]
        self.n_paths_ = n_paths(J, L, max_order, n_angular)
        self.paths_ = scattering_paths(J, L, max_order, n_angular)
        self.filters_ = filter_bank(*self.padded_shape_, J, L, np.float64)
        average = self.output == "mean"
        positions = 1 if average else self.output_shape_[0] * self.output_shape_[1]
        self._model = _Model(
            J=J,
            L=L,
            max_order=max_order,
            image_shape=shape,
            n_channels=n_channels,
            channel_layout=self.channel_layout,
            padded_shape=self.padded_shape_,
            average=average,
            log_eps=float(self.log_eps) if self.log else None,
            n_features_out=n_channels * self.n_paths_ * positions,
            angular=angular,
        )
        return self

    def transform(self, X):
        """Compute the scattering coefficients of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Images laid out as in ``fit``; a cupy array with
            ``backend="auto"`` or ``"cupy"`` is transformed on its GPU.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Coefficients in ``(channel, path, y, x)`` order (``(channel,
            path)`` for ``output="mean"``), float32 for float32 input and
            float64 otherwise; a cupy array for cupy input.
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        X, _, _ = validate_images(self, X, reset=False)
        backend = resolve_backend(self.backend, X, owner=type(self).__name__)
        out_xp = get_array_module(X)
        dtype = working_dtype(X)
        n = X.shape[0]
        plan = plan_execution(
            n,
            backend=backend,
            n_jobs=self.n_jobs,
            batch_size=self.batch_size,
            bytes_per_sample=_bytes_per_sample(model, dtype.itemsize, backend),
            # Past ~64 images a batch gains nothing but cache misses.
            max_batch=64,
        )
        # Concurrent batches run serial kernels and one FFT worker each; a
        # single batch uses all the plan's threads inside its kernels.
        ops = get_fourier_ops(backend, plan.threads)

        def scatter(start, stop):
            images = _channel_images(X[start:stop], model, ops, dtype)
            S = scatter_in_range(lambda data: _scatter_batch(data, model, ops), images, ops.xp)
            if S is None:
                raise overflow_error(X[start:stop], "The scattering of X")
            return S.reshape(stop - start, -1)

        result = out_xp.empty((n, model.n_features_out), dtype=dtype)
        for start, stop, block in plan.run(
            scatter, numba_parallel=plan.threads > 1, verbose=self.verbose, label=type(self).__name__, unit="images"
        ):
            result[start:stop] = block if out_xp is ops.xp else to_host(block)
        return result

    def vjp(self, X, cotangent):
        """Vector-Jacobian product: the gradient of ``<transform(X), cotangent>`` with respect to ``X``.

        Exact (the adjoint of every step of the transform, not automatic
        differentiation), for every order, ``output`` and ``log`` option,
        grey or colour.  The modulus is not differentiable at 0; its
        subgradient 0 is used there.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Images laid out as in ``fit``.
        cotangent : array-like of shape (n_samples, n_features_out)
            Weights of the output coefficients (e.g. the gradient of a loss
            with respect to ``transform(X)``).

        Returns
        -------
        grad : ndarray of the shape of ``X``
            Float32 for float32 input, float64 otherwise; a cupy array for
            cupy input.

        Examples
        --------
        >>> import numpy as np
        >>> from skscatter import ScatteringTransformer
        >>> X = np.random.default_rng(0).normal(size=(2, 8, 8))
        >>> est = ScatteringTransformer(J=1, L=4).fit(X)
        >>> w = np.ones((2, est.n_paths_ * 16))
        >>> est.vjp(X, w).shape
        (2, 8, 8)
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        input_shape = _input_shape(X)
        X, _, _ = validate_images(self, X, reset=False)
        backend = resolve_backend(self.backend, X, owner=type(self).__name__)
        out_xp = get_array_module(X)
        cotangent = _validate_cotangent(cotangent, X.shape[0], model.n_features_out, out_xp)
        dtype = working_dtype(X)
        n = X.shape[0]
        plan = plan_execution(
            n,
            backend=backend,
            n_jobs=self.n_jobs,
            batch_size=self.batch_size,
            # The forward maps of one scale at a time are kept for the backward
            # pass, beside the adjoint's: tracemalloc puts the peak within the
            # transform's estimate, whose allocator slack (2x) this keeps.
            bytes_per_sample=_bytes_per_sample(model, dtype.itemsize, backend),
            # The backward pass reads the forward's maps again: batches
            # small enough for them to stay in cache pay.
            max_batch=16,
        )
        ops = get_fourier_ops(backend, plan.threads)

        def gradient(start, stop):
            images = _channel_images(X[start:stop], model, ops, dtype)
            g = ops.asarray(cotangent[start:stop])
            grad = _vjp_batch(images, g, model, ops)
            if not bool(ops.xp.isfinite(grad).all()):
                raise overflow_error(X[start:stop], "The gradient of the scattering of X")
            return _to_input_layout(grad, model)

        result = out_xp.empty(X.shape, dtype=dtype)
        for start, stop, block in plan.run(gradient, numba_parallel=plan.threads > 1):
            result[start:stop] = block if out_xp is ops.xp else to_host(block)
        return result.reshape(input_shape)

    def inverse_transform(self, X, *, max_iter=1000, tol=1e-12, n_restarts=10, random_state=None):
        """Find images whose scattering coefficients are ``X``, by L-BFGS.

        Minimises ``0.5 * ||transform(x) - X[i]||**2`` over images ``x``,
        one sample at a time, from seeded white noise (standard deviation 1),
        with gradients from :meth:`vjp` and ``scipy.optimize``'s L-BFGS-B.
        Scattering is invariant to translations smaller than ``2**J`` and
        loses the phase of the wavelet coefficients, so the answer is *one*
        image of the set that shares these coefficients, not necessarily the
        image they came from; the smaller ``J``, the closer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_out)
            Scattering coefficients, as ``transform`` returns them.
        max_iter : int, default=1000
            L-BFGS iterations per start.
        tol : float, default=1e-12
            L-BFGS stops when the relative decrease of the loss falls below
            ``tol`` (its ``ftol``); a start is good enough when the squared
            relative coefficient error is below ``tol``.
        n_restarts : int, default=10
            White-noise starts tried per sample until one is good enough
            (the loss is not convex: a start can end in a local minimum);
            the best is kept.
        random_state : int, RandomState or None, default=None
            Seeds the white-noise start.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Flattened images in the layout of ``fit``'s input.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from skscatter import ScatteringTransformer
        >>> X = load_digits().data[:1] / 16
        >>> est = ScatteringTransformer(J=1, L=8, shape=(8, 8)).fit(X)
        >>> S = est.transform(X)
        >>> X_hat = est.inverse_transform(S, random_state=0)
        >>> error = np.linalg.norm(est.transform(X_hat) - S) / np.linalg.norm(S)
        >>> bool(error < 1e-3)
        True
        """
        from scipy.optimize import minimize
        from sklearn.utils import check_random_state

        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        Xt = _validate_cotangent(X, None, model.n_features_out, np).astype(np.float64)
        for name, value, low in (("max_iter", max_iter, 1), ("n_restarts", n_restarts, 1)):
            if not (isinstance(value, Integral) and not isinstance(value, bool) and value >= low):
                raise ValueError(f"{name}={value!r} must be a positive int.")
        rng = check_random_state(random_state)
        # One image at a time through the core functions (no per-call
        # validation): L-BFGS calls the loss hundreds of times.
        ops = get_fourier_ops(resolve_backend(self.backend, Xt, owner=type(self).__name__), 1)
        n_in = self.n_features_in_

        def loss(flat, target):
            images = _channel_images(flat[None], model, ops, np.float64)
            S = _scatter_batch(images, model, ops)
            if S is None:
                return np.inf, np.zeros_like(flat)
            residual = to_host(S).reshape(-1) - target
            grad = _to_input_layout(_vjp_batch(images, ops.asarray(residual[None]), model, ops), model)
            return 0.5 * float(residual @ residual), to_host(grad).reshape(-1)

        out = np.empty((Xt.shape[0], n_in))
        for i, target in enumerate(Xt):
            best = None
            for _ in range(n_restarts):
                found = minimize(
                    loss,
                    rng.standard_normal(n_in),
                    args=(target,),
                    jac=True,
                    method="L-BFGS-B",
                    options=dict(maxiter=max_iter, ftol=tol, gtol=0.0, maxcor=20),
                )
                if best is None or found.fun < best.fun:
                    best = found
                # Good enough: the relative coefficient error is below sqrt(tol).
                if 2 * best.fun <= tol * float(target @ target):
                    break
            out[i] = best.x
        return out

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; output names do not
            depend on them.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``[c{c}_]s0``, ``[c{c}_]s1_j{j1}_t{theta1}`` or
            ``[c{c}_]s2_j{j1}_t{theta1}_j{j2}_t{theta2}`` (for the
            roto-translation layer ``[c{c}_]s2_j{j1}_{label}_j{j2}_t{theta2}``,
            ``label`` from ``angular_labels_``), followed by
            ``_y{y}_x{x}`` for ``output="maps"``; the channel prefix only
            when ``n_channels_ > 1``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        names = []
        for order, j1, t1, j2, t2 in self.paths_:
            if order == 0:
                names.append("s0")
            elif order == 1:
                names.append(f"s1_j{j1}_t{t1}")
            elif self.angular_labels_ is not None:
                names.append(f"s2_j{j1}_{self.angular_labels_[t1]}_j{j2}_t{t2}")
            else:
                names.append(f"s2_j{j1}_t{t1}_j{j2}_t{t2}")
        names = np.asarray(names, dtype=object)
        if not self._model.average:
            Ho, Wo = self.output_shape_
            positions = np.asarray([f"_y{y}_x{x}" for y in range(Ho) for x in range(Wo)], dtype=object)
            names = (names[:, None] + positions[None, :]).ravel()
        if self.n_channels_ > 1:
            prefixes = np.asarray([f"c{c}_" for c in range(self.n_channels_)], dtype=object)
            names = (prefixes[:, None] + names[None, :]).ravel()
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __getstate__(self):
        # Filters are rebuilt from the cache on unpickling (GPU copies live in
        # a module-level cache, never on the estimator), so pickles stay small
        # and a model pickled on a GPU machine loads on a CPU one.
        # A copy: on Python >= 3.11 the parent may hand back the live __dict__.
        state = dict(super().__getstate__())
        state.pop("filters_", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_model" in state:
            model = state["_model"]
            self.filters_ = filter_bank(*model.padded_shape, model.J, model.L, np.float64)
