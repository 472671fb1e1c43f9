"""A linear classifier on feature maps, factored through a bottleneck and fitted by SGD on streamed rows."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._block_ridge import _check_finite, _max_abs, _rows_in_working_memory
from ._tiled import tiles
from ._validation import validate_labelled_rows, validate_rows

# float32 rows up to this size are centred in float32 without overflow.
_FLOAT32_SAFE = 1e30

# Initial kernel B, relative to the scale that would give unit-variance
# scores: small, so that the first scores are near zero (uniform
# probabilities), but not zero, since a zero A and B is a stationary point
# (the gradient with respect to each is linear in the other).
_KERNEL_INIT_SCALE = 0.01


class FactoredLinearClassifier(ClassifierMixin, BaseEstimator):
    r"""Multinomial linear classifier on ``C x H x W`` maps, factored through a bottleneck, fitted by SGD.

    The classifier head of Thiry et al. (2021) on their whitened-patch
    encoding: each row of ``X`` is a map of ``C`` channels on an ``H x W``
    grid, standardised channel by channel (a batch normalisation frozen
    at the training statistics), projected at every position on
    ``n_components`` directions (a ``1 x 1`` convolution ``A``), convolved
    with a ``k x k`` kernel ``B`` per class and averaged over the output
    positions, plus an intercept per class.  There is no nonlinearity, so
    the scores are linear in ``X``: the model is a multinomial logistic
    regression whose weights, seen as a ``C x (n_classes k k)`` matrix,
    have rank at most ``n_components``.  With ``C`` of 4096 (2048 atoms,
    two signs) on a ``6 x 6`` map, an unfactored linear model has 147,456
    weights per class; the factored one has ``4096 n_components`` shared
    and ``36 n_components`` per class.

    ``X`` is never copied: float16, float32 and float64 arrays (a
    :class:`numpy.memmap` included) are read ``block_size`` rows at a time.
    Each epoch visits the blocks in a random order and the rows of each
    block in a random order, so that a memory map is read in contiguous
    stretches; minibatches of ``batch_size`` rows are cut from that
    sequence.  The order depends on ``random_state``, ``batch_size`` and
    ``block_size``: a different ``block_size`` gives another sampling order
    (and so other weights, of similar quality), except that every
    ``block_size >= n_samples`` gives one uniform shuffle of all rows.
    Training is in float32; the channel statistics are accumulated in
    float64, and float64 rows are standardised in float64 before the cast
    (float16 and float32 rows in float32).  Scores and probabilities are
    computed in float64.

    Parameters
    ----------
    n_components : int, default=128
        Width ``R`` of the bottleneck (the ``1 x 1`` convolution's output
        channels).  The authors used 64 with their K-nearest-neighbour
        encoding (2048 and 16,384 atoms), 128 with their radius encoding of
        16,384 atoms and more.
        At least ``min(C, n_classes k k)`` makes the factorisation
        unconstrained (a plain multinomial logistic regression).
    map_shape : tuple of (int, int, int), default=None
        ``(C, H, W)``: channels and grid of each row's map, with
        ``C * H * W = n_features``.  ``None``: each feature is a channel
        on a ``1 x 1`` grid.  For the codes of
        :class:`~skscatter.WhitenedPatchKNNEncoder` with ``pooling="grid"``
        or ``"window"``, pass ``(2 * n_patches, *encoder.pooled_shape_)``
        (``n_patches`` without ``negative``) and ``channel_layout="first"``.
    channel_layout : {"first", "last"}, default="first"
        Order of each row: ``"first"`` for ``(C, H, W)`` C order (channel
        slowest, as the encoder's ``(sign, atom, y, x)`` codes),
        ``"last"`` for ``(H, W, C)`` (channel fastest).
    kernel_size : int, default=None
        Side ``k`` of the per-class convolution, at most ``min(H, W)``;
        ``None``: the whole map (``H x W``, one output position), as the
        authors' ``6 x 6`` convolution on their ``6 x 6`` map.
    alpha : float, default=0.0
        Weight decay: ``alpha / 2 (||A||^2 + ||B||^2)`` is added to the
        mean cross-entropy (intercepts are not penalised).  The authors
        used none.  On the product ``A B`` this is a trace-norm penalty,
        not a squared one.
    max_shift : int, default=0
        Translation augmentation, the authors' random crops seen on the
        map: in every epoch each training map is shifted by a whole number
        of cells drawn uniformly in ``[-max_shift, max_shift]``, along each
        axis independently; the cells that enter are filled with the channel
        means (zero once standardised) and those that leave are dropped.
        0: the maps as they are.  At most ``min(H, W) - 1``.  Prediction
        reads the maps unshifted.
    learning_rate : float, default=3e-3
        Initial step size (the authors' 3e-3), multiplied by 0.1 after
        5/8 and again after 15/16 of ``max_iter`` epochs (their epochs 50
        and 75 of 80).
    momentum : float, default=0.9
        Heavy-ball momentum, in ``[0, 1)``: ``v <- momentum v + g``,
        ``theta <- theta - step v`` (PyTorch's SGD).
    max_iter : int, default=80
        Epochs (passes over ``X``); all are run.
    batch_size : int, default=128
        Rows per minibatch (the last of an epoch may be smaller).
    block_size : int or "auto", default="auto"
        Rows of ``X`` read at a time; ``"auto"``: as many rows as fit, in
        float64, in the ``working_memory`` of :func:`skscatter.get_config`,
        at most 8192.  Bounds the memory of ``fit`` and ``predict``
        (about three blocks in float64), whatever ``n_samples``.  A model
        parameter, since it sets the sampling order: its value at ``fit``
        also sizes the blocks of ``predict`` (``"auto"``: the working
        memory at the time of the call).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights and the order of the rows (a
        :class:`numpy.random.Generator` seeded from it).
    verbose : int, default=0
        Print the learning rate and mean loss of each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    components_ : ndarray of shape (C, n_components)
        The bottleneck ``A``: ``z_p = A^T x_p`` at each position ``p`` of
        the standardised map (float32).
    kernel_ : ndarray of shape (n_classes, n_components, k_H, k_W)
        The per-class convolution ``B`` (float32).
    intercept_ : ndarray of shape (n_classes,)
        Per-class intercepts (float32).
    mean_ : ndarray of shape (C,)
        Channel means over samples and positions.
    scale_ : ndarray of shape (C,)
        Channel standard deviations over samples and positions (1 for a
        constant channel).
    map_shape_ : tuple of (int, int, int)
        ``(C, H, W)``.
    kernel_shape_ : tuple of (int, int)
        ``(k_H, k_W)``.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean over each epoch's minibatches (weighted by their size) of the
        training objective, cross-entropy plus weight decay, as each
        minibatch was seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    BlockRidgeClassifier : A ridge classifier on the same kind of input, solved exactly.
    sklearn.linear_model.LogisticRegression : The unfactored model, fitted in memory.
    skscatter.WhitenedPatchKNNEncoder : The encoding this head was designed for.

    Notes
    -----
    With ``x`` a standardised map, ``L = H - k_H + 1`` and ``M = W - k_W + 1``
    output positions per axis, the score of class ``j`` is

    .. math::

        s_j(x) = b_j + \frac{1}{L M} \sum_{u < L, v < M} \sum_{r, d, e}
                 B_{j r d e} \sum_c A_{c r} x_{c, u + d, v + e},

    minimised as the mean cross-entropy of ``softmax(s)`` plus the weight
    decay.  The mean over output positions commutes with the rest, so the
    scores are computed from the window means of ``x`` (``C k_H k_W``
    values per row) rather than from the bottleneck at every position.

    References
    ----------
    .. [1] L. Thiry, M. Arbel, E. Belilovsky and E. Oyallon, "The
       unreasonable effectiveness of patches in deep convolutional kernels
       methods", ICLR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skscatter.linear_model import FactoredLinearClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.astype(np.float16)  # read block by block, never copied
    >>> clf = FactoredLinearClassifier(
    ...     n_components=16, map_shape=(1, 8, 8), kernel_size=None, learning_rate=0.05,
    ...     max_iter=20, batch_size=64, random_state=0,
    ... ).fit(X[:1500], y[:1500])
    >>> clf.components_.shape, clf.kernel_.shape, clf.predict_proba(X[:2]).shape
    ((1, 16), (10, 16, 8, 8), (2, 10))
    >>> bool(clf.score(X[1500:], y[1500:]) > 0.8)
    True

    The codes of a :class:`~skscatter.WhitenedPatchKNNEncoder` are maps of
    ``2 * n_patches`` channels on the ``pooled_shape_`` grid, channel first:

    >>> from skscatter import WhitenedPatchKNNEncoder
    >>> encoder = WhitenedPatchKNNEncoder(
    ...     patch_size=3, n_patches=32, shape=(8, 8), pooling="window", pool_size=3, pool_stride=2,
    ...     random_state=0,
    ... ).fit(X[:500].astype(np.float32))
    >>> codes = encoder.transform(X[:500].astype(np.float32)).astype(np.float16)
    >>> head = FactoredLinearClassifier(
    ...     n_components=8, map_shape=(64, *encoder.pooled_shape_), max_iter=2, random_state=0,
    ... ).fit(codes, y[:500])
    >>> head.map_shape_, head.kernel_.shape
    ((64, 3, 3), (10, 8, 3, 3))
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "map_shape": [tuple, None],
        "channel_layout": [StrOptions({"first", "last"})],
        "kernel_size": [Interval(Integral, 1, None, closed="left"), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_shift": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "block_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=128,
        *,
        map_shape=None,
        channel_layout="first",
        kernel_size=None,
        alpha=0.0,
        max_shift=0,
        learning_rate=3e-3,
        momentum=0.9,
        max_iter=80,
        batch_size=128,
        block_size="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.map_shape = map_shape
        self.channel_layout = channel_layout
        self.kernel_size = kernel_size
        self.alpha = alpha
        self.max_shift = max_shift
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.block_size = block_size
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the factored classifier by minibatch SGD with momentum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training maps, flattened as ``channel_layout`` says; float16,
            float32 and float64 arrays (and memory maps) are read in blocks
            without a copy, other numeric input is converted to float64
            first.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : FactoredLinearClassifier
            The fitted classifier.
        """
        X, codes = validate_labelled_rows(self, X, y)
        n, d = X.shape
        self.map_shape_ = _resolve_map_shape(self.map_shape, d)
        self.kernel_shape_ = _resolve_kernel(self.kernel_size, self.map_shape_)
        if self.max_shift >= min(self.map_shape_[1:]):
            raise ValueError(
                f"max_shift={self.max_shift} would shift whole maps of shape (H, W) = {self.map_shape_[1:]} "
                f"(map_shape={self.map_shape_}) out of view; use max_shift <= {min(self.map_shape_[1:]) - 1}."
            )
        block = self._block_rows(d)
        layout = _Layout(self.map_shape_, self.kernel_shape_, self.channel_layout)
        # The frozen input normalisation: statistics of the raw channels.
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, as one error
            self.mean_, self.scale_, max_abs = _channel_statistics(X, block, layout)
        # float16 and float32 rows are standardised in float32 (they hold no
        # more precision), float64 rows in float64 before the cast, and so
        # are float32 rows whose centring could overflow float32.
        prep_dtype = np.float32 if X.dtype != np.float64 and max_abs < _FLOAT32_SAFE else np.float64
        layout = layout._replace_stats(self.mean_, self.scale_)

        seed = self.random_state if isinstance(self.random_state, Integral) else None
        if seed is None:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        rng = np.random.default_rng(seed)
        C, P, R, K = self.map_shape_[0], layout.n_windows, self.n_components, len(self.classes_)
        A = (rng.standard_normal((C, R)) / np.sqrt(C)).astype(np.float32)
        Bf = (rng.standard_normal((K, P * R)) * (_KERNEL_INIT_SCALE / np.sqrt(P * R))).astype(np.float32)
        b = np.zeros(K, dtype=np.float32)
        params = [A, Bf, b]
        codes = codes.astype(np.intp)

        self.loss_curve_ = []
        # Overflow in float32 is detected at the end of each epoch and
        # reported as one error naming learning_rate.
        with np.errstate(over="ignore", invalid="ignore"):
            self._sgd(X, codes, block, layout, rng, params, prep_dtype)

        kh, kw = self.kernel_shape_
        self.components_ = A
        self.kernel_ = np.ascontiguousarray(Bf.reshape(K, kh, kw, R).transpose(0, 3, 1, 2))
        self.intercept_ = b
        self.n_iter_ = self.max_iter
        self._layout = layout
        # Prediction reads blocks of the size fixed here (a block_size set
        # after fit is a new model's sampling order, so it waits for the
        # next fit), or, for "auto", of the working memory at call time.
        self._predict_rows = int(self.block_size) if self.block_size != "auto" else None
        return self

    def _sgd(self, X, codes, block, layout, rng, params, prep_dtype):
        """Minibatch SGD with momentum over ``max_iter`` epochs, updating ``params`` in place."""
        A, Bf, b = params
        velocity = [np.zeros_like(p) for p in params]
        alpha = np.float32(self.alpha)
        momentum = np.float32(self.momentum)
        n = X.shape[0]
        for epoch in range(self.max_iter):
            lr = np.float32(_step_size(self.learning_rate, epoch, self.max_iter))
            total = 0.0
            batches = _minibatches(X, codes, block, self.batch_size, layout, rng, prep_dtype, self.max_shift)
            for Xb, yb in batches:
                loss, grads = _loss_and_grad(A, Bf, b, Xb, yb, alpha)
                total += loss * len(yb)
                for p, v, g in zip(params, velocity, grads):
                    v *= momentum
                    v += g
                    p -= lr * v
            mean_loss = total / n
            if not np.isfinite(mean_loss) or not all(np.all(np.isfinite(p)) for p in params):
                raise ValueError(
                    f"SGD diverged in epoch {epoch + 1} (the loss or the weights are no longer finite in "
                    f"float32) with learning_rate={self.learning_rate!r}; lower learning_rate."
                )
            self.loss_curve_.append(float(mean_loss))
            if self.verbose:
                print(f"Epoch {epoch + 1}/{self.max_iter}, learning rate {float(lr):.3g}, loss = {mean_loss:.6f}")

    def _block_rows(self, d):
        if self.block_size != "auto":
            return int(self.block_size)
        return _rows_in_working_memory(d, cap=8192)

    def _scores(self, X):
        """Scores of every class, ``(n_samples, n_classes)`` in float64, a block at a time."""
        check_is_fitted(self)
        X = validate_rows(self, X, reset=False)
        layout = self._layout
        K = self.kernel_.shape[0]
        A = self.components_.astype(np.float64)
        Bf = self.kernel_.transpose(0, 2, 3, 1).reshape(K, -1).astype(np.float64)
        b = self.intercept_.astype(np.float64)
        out = np.empty((X.shape[0], K))
        rows = self._predict_rows or _rows_in_working_memory(X.shape[1], cap=8192)
        for s in tiles(X.shape[0], rows):
            raw = X[s].astype(np.float64)
            _check_finite(raw, s)
            out[s] = _forward(A, Bf, b, layout.windows(raw))
        return out

    def decision_function(self, X):
        """Class scores (their difference for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Maps laid out as in ``fit``; read in blocks, never copied whole.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The score of each class, or for two classes the score of
            ``classes_[1]`` minus that of ``classes_[0]`` (positive for
            ``classes_[1]``).
        """
        scores = self._scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict_proba(self, X):
        """Class probabilities, the softmax of the scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Maps laid out as in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, in the order of ``classes_``.
        """
        return _softmax(self._scores(X))

    def predict_log_proba(self, X):
        """Return the logarithms of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Maps laid out as in ``fit``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, in the order of ``classes_``.
        """
        s = self._scores(X)
        s -= s.max(axis=1, keepdims=True)
        return s - np.log(np.exp(s).sum(axis=1, keepdims=True))

    def predict(self, X):
        """Class labels: the class of largest score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Maps laid out as in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        index = self._scores(X).argmax(axis=1)
        return self.classes_[index]

    def linear_coefficients(self):
        """The equivalent unfactored linear model, on the raw (unstandardised) input features.

        Returns
        -------
        coef : ndarray of shape (n_classes, n_features)
            Weights, in the order of the input features: the scores of
            :meth:`predict_proba` are ``X @ coef.T + intercept``.
        intercept : ndarray of shape (n_classes,)
            Intercepts.
        """
        check_is_fitted(self)
        K, R, kh, kw = self.kernel_.shape
        # Weights on the window means of the standardised map, (K, C, kh, kw).
        W = np.einsum("cr,krde->kcde", self.components_.astype(np.float64), self.kernel_.astype(np.float64))
        W = self._layout.adjoint(W) / self.scale_[None, :, None, None]  # (K, C, H, W)
        intercept = self.intercept_.astype(np.float64) - np.einsum("kchw,c->k", W, self.mean_)
        if self._layout.channel_layout == "last":
            W = W.transpose(0, 2, 3, 1)
        return W.reshape(K, -1), intercept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


def _resolve_map_shape(map_shape, n_features):
    if map_shape is None:
        return (n_features, 1, 1)
    positive_ints = all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in map_shape)
    if len(map_shape) != 3 or not positive_ints:
        raise ValueError(
            f"map_shape={map_shape!r} is not three positive ints (C, H, W); pass e.g. "
            f"(2 * n_patches, *encoder.pooled_shape_), or None for one channel per feature."
        )
    C, H, W = (int(v) for v in map_shape)
    if C * H * W != n_features:
        raise ValueError(
            f"map_shape={map_shape!r} holds C * H * W = {C * H * W} values, but X has {n_features} features; "
            "pass the (C, H, W) of the maps in X (e.g. (2 * n_patches, *encoder.pooled_shape_) for "
            "WhitenedPatchKNNEncoder codes) or map_shape=None."
        )
    return (C, H, W)


def _resolve_kernel(kernel_size, map_shape):
    _, H, W = map_shape
    if kernel_size is None:
        return (H, W)
    if kernel_size > min(H, W):
        raise ValueError(
            f"kernel_size={kernel_size} is larger than the map, of shape (H, W) = ({H}, {W}) "
            f"(map_shape={map_shape}); use kernel_size <= {min(H, W)} or None for the whole map."
        )
    return (int(kernel_size), int(kernel_size))


def _step_size(learning_rate, epoch, max_iter):
    """The step schedule: x0.1 from epoch ceil(5/8 max_iter), again from ceil(15/16 max_iter)."""
    first, second = -(-5 * max_iter // 8), -(-15 * max_iter // 16)
    return learning_rate * 0.1 ** ((epoch >= first) + (epoch >= second))


class _Layout:
    """How a flat row becomes the window means of its standardised map, ``(k_H k_W, C)`` per row."""

    def __init__(self, map_shape, kernel_shape, channel_layout, mean=None, scale=None):
        self.map_shape, self.kernel_shape, self.channel_layout = map_shape, kernel_shape, channel_layout
        self.mean, self.scale = mean, scale
        self.n_windows = kernel_shape[0] * kernel_shape[1]

    def _replace_stats(self, mean, scale):
        return _Layout(self.map_shape, self.kernel_shape, self.channel_layout, mean, scale)

    def raw_windows(self, rows):
        """Window means of the raw maps, ``(m, k_H, k_W, C)``, in the dtype of ``rows``."""
        C, H, W = self.map_shape
        kh, kw = self.kernel_shape
        if self.channel_layout == "first":
            v = rows.reshape(-1, C, H, W).transpose(0, 2, 3, 1)
        else:
            v = rows.reshape(-1, H, W, C)
        return _window_mean(_window_mean(v, kh, axis=1), kw, axis=2)

    def windows(self, rows):
        """Standardised window means, ``(m, k_H k_W, C)``, in the dtype of ``rows``."""
        v = self.raw_windows(rows)
        # Written into a C-ordered array so that the reshape below is a view
        # (v is a transposed view for channel-first rows).
        out = np.empty(v.shape, dtype=rows.dtype)
        np.subtract(v, self.mean.astype(rows.dtype), out=out)
        out /= self.scale.astype(rows.dtype)
        return out.reshape(v.shape[0], self.n_windows, self.map_shape[0])

    def adjoint(self, W):
        """Weights on the window means ``(K, C, k_H, k_W)`` as weights on the map ``(K, C, H, W)``."""
        _, H, Wd = self.map_shape
        kh, kw = self.kernel_shape
        return _window_mean_adjoint(_window_mean_adjoint(W, H, kh, axis=2), Wd, kw, axis=3)


def _window_mean(v, k, axis):
    """Means of the ``n - k + 1`` consecutive values starting at each of the first ``k`` indices along ``axis``."""
    n = v.shape[axis]
    if k == n:
        return v
    length = n - k + 1
    shape = list(v.shape)
    shape[axis] = 1
    cs = np.concatenate([np.zeros(shape, v.dtype), np.cumsum(v, axis=axis)], axis=axis)
    take = lambda a, b: np.take(cs, np.arange(a, b), axis=axis)  # noqa: E731
    return (take(length, length + k) - take(0, k)) / length


def _window_mean_adjoint(w, n, k, axis):
    """The transpose of :func:`_window_mean`: ``k`` values along ``axis`` spread over ``n``."""
    if k == n:
        return w
    length = n - k + 1
    shape = list(w.shape)
    shape[axis] = n
    out = np.zeros(shape)
    for d in range(k):
        index = [slice(None)] * w.ndim
        index[axis] = slice(d, d + length)
        src = [slice(None)] * w.ndim
        src[axis] = slice(d, d + 1)
        out[tuple(index)] += w[tuple(src)] / length
    return out


def _channel_statistics(X, block, layout):
    """Per-channel mean and standard deviation over samples and positions, in float64 (Chan et al. merging).

    Also refuses non-finite values, block by block, and returns the largest ``|X|``.
    """
    C, H, W = layout.map_shape
    mean, m2, seen, max_abs = np.zeros(C), np.zeros(C), 0, 0.0
    for s in tiles(X.shape[0], block):
        b = X[s].astype(np.float64)
        _check_finite(b, s)
        max_abs = max(max_abs, float(np.abs(b).max()))
        if layout.channel_layout == "first":
            v = b.reshape(-1, C, H * W).transpose(1, 0, 2).reshape(C, -1)
        else:
            v = b.reshape(-1, C).T
        count = v.shape[1]
        b_mean = v.mean(axis=1)
        b_m2 = np.einsum("ij,ij->i", v - b_mean[:, None], v - b_mean[:, None])
        delta = b_mean - mean
        total = seen + count
        mean += delta * (count / total)
        m2 += b_m2 + delta**2 * (seen * count / total)
        seen = total
    std = np.sqrt(m2 / seen)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(std))):
        raise ValueError(
            f"the channel statistics of X overflowed float64 (max |X| = {_max_abs(X, block):.3g}: its squares "
            "pass the top of float64); rescale X (e.g. X / abs(X).max())."
        )
    # A constant channel carries no information; scale 1 leaves it at 0 once centred.
    scale = np.where(std > 0, std, 1.0)
    return mean, scale, max_abs


def _minibatches(X, codes, block, batch_size, layout, rng, prep_dtype=np.float64, max_shift=0):
    """One epoch's minibatches ``(windows float32 (m, P, C), labels (m,))``.

    Blocks are visited in a random order and read whole (contiguous rows),
    their rows shuffled; batches are cut from that stream, a remainder
    carried into the next block.  With ``max_shift``, each row's map is
    shifted by ``(dy, dx)`` drawn for it after the block's order.
    """
    blocks = tiles(X.shape[0], block)
    carry_X = carry_y = None  # fewer than batch_size rows left from the blocks before
    for i in rng.permutation(len(blocks)):
        s = blocks[i]
        order = rng.permutation(s.stop - s.start)
        # The rows are shuffled as read (in the input dtype, the fewest bytes).
        rows = X[s][order].astype(prep_dtype)
        if max_shift:
            rows = _shift_maps(rows, layout, rng.integers(-max_shift, max_shift + 1, size=(len(order), 2)))
        Xb = layout.windows(rows).astype(np.float32, copy=False)
        yb = codes[s][order]
        start = 0
        if carry_X is not None:
            start = min(batch_size - len(carry_y), len(yb))
            carry_X, carry_y = np.concatenate([carry_X, Xb[:start]]), np.concatenate([carry_y, yb[:start]])
            if len(carry_y) < batch_size:
                continue
            yield carry_X, carry_y
            carry_X = carry_y = None
        full = start + (len(yb) - start) // batch_size * batch_size
        for b in range(start, full, batch_size):
            yield Xb[b : b + batch_size], yb[b : b + batch_size]
        if full < len(yb):
            # A copy, so that the block is freed before the next one is read.
            carry_X, carry_y = Xb[full:].copy(), yb[full:].copy()
    if carry_X is not None:
        yield carry_X, carry_y


def _shift_maps(rows, layout, shifts):
    """Row ``i``'s map translated by ``shifts[i] = (dy, dx)`` cells, entering cells at the channel means.

    ``out[c, y, x] = in[c, y - dy, x - dx]`` where that cell exists, else
    ``mean[c]``; ``rows`` is ``(m, C H W)`` in the layout's channel order.
    """
    C, H, W = layout.map_shape
    first = layout.channel_layout == "first"
    maps = rows.reshape(-1, C, H, W) if first else rows.reshape(-1, H, W, C)
    fill = layout.mean.astype(rows.dtype)
    out = np.empty_like(maps)
    if first:
        out[...] = fill[:, None, None]
    else:
        out[...] = fill
    # One copy per distinct shift, for all the rows that drew it.
    pairs, which = np.unique(shifts, axis=0, return_inverse=True)
    for k, (dy, dx) in enumerate(pairs):
        idx = np.flatnonzero(which.ravel() == k)
        dst = (slice(max(dy, 0), H + min(dy, 0)), slice(max(dx, 0), W + min(dx, 0)))
        src = (slice(max(-dy, 0), H - max(dy, 0)), slice(max(-dx, 0), W - max(dx, 0)))
        if first:
            out[idx, :, dst[0], dst[1]] = maps[idx][:, :, src[0], src[1]]
        else:
            out[idx, dst[0], dst[1], :] = maps[idx][:, src[0], src[1], :]
    return out.reshape(rows.shape)


def _softmax(s):
    s = s - s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s


def _forward(A, Bf, b, Xw):
    """Scores ``(m, K)`` from window means ``Xw`` ``(m, P, C)``; ``Bf`` is ``(K, P R)``."""
    m, P, C = Xw.shape
    Z = (Xw.reshape(m * P, C) @ A).reshape(m, -1)  # the bottleneck at each window, (m, P R)
    return Z @ Bf.T + b


def _loss_and_grad(A, Bf, b, Xw, y, alpha):
    """Mean cross-entropy plus ``alpha / 2 (||A||^2 + ||B||^2)`` and its gradient (dtype of the inputs).

    Parameters
    ----------
    A : ndarray of shape (C, R)
    Bf : ndarray of shape (K, P R)
        The kernel, window-major (``P = k_H k_W``), bottleneck fastest.
    b : ndarray of shape (K,)
    Xw : ndarray of shape (m, P, C)
        Standardised window means.
    y : ndarray of shape (m,)
        Class indices.
    alpha : float

    Returns
    -------
    loss : float
    grads : list of ndarray
        Gradients with respect to ``A``, ``Bf`` and ``b``.
    """
    m, P, C = Xw.shape
    X2 = Xw.reshape(m * P, C)
    Z = (X2 @ A).reshape(m, -1)
    S = Z @ Bf.T + b
    S -= S.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(S).sum(axis=1))
    rows = np.arange(m)
    loss = float(np.mean(log_norm - S[rows, y])) + 0.5 * float(alpha) * float(np.sum(A * A) + np.sum(Bf * Bf))
    G = np.exp(S - log_norm[:, None])
    G[rows, y] -= 1
    G /= m
    grad_b = G.sum(axis=0)
    grad_B = G.T @ Z + alpha * Bf
    dZ = (G @ Bf).reshape(m * P, -1)
    grad_A = X2.T @ dZ + alpha * A
    return loss, [grad_A, grad_B, grad_b]
