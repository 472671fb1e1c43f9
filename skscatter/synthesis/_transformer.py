"""ScatteringSpectra: scattering-spectra statistics of images as a scikit-learn transformer."""

from numbers import Integral
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import get_array_module, resolve_backend, to_host
from .._kernels.fourier import get_fourier_ops
from ..scattering._transformer import _channel_images
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, BATCH_SIZE, N_JOBS, VERBOSE, check_execution_params
from ..utils._sklearn_compat import Interval, StrOptions, _check_feature_names_in, _fit_context
from ..utils._validation import overflow_error, validate_images
from ._layout import layout_names, normaliser_of, to_vector
from ._reduction import isotropic_reduction
from ._spectra import plan_on, spectra_plan, spectra_statistics


class _Model(NamedTuple):
    """What ``fit`` resolved: the function ``transform`` computes."""

    J: int
    L: int
    image_shape: tuple
    n_channels: int
    channel_layout: str
    isotropic: bool
    n_features_out: int


def check_spectra_scales(J, shape, owner, n_features=None):
    """Refuse ``J`` whose coarsest wavelet exceeds the grid along both axes (``2**J`` above the larger side)."""
    largest = int(np.log2(max(shape)))
    if J > largest:
        fix = f"use J <= {largest}" if largest >= 1 else "pass images with at least 2 pixels along one axis"
        raise ValueError(
            f"{owner}: J={J} is too large for images of shape {tuple(shape)}"
            + (f" (n_features = {n_features})" if n_features is not None else "")
            + f": the coarsest wavelet "
            f"(2**J={2**J} pixels) exceeds the image along both axes; {fix}."
        )


def spectra_features(images, model, ops):
    """Features of ``(b * C, H, W)`` images: ``(b, n_features_out)``."""
    H, W = model.image_shape
    xp = ops.xp
    x = images.reshape(-1, model.n_channels, H, W).astype(np.float64, copy=False)
    plan = plan_on(spectra_plan(H, W, model.J, model.L), ops)
    # Products of values near 1e200 overflow and near 1e-200 underflow: each
    # image is scaled by a power of two (exact) to a largest |value| near 1,
    # and the two scale-dependent groups of features (the means and the log
    # powers) are scaled back; the others are scale-invariant.
    peak = xp.max(xp.abs(x.reshape(x.shape[0], -1)), axis=1)
    exponent = xp.where(peak > 0, xp.round(xp.log2(xp.where(peak > 0, peak, 1.0))), 0.0)
    x = x * xp.exp2(-exponent)[:, None, None, None]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        stats, _ = spectra_statistics(x, plan, ops)
        features = to_vector(stats, normaliser_of(stats, xp), model.L, xp, log_power=True)
    return rescale_features(features, exponent, model)


def rescale_features(features, exponent, model):
    """Undo the scaling of the fields by ``2**-exponent`` on their scale-dependent features."""
    C = model.n_channels
    n_pairs = C * (C + 1) // 2
    n_wavelets = model.J * model.L
    diagonal = np.flatnonzero(np.equal(*np.triu_indices(C)))
    features[:, :C] *= (2.0**exponent)[:, None]
    shift = (2 * np.log(2.0)) * exponent[:, None]
    features[:, C + diagonal] += shift
    start = C + n_pairs + C * (C - 1) // 2
    power = features[:, start : start + n_pairs * n_wavelets].reshape(-1, n_pairs, n_wavelets)
    power[:, diagonal] += shift[:, :, None]
    features[:, start : start + n_pairs * n_wavelets] = power.reshape(features.shape[0], -1)
    return features


class ScatteringSpectra(TransformerMixin, BaseEstimator):
    r"""Scattering-spectra statistics of images: a few thousand numbers that describe a texture or a field.

    The statistics of Cheng, Morel, Allys, Ménard & Mallat (2024), averaged
    over each whole image with periodic boundaries, so they are invariant to
    translations: the means and powers of the wavelet coefficients, their
    sparsity, and the correlations across scales and angles of the wavelet
    modulus.  They are the features of texture classification and parameter
    inference, and the target of :func:`~skscatter.synthesis.synthesize`.

    Parameters
    ----------
    J : int, default=3
        Number of dyadic scales of the Morlet wavelets (the scattering
        transform's); the coarsest spans ``2**J`` pixels, at most the
        larger image side.
    L : int, default=8
        Number of wavelet orientations in :math:`[0, \pi)`.
    shape : tuple of (int, int), default=None
        Image size ``(H, W)``; ``None`` takes it from ``(n, H, W[, C])``
        input or reads a flattened row as a square.
    n_channels : int, default=None
        Colour channels ``C``; ``None`` takes it from 4D input (else 1).
        Channels are correlated with each other too (cross-spectra and
        cross-channel correlations).
    channel_layout : {"last", "first"}, default="last"
        Where the channel axis is, as in
        :class:`~skscatter.ScatteringTransformer`.
    reduction : {None, "isotropic"}, default=None
        ``"isotropic"`` averages the features that differ only by a global
        rotation of their orientations (keeping the orientation differences,
        named ``dt``): about ``L`` times fewer features, invariant to
        rotations by multiples of ``pi / L`` (exactly to quarter turns for an
        even ``L``); for fields without a preferred direction.
    backend : {"auto", "numpy", "numba", "cupy"}, default="auto"
        Who computes; the CPU backends share the same array expressions
        (FFTs by ``scipy.fft``), ``"cupy"`` runs on the GPU.
    n_jobs : int, default=None
        Parallel workers (batches side by side, or FFT threads in one).
    batch_size : int or "auto", default="auto"
        Images at once; ``"auto"`` bounds the temporaries by
        ``skscatter.get_config()["working_memory"]``.
    verbose : int, default=0
        Progress of ``transform`` on stderr.

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
    image_shape_ : tuple of (int, int)
    n_channels_ : int
    n_features_out_ : int
        Number of statistics (after the reduction, if any).

    See Also
    --------
    skscatter.synthesis.synthesize : Fields with the statistics of examples.
    skscatter.ScatteringTransformer : Local scattering coefficients.

    Notes
    -----
    With :math:`Z_{c,\lambda} = x_c \star \psi_\lambda`, :math:`\langle
    \cdot \rangle` the spatial average and :math:`\sigma^2_{c,\lambda} =
    \langle |Z_{c,\lambda}|^2 \rangle`, the features are, in order:

    * ``mean_c``: :math:`\langle x_c \rangle`;
    * ``low_c_d``: the log low-pass power (cross-channel coherences for
      :math:`c \ne d`, real and imaginary parts);
    * ``power_c_d_j_t``: :math:`\log \sigma^2_{c,\lambda}` (cross-channel
      coherences off the diagonal);
    * ``sparsity_c_j_t``: :math:`\langle |Z_{c,\lambda}| \rangle /
      \sigma_{c,\lambda}`, 1 for a pure oscillation and small for rare bursts;
    * ``phase_...``: :math:`\langle (|Z_{c,\lambda}| \star \psi_{\lambda'})
      \overline{Z_{d,\lambda'}} \rangle / (\sigma_{c,\lambda}
      \sigma_{d,\lambda'})` for :math:`j \le j'`;
    * ``envelope_...``: :math:`\langle (|Z_{c,\lambda}| \star \psi_{\lambda''})
      \overline{(|Z_{d,\lambda'}| \star \psi_{\lambda''})} \rangle /
      (\sigma_{c,\lambda} \sigma_{d,\lambda'})` for :math:`j, j' \le j''`,
      each unordered pair once.

    Complex statistics give a real and an ``_imag`` feature.  There are
    :math:`O(C^2 J^3 L^3)` of them (about 30,000 for ``J=5, L=8``, grey);
    follow with a :class:`~sklearn.decomposition.PCA` or a ridge model.

    References
    ----------
    .. [1] S. Cheng, R. Morel, E. Allys, B. Ménard and S. Mallat, "Scattering
       spectra models for physics", PNAS Nexus 3(4), 2024.
       https://doi.org/10.1093/pnasnexus/pgae103

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter.synthesis import ScatteringSpectra
    >>> X = np.random.default_rng(0).normal(size=(4, 16, 16))
    >>> spectra = ScatteringSpectra(J=2, L=4).fit(X)
    >>> spectra.transform(X).shape
    (4, 434)
    >>> spectra.get_feature_names_out()[[0, 1, 2]].tolist()
    ['mean_c0', 'low_c0_c0', 'power_c0_c0_j0_t0']
    """

    _parameter_constraints = {
        "J": [Interval(Integral, 1, None, closed="left")],
        "L": [Interval(Integral, 1, None, closed="left")],
        "shape": [tuple, list, None],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "channel_layout": [StrOptions({"last", "first"})],
        "reduction": [StrOptions({"isotropic"}), None],
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "batch_size": BATCH_SIZE,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        J=3,
        L=8,
        shape=None,
        *,
        n_channels=None,
        channel_layout="last",
        reduction=None,
        backend="auto",
        n_jobs=None,
        batch_size="auto",
        verbose=0,
    ):
        self.J = J
        self.L = L
        self.shape = shape
        self.n_channels = n_channels
        self.channel_layout = channel_layout
        self.reduction = reduction
        self.backend = backend
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the image layout and build the filters; nothing is learned from the pixels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Training images (see ``shape``, ``n_channels`` and
            ``channel_layout``).
        y : None
            Ignored.

        Returns
        -------
        self : ScatteringSpectra
            The fitted transformer.
        """
        X, shape, n_channels = validate_images(self, X, reset=True)
        J, L = int(self.J), int(self.L)
        check_spectra_scales(J, shape, type(self).__name__, X.shape[1])
        self.image_shape_ = shape
        self.n_channels_ = n_channels
        self.channel_layout_ = self.channel_layout
        isotropic = self.reduction == "isotropic"
        names = isotropic_reduction(J, L, n_channels)[1] if isotropic else layout_names(J, L, n_channels)
        self.n_features_out_ = len(names)
        spectra_plan(*shape, J, L)  # built (and cached) here, not in the first transform
        self._model = _Model(J, L, shape, n_channels, self.channel_layout, isotropic, len(names))
        return self

    def transform(self, X):
        """Compute the statistics of each image.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, H, W[, C])
            Images laid out as in ``fit``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out), float64
            A cupy array for cupy input.
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        X, _, _ = validate_images(self, X, reset=False)
        backend = resolve_backend(self.backend, X, owner=type(self).__name__)
        out_xp = get_array_module(X)
        H, W = model.image_shape
        L, C = model.L, model.n_channels
        # Per channel-image: the field and its spectrum, J L complex wavelet
        # maps, their moduli and spectra, and the envelope products: ~6 J L
        # complex planes, doubled for freed-but-not-returned buffers.
        plan = plan_execution(
            X.shape[0],
            backend=backend,
            n_jobs=self.n_jobs,
            batch_size=self.batch_size,
            bytes_per_sample=2 * 6 * model.J * L * H * W * 16 * C,
            max_batch=16,
        )
        ops = get_fourier_ops(backend, plan.threads)

        def compute(start, stop):
            images = _channel_images(X[start:stop], model, ops, np.float64)
            features = spectra_features(images, model, ops)
            if not bool(ops.xp.isfinite(features).all()):
                raise overflow_error(X[start:stop], "The scattering spectra of X")
            if model.isotropic:
                # A sparse average over a few thousand columns: on the host.
                matrix = isotropic_reduction(model.J, model.L, model.n_channels)[0]
                features = ops.asarray((matrix @ to_host(features).T).T)
            return features

        result = out_xp.empty((X.shape[0], model.n_features_out), dtype=np.float64)
        for start, stop, block in plan.run(compute, verbose=self.verbose, label=type(self).__name__, unit="images"):
            result[start:stop] = block if out_xp is ops.xp else to_host(block)
        return result

    def get_feature_names_out(self, input_features=None):
        """Return the names of the statistics (see Notes).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``mean_c{c}``, ``low_c{c}_c{d}``, ``power_c{c}_c{d}_j{j}_t{t}``,
            ``sparsity_c{c}_j{j}_t{t}``, ``phase_...`` and ``envelope_...``;
            ``_imag`` ends the imaginary part of a complex statistic; with
            ``reduction="isotropic"`` orientations ``t`` become differences
            ``dt`` and disappear from ``power`` and ``sparsity``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        model = self._model
        if model.isotropic:
            return np.asarray(isotropic_reduction(model.J, model.L, model.n_channels)[1], dtype=object)
        return np.asarray(layout_names(model.J, model.L, model.n_channels), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags
