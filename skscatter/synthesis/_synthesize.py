"""Microcanonical synthesis: white noise moved until its scattering statistics match an example's."""

from numbers import Integral, Real

import numpy as np

from threadpoolctl import threadpool_limits

from .._backend import resolve_backend, to_host
from .._kernels.fourier import get_fourier_ops
from ..utils._parallel import plan_execution
from ._layout import layout_names, normaliser_of, to_vector, vector_adjoint
from ._spectra import plan_on, spectra_plan, spectra_statistics, spectra_vjp
from ._transformer import check_spectra_scales

MODELS = ("spectra", "moments")
INITS = ("gaussian", "marginal")


def _fields(X, name):
    """``X`` as ``(n, C, H, W)`` float64 with its layout: (H, W), (n, H, W) grey or (n, H, W, C) colour."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} has dtype {X.dtype}; pass real numbers.")
    if X.ndim == 2:
        X = X[None]
    if X.ndim == 3:
        fields = X[:, None]
    elif X.ndim == 4:
        fields = np.moveaxis(X, -1, 1)
    else:
        raise ValueError(
            f"{name} has shape {X.shape}; pass one grey field (H, W), several (n, H, W), or colour (n, H, W, C)."
        )
    fields = np.ascontiguousarray(fields, dtype=np.float64)
    if fields.size == 0 or min(fields.shape[-2:]) < 2:
        raise ValueError(f"{name} has shape {X.shape}; a field needs at least 2 x 2 pixels.")
    if not np.isfinite(fields).all():
        raise ValueError(f"{name} contains NaN or infinity; pass finite fields.")
    return fields, X.ndim == 4


def _mean_stats(stats):
    """Average a batch of statistics over its fields (the target of several examples)."""
    return {k: ([s.mean(axis=0, keepdims=True) for s in v] if isinstance(v, list) else v.mean(axis=0, keepdims=True))
            for k, v in stats.items()}


def _white_noise(fields, init, n_samples, out_shape, rng):
    """The descent's start: white noise, Gaussian or drawn from the examples' pixels.

    ``"marginal"`` draws whole pixel vectors (all channels of one pixel
    together, so the colours' correlations are kept) from the pooled pixels
    of the examples: without replacement while they suffice, so one example
    of the output's size is start-by-start a random permutation of its own
    pixels and has exactly its histogram.  Either way the pixels are
    independent, so the start has a flat spectrum and no structure.
    """
    n, C = fields.shape[:2]
    size = out_shape[0] * out_shape[1]
    if init == "gaussian":
        mean = fields.mean(axis=(0, 2, 3))[None, :, None, None]
        std = fields.std(axis=(0, 2, 3))[None, :, None, None]
        return mean + std * rng.standard_normal((n_samples, C, *out_shape))
    pool = np.moveaxis(fields, 1, -1).reshape(-1, C)  # (n * H * W, C) pixel vectors
    draws = [rng.permutation(len(pool))[:size] if len(pool) >= size else rng.randint(len(pool), size=size)
             for _ in range(n_samples)]
    start = pool[np.stack(draws)]  # (n_samples, size, C)
    return np.moveaxis(start, -1, 1).reshape(n_samples, C, *out_shape)


def _pixel_quantiles(fields, size):
    r"""Each channel's quantile function of the pooled example pixels, averaged over ``size`` equal bins.

    Returns ``(C, size)``: entry ``k`` is the mean of the examples' quantile
    function :math:`F^{-1}(u)` over :math:`u \in [k/N, (k+1)/N)`.  With these
    targets, the squared 2-Wasserstein distance between a sample's ``N``
    sorted pixels and the examples' pixels is, up to a constant that does not
    depend on the sample, :math:`\frac1N \sum_k (x_{(k)} - q_k)^2`; for one
    example of the sample's size, ``q`` is its sorted pixels.
    """
    C = fields.shape[1]
    pool = np.sort(np.moveaxis(fields, 1, 0).reshape(C, -1), axis=1)  # (C, M)
    M = pool.shape[1]
    if M == size:
        return pool
    # The integral of the step quantile function, piecewise linear between
    # u = i / M; differencing it at the bin edges averages exactly.  Taken
    # above each channel's smallest pixel so that differencing the running
    # sums does not round a constant channel into a non-constant target (its
    # pixels would then be pulled apart, where the wavelet modulus has a kink).
    low = pool[:, :1]
    integral = np.concatenate([np.zeros((C, 1)), np.cumsum(pool - low, axis=1) / M], axis=1)
    edges = np.arange(size + 1) / size
    at_edges = np.stack([np.interp(edges, np.arange(M + 1) / M, row) for row in integral])
    return low + np.diff(at_edges, axis=1) * size


def _histogram_term(x, quantiles, weights):
    """Weighted squared 2-Wasserstein distance of each channel's pixels to its quantiles, and its gradient.

    ``x`` is ``(n, C, N)``, ``quantiles`` ``(C, N)`` and ``weights`` ``(C,)``
    (the histogram weight over ``2 N`` times the examples' variance).  The
    term is ``sum_{s,c} weights[c] * sum_k (x_(k) - q_k)^2``: sorting is a
    permutation, locally constant away from ties, so the gradient is
    ``2 * weights[c] * (x_(k) - q_k)`` put back at the pixel that ranks
    ``k``.  On the host (NumPy), on the float64 vector L-BFGS holds.
    """
    order = np.argsort(x, axis=-1)
    difference = np.take_along_axis(x, order, axis=-1) - quantiles[None]
    value = float(np.sum(weights[None, :, None] * difference**2))
    grad = np.empty_like(x)
    n, C, _ = x.shape
    rows = np.arange(n)[:, None, None], np.arange(C)[None, :, None]
    grad[rows[0], rows[1], order] = 2 * weights[None, :, None] * difference
    return value, grad


def synthesize(
    X_example,
    *,
    model="spectra",
    J=None,
    L=8,
    n_samples=1,
    shape=None,
    init="marginal",
    histogram_weight=0.1,
    max_iter=500,
    tol=1e-10,
    random_state=None,
    return_error=False,
    dtype=np.float32,
    backend="auto",
    n_jobs=None,
):
    r"""Draw fields with the scattering statistics of examples (microcanonical maximum entropy).

    Each sample starts as white noise (see ``init``) and is moved by L-BFGS
    (``scipy.optimize``, with exact gradients) until its statistics, and by
    default its histogram of pixel values (``histogram_weight``), match those
    of the examples; periodic boundaries.  Which statistics:

    * ``"spectra"``: all of :class:`~skscatter.ScatteringSpectra`'s
      (power spectrum on the wavelet bands, sparsity, and the phase and
      envelope correlations across scales): vortices, edges and bursts keep
      their shapes;
    * ``"moments"``: only the first and second moments of the wavelet
      coefficients, :math:`\langle |x \star \psi_\lambda| \rangle` and
      :math:`\langle |x \star \psi_\lambda|^2 \rangle` (with the mean and the
      low-pass power): a sparse, non-Gaussian field, but without the
      alignments across scales.

    Statistics are compared after dividing each by the examples' wavelet
    powers, so each counts on the same scale.  The match is a point of the
    microcanonical set, not the example: samples differ from it and from each
    other.

    Parameters
    ----------
    X_example : array-like of shape (H, W), (n, H, W) or (n, H, W, C)
        One or several example fields (their statistics are averaged);
        4D input is colour, channels last.
    model : {"spectra", "moments"}, default="spectra"
    J : int, default=None
        Number of dyadic scales; ``None`` takes ``log2(min(H, W)) - 3`` (at
        least 1), so the coarsest wavelet spans an eighth of the field.
    L : int, default=8
        Number of orientations.
    n_samples : int, default=1
        Number of fields to draw.
    shape : tuple of (int, int), default=None
        Size of the samples; ``None`` is the examples'.
    init : {"marginal", "gaussian"}, default="marginal"
        The white noise the descent starts from.  ``"marginal"``: pixels
        drawn independently from the examples' own pixels (whole pixel
        vectors for colour, so the channels' correlations are kept), without
        replacement while the examples have enough of them -- for one
        example of the samples' size, a random permutation of its pixels.
        ``"gaussian"``: Gaussian noise with the examples' mean and variance
        per channel.  Both are white (flat spectrum, no structure);
        ``"marginal"`` starts on the examples' histogram of pixel values,
        which the histogram term then keeps.
    histogram_weight : float, default=0.1
        Weight of a pixel-histogram term added to the loss: for each sample
        and channel, the squared 2-Wasserstein distance between its pixel
        values and the examples' (the sample's sorted pixels against the
        examples' pixel quantiles at the same count), divided by the
        examples' variance of that channel.  No scattering statistic fixes
        the histogram of pixel values: without the term the descent lets
        its shape drift towards a Gaussian's on nearly Gaussian textures
        (grass), although that shape is the field's, the same across crops.
        It is a penalty, so the two targets pull against each other: the
        default ``0.1`` keeps the histogram (a small fraction of the
        Gaussian model's distance) with the statistics matched about as
        tightly as without it; ``1.0`` fits the histogram closer still, at
        the cost of the statistics on small fields (figures in the user
        guide).  Texture models with marginal constraints do the same [3]_.
        ``0.0`` (with ``init="gaussian"``) is the plain microcanonical model
        of the scattering statistics alone [1]_.  The gradient is exact
        (the differences put back through the sort).  ``return_error``
        reports the statistics error alone.
    max_iter : int, default=500
        L-BFGS iterations.
    tol : float, default=1e-10
        L-BFGS stops when the relative decrease of the loss falls below it.
    random_state : int, RandomState or None, default=None
        Seeds the white-noise start (for ``init="marginal"``, the draw of
        the pixels).
    return_error : bool, default=False
        Also return each sample's relative statistics error
        ``||phi(sample) - phi(examples)|| / ||phi(examples)||``.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the statistics and gradients during the descent (the
        examples' statistics and the reported errors are float64 either
        way); single precision is about twice as fast and ample for a
        relative error of 1e-3.
    backend : {"auto", "numpy", "numba", "cupy"}, default="auto"
        Where the statistics and gradients are computed; the CPU backends
        share one array-expression path, ``"cupy"`` runs on the GPU.
    n_jobs : int, default=None
        FFT threads.

    Returns
    -------
    samples : ndarray of shape (n_samples, H', W') or (n_samples, H', W', C)
        The drawn fields, in the layout of the examples.
    errors : ndarray of shape (n_samples,)
        Relative statistics error of each sample; only with ``return_error``.

    See Also
    --------
    skscatter.synthesis.gaussian_synthesis : The Gaussian model with the
        examples' power spectrum.

    References
    ----------
    .. [1] S. Cheng, R. Morel, E. Allys, B. Ménard and S. Mallat, "Scattering
       spectra models for physics", PNAS Nexus 3(4), 2024.
    .. [2] J. Bruna and S. Mallat, "Multiscale sparse microcanonical models",
       Mathematical Statistics and Learning 1(3), 2019.
    .. [3] J. Portilla and E. P. Simoncelli, "A parametric texture model
       based on joint statistics of complex wavelet coefficients",
       International Journal of Computer Vision 40(1), 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis import synthesize
    >>> rng = np.random.default_rng(0)
    >>> example = np.abs(rng.normal(size=(32, 32))) ** 3    # sparse, non-Gaussian
    >>> sample, error = synthesize(example, J=2, L=4, random_state=0, return_error=True)
    >>> sample.shape, bool(error[0] < 1e-2)
    ((1, 32, 32), True)
    """
    from scipy.optimize import minimize
    from sklearn.utils import check_random_state

    if model not in MODELS:
        raise ValueError(f"model={model!r} is not a synthesis model; use one of {MODELS}.")
    if not (isinstance(init, str) and init in INITS):
        raise ValueError(f"init={init!r} is not a starting noise; use one of {INITS}.")
    fields, colour = _fields(X_example, "X_example")
    n, C, H, W = fields.shape
    if J is None:
        J = max(1, int(np.log2(min(H, W))) - 3)
    for name, value, low in (("J", J, 1), ("L", L, 1), ("n_samples", n_samples, 1), ("max_iter", max_iter, 1)):
        if not (isinstance(value, Integral) and not isinstance(value, bool) and value >= low):
            raise ValueError(f"{name}={value!r} must be an int >= {low}.")
    if not (isinstance(histogram_weight, Real) and not isinstance(histogram_weight, bool)
            and np.isfinite(histogram_weight) and histogram_weight >= 0):
        raise ValueError(
            f"histogram_weight={histogram_weight!r} must be a finite number >= 0; "
            "use 0.0 for no histogram term or 1.0 to keep the examples' pixel histogram."
        )
    if not (isinstance(tol, Real) and tol >= 0):
        raise ValueError(f"tol={tol!r} must be a number >= 0.")
    try:
        work_dtype = np.dtype(dtype)
    except TypeError:
        work_dtype = None
    if work_dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype={dtype!r} is not a working precision; use np.float32 or np.float64.")
    out_shape = (H, W) if shape is None else tuple(int(s) for s in shape)
    if len(out_shape) != 2:
        raise ValueError(f"shape={shape!r} must be (H, W).")
    check_spectra_scales(J, (H, W), "synthesize")
    check_spectra_scales(J, out_shape, "synthesize (shape)")
    name = resolve_backend(backend, None, owner="synthesize")
    threads = plan_execution(1, backend=name, n_jobs=n_jobs, bytes_per_sample=0, max_batch=1).threads
    ops = get_fourier_ops(name, threads)
    xp = ops.xp
    cross = model == "spectra"

    # Target: the examples' statistics, averaged, normalised by their own powers.
    example_plan = plan_on(spectra_plan(H, W, J, L), ops)
    scale = float(np.abs(fields).max()) or 1.0  # keeps products of extreme values representable
    stats, _ = spectra_statistics(ops.asarray(fields * (1.0 / scale)), example_plan, ops, cross=cross)
    stats = _mean_stats(stats)
    norm = normaliser_of(stats, xp)
    target = to_vector(stats, norm, L, xp)
    target_norm = float(xp.linalg.norm(target))

    plan = plan_on(spectra_plan(*out_shape, J, L), ops, work_dtype)

    scaled = fields / scale  # the units of the descent, for the starting noise and the histogram targets
    size = out_shape[0] * out_shape[1]
    if histogram_weight > 0:
        quantiles = _pixel_quantiles(scaled, size)
        variance = scaled.var(axis=(0, 2, 3))
        # A constant channel has no variance to measure by (``var`` rounds it
        # to a tiny positive number rather than 0, which would weigh the
        # rounding noise of the other terms' gradients enormously); the
        # fields are scaled to at most 1 in magnitude, so 1 is their unit.
        constant = fields.max(axis=(0, 2, 3)) == fields.min(axis=(0, 2, 3))
        variance = np.where(constant, 1.0, variance)
        # 0.5 * weight * W2^2 / variance, with W2^2 = mean over the N pixels.
        hist_weights = 0.5 * histogram_weight / (size * variance)

    def loss(flat):
        x = ops.asarray(flat.reshape(n_samples, C, *out_shape).astype(work_dtype))
        s, state = spectra_statistics(x, plan, ops, cross=cross)
        residual = to_vector(s, norm, L, xp).astype(np.float64) - target
        g = spectra_vjp(vector_adjoint(residual, s, norm, L, xp), state, plan, ops)
        value, grad = 0.5 * float(xp.sum(residual**2)), to_host(g).reshape(-1).astype(np.float64)
        if histogram_weight > 0:
            # On the float64 vector L-BFGS holds, on the host whatever the
            # backend: one sort per channel, small next to the statistics.
            h_value, h_grad = _histogram_term(flat.reshape(n_samples, C, size), quantiles, hist_weights)
            value, grad = value + h_value, grad + h_grad.reshape(-1)
        return value, grad

    rng = check_random_state(random_state)
    start = _white_noise(scaled, init, n_samples, out_shape, rng)
    # BLAS computes the Parseval sums: as many threads as the FFTs, no more
    # (oversubscribed OpenBLAS threads are several times slower than one).
    with threadpool_limits(threads, user_api="blas"):
        found = minimize(
            loss, start.reshape(-1), jac=True, method="L-BFGS-B", options=dict(maxiter=max_iter, ftol=tol, gtol=0.0)
        )
    x = found.x.reshape(n_samples, C, *out_shape)
    samples = np.moveaxis(x, 1, -1) if colour else x[:, 0]
    samples = samples * scale
    if not return_error:
        return samples
    s, _ = spectra_statistics(ops.asarray(x), plan_on(spectra_plan(*out_shape, J, L), ops), ops, cross=cross)
    residual = to_host(to_vector(s, norm, L, xp) - target)
    return samples, np.linalg.norm(residual, axis=1) / target_norm


def synthesis_statistics_names(J, L, n_channels=1, model="spectra"):
    """Return the names of the statistics that ``synthesize`` matches, in order.

    Parameters
    ----------
    J : int
        Number of dyadic scales.
    L : int
        Number of orientations.
    n_channels : int, default=1
        Number of colour channels.
    model : {"spectra", "moments"}, default="spectra"
        The synthesis model.

    Returns
    -------
    names : list of str
        In the order of the statistics vector whose relative error
        ``synthesize(..., return_error=True)`` reports.

    Examples
    --------
    >>> synthesis_statistics_names(1, 2, model="moments")
    ['mean_c0', 'low_c0_c0', 'power_c0_c0_j0_t0', 'power_c0_c0_j0_t1', 'sparsity_c0_j0_t0', 'sparsity_c0_j0_t1']
    """
    return layout_names(J, L, n_channels, cross=model == "spectra")
