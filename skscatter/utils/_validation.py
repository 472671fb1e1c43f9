"""Input gates: every estimator validates its input here, whatever the backend."""

import math
import warnings
from numbers import Integral

import numpy as np
from sklearn.utils.validation import validate_data

from .._backend import is_cupy_array

_IMAGE_LAYOUTS = (
    "X must be (n_samples, n_features) with n_features = H * W * C, "
    "(n_samples, H, W) for grey images, or (n_samples, H, W, C) / (n_samples, C, H, W) "
    "for colour images with channel_layout='last' / 'first'"
)


def _check_shape_param(shape):
    if (
        not isinstance(shape, (tuple, list))
        or len(shape) != 2
        or not all(isinstance(s, Integral) and not isinstance(s, bool) and s >= 1 for s in shape)
    ):
        raise ValueError(f"shape={shape!r} must be a pair of positive ints (H, W), or None to infer it from X.")
    return (int(shape[0]), int(shape[1]))


def _split_image_array(X, channel_layout):
    """Flatten an (n, H, W[, C]) array; return (X2d, (H, W), C or None)."""
    if X.ndim == 3:
        n, H, W = X.shape
        C = None
    elif X.ndim == 4 and channel_layout == "last":
        n, H, W, C = X.shape
    elif X.ndim == 4:
        n, C, H, W = X.shape
    else:
        raise ValueError(f"X has {X.ndim} dimensions; {_IMAGE_LAYOUTS}.")
    return X.reshape(n, math.prod(X.shape[1:])), (H, W), C


def _infer_layout(estimator, n_features, array_shape, array_channels):
    """Resolve (H, W) and C at fit time from the parameters and the input."""
    C = estimator.n_channels
    if array_channels is not None:
        if C is not None and C != array_channels:
            axis = "last" if estimator.channel_layout == "last" else "second"
            raise ValueError(
                f"X has {array_channels} channels on its {axis} axis "
                f"(channel_layout={estimator.channel_layout!r}), but n_channels={C}; "
                f"set n_channels={array_channels} or None, or fix channel_layout."
            )
        C = array_channels
    C = 1 if C is None else int(C)

    if estimator.shape is not None:
        shape = _check_shape_param(estimator.shape)
        if array_shape is not None and tuple(array_shape) != shape:
            raise ValueError(f"X holds images of shape {tuple(array_shape)}, but shape={shape}; set shape=None or fix X.")
    elif array_shape is not None:
        shape = tuple(int(s) for s in array_shape)
    else:
        if n_features % C:
            raise ValueError(
                f"X has {n_features} features, which is not a multiple of n_channels={C}; "
                "fix n_channels or pass (n_samples, H, W, C) arrays."
            )
        pixels = n_features // C
        side = math.isqrt(pixels)
        if side * side == pixels:
            shape = (side, side)
        else:
            shape = (1, pixels)
            warnings.warn(
                f"X has {n_features} features per sample with n_channels={C} and shape=None; "
                f"{pixels} is not a perfect square, so each sample is read as a 1 x {pixels} image. "
                "Pass shape=(H, W) to say how the pixels are laid out.",
                UserWarning,
                stacklevel=4,
            )
    if shape[0] * shape[1] * C != n_features:
        raise ValueError(
            f"X has {n_features} features per sample, but shape={shape} with n_channels={C} "
            f"needs {shape[0] * shape[1] * C}; fix shape or n_channels."
        )
    return shape, C


def _check_finite_rows(X, xp):
    """Raise if a float ``X`` holds NaN or infinity, naming the first bad sample.

    The sum is a fast test (no temporary the size of ``X``); only when it is
    not finite -- a NaN, an infinity, or merely a sum that overflowed -- are
    the rows scanned, in blocks, to find the culprit.
    """
    if X.dtype.kind != "f":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if bool(xp.isfinite(X.sum())):
            return
    step = max(1, 2**22 // max(1, X.shape[1]))
    for start in range(0, X.shape[0], step):
        bad = ~xp.isfinite(X[start : start + step]).all(axis=1)
        if bool(bad.any()):
            first = start + int(xp.argmax(bad))
            raise ValueError(
                f"Input X contains NaN or infinity (first in sample {first}); remove those samples or impute "
                "the values (e.g. with sklearn.impute.SimpleImputer in front of this estimator)."
            )


_RAGGED_FIX = {
    "images": "every image must have the same shape. Resize the images to one shape",
    "signals": "every signal must have the same length. Resample, crop or pad them to one length",
}


def _as_array(X, noun="images"):
    """Lists (e.g. a nested list of 2D or 3D images) become the ndarray they spell."""
    if not isinstance(X, (list, tuple)):
        return X
    try:
        return np.asarray(X)
    except ValueError:
        raise ValueError(
            f"X is a ragged nested sequence: {_RAGGED_FIX[noun]}, or pass an (n_samples, n_features) array."
        ) from None


def _check_dtype(X, noun="images"):
    kind = getattr(getattr(X, "dtype", None), "kind", None)
    if kind == "c":
        raise ValueError(
            f"Complex data not supported: X has dtype {X.dtype}; {noun} must be real. Pass np.abs(X) or X.real."
        )


def _check_n_samples(X, noun="images"):
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1 and shape[0] == 0:
        raise ValueError(f"X holds no {noun} (shape {tuple(shape)}); pass at least one sample.")


def _check_n_features(estimator, X):
    n_features = X.shape[1] if getattr(X, "ndim", 0) == 2 else None
    if n_features is None or n_features == estimator.n_features_in_:
        return
    H, W = estimator.image_shape_
    C = estimator.n_channels_
    raise ValueError(
        f"X has {n_features} features, but {type(estimator).__name__} is expecting {estimator.n_features_in_} "
        f"features as input: it was fitted on {H} x {W} images with {C} channel(s). Pass images of that size "
        f"((n_samples, {estimator.n_features_in_}) rows or (n_samples, H, W[, C]) arrays), or refit."
    )


def _validate_device_images(estimator, X, reset, noun="images", layouts=_IMAGE_LAYOUTS):
    """The cupy twin of ``validate_data`` for images (or signals) already on the GPU."""
    xp = __import__("cupy")
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X has dtype {X.dtype}; {noun} must be real numbers (float32 or float64).")
    if X.ndim != 2:
        raise ValueError(f"X has {X.ndim} dimensions; {layouts}.")
    if X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape}; at least 1 feature is required.")
    _check_finite_rows(X, xp)
    if reset:
        estimator.n_features_in_ = X.shape[1]
    return X


def _validate_rows(estimator, X, reset, noun, layouts):
    """``(n_samples, n_features)`` real, finite rows on the host or the GPU; numbers keep their dtype."""
    if is_cupy_array(X):
        return _validate_device_images(estimator, X, reset, noun, layouts)
    X = validate_data(estimator, X, dtype="numeric", ensure_all_finite=False, reset=reset)
    if X.dtype.kind not in "biuf":
        X = X.astype(np.float64)
    _check_finite_rows(X, np)
    return X


def working_dtype(X):
    """The dtype images are computed in: float32 for float32 input, float64 otherwise."""
    return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)


def overflow_error(X, what):
    """The error every image estimator raises when float arithmetic overflows.

    Parameters
    ----------
    X : array
        The input (or the batch of it) that overflowed.
    what : str
        What overflowed, e.g. ``"The scattering of X"``.
    """
    xp = np if isinstance(X, np.ndarray) else __import__("cupy")
    largest = float(xp.abs(X).max()) if X.size else 0.0
    dtype = working_dtype(X)
    also = " or pass float64 input" if dtype == np.float32 else ""
    return ValueError(
        f"{what} overflowed {dtype} (max |X| = {largest:.3g}); rescale X (e.g. X / abs(X).max()){also}."
    )


def validate_images(estimator, X, *, reset):
    """Validate a batch of images for an image estimator.

    The estimator provides the parameters ``shape``, ``n_channels`` and
    ``channel_layout``; after fitting it holds ``image_shape_``,
    ``n_channels_`` and ``channel_layout_``.  Nothing the size of ``X`` is
    allocated: integer images keep their dtype (callers convert them batch
    by batch, see :func:`working_dtype`).

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator whose parameters describe the layout.
    X : array-like or cupy array
        ``(n_samples, H*W*C)`` flattened images (row-major, channels last
        or first as ``channel_layout`` says), ``(n_samples, H, W)``, or
        ``(n_samples, H, W, C)`` / ``(n_samples, C, H, W)``; nested lists
        are read as the array they spell.
    reset : bool
        True in ``fit``: resolve and return the layout and set
        ``n_features_in_``.  False afterwards: check against the fitted
        layout.

    Returns
    -------
    X : ndarray or cupy array of shape (n_samples, H*W*C)
        Real numbers (float, integer or bool), finite.
    shape : tuple of int
        ``(H, W)``.
    n_channels : int
    """
    X = _as_array(X)
    _check_dtype(X)
    _check_n_samples(X)
    layout = estimator.channel_layout if reset else estimator.channel_layout_
    array_shape = array_channels = None
    if getattr(X, "ndim", 2) > 2 and not hasattr(X, "columns"):
        X, array_shape, array_channels = _split_image_array(X, layout)

    if not reset and array_shape is not None:
        shape, C = estimator.image_shape_, estimator.n_channels_
        if tuple(array_shape) != shape or (array_channels or 1) != C:
            raise ValueError(
                f"X holds images of shape {tuple(array_shape)} with {array_channels or 1} channel(s), "
                f"but {type(estimator).__name__} was fitted on shape {shape} with {C}; refit or resize."
            )

    # Our message (with the fitted layout and the fix) before scikit-learn's.
    if not reset:
        _check_n_features(estimator, X)
    X = _validate_rows(estimator, X, reset, "images", _IMAGE_LAYOUTS)
    if reset:
        shape, C = _infer_layout(estimator, X.shape[1], array_shape, array_channels)
        return X, shape, C
    return X, estimator.image_shape_, estimator.n_channels_


_SIGNAL_LAYOUTS = (
    "X must be (n_samples, n_features) with n_features = n_channels * length (channels first), "
    "or (n_samples, n_channels, length)"
)


def _check_length_param(shape):
    if isinstance(shape, (tuple, list)) and len(shape) == 1:
        shape = shape[0]
    if not isinstance(shape, Integral) or isinstance(shape, bool) or shape < 1:
        raise ValueError(f"shape={shape!r} must be a positive int (the signal length), or None to infer it from X.")
    return int(shape)


def _infer_signal_layout(estimator, n_features, array_length, array_channels):
    """Resolve the signal length and the number of channels at fit time."""
    C = estimator.n_channels
    if array_channels is not None:
        if C is not None and C != array_channels:
            raise ValueError(
                f"X has {array_channels} channels on its second axis, but n_channels={C}; "
                f"set n_channels={array_channels} or None."
            )
        C = array_channels
    C = 1 if C is None else int(C)
    if estimator.shape is not None:
        length = _check_length_param(estimator.shape)
        if array_length is not None and array_length != length:
            raise ValueError(f"X holds signals of length {array_length}, but shape={length}; set shape=None or fix X.")
    elif array_length is not None:
        length = int(array_length)
    else:
        if n_features % C:
            raise ValueError(
                f"X has {n_features} features, which is not a multiple of n_channels={C}; "
                "fix n_channels or pass (n_samples, n_channels, length) arrays."
            )
        length = n_features // C
    if length * C != n_features:
        raise ValueError(
            f"X has {n_features} features per sample, but shape={length} with n_channels={C} "
            f"needs {length * C}; fix shape or n_channels."
        )
    return length, C


def validate_signals(estimator, X, *, reset):
    """Validate a batch of signals (time series) for a signal estimator.

    The estimator provides the parameters ``shape`` (the length) and
    ``n_channels``; after fitting it holds ``signal_length_`` and
    ``n_channels_``.  Nothing the size of ``X`` is allocated.

    Parameters
    ----------
    estimator : BaseEstimator
    X : array-like or cupy array
        ``(n_samples, n_channels * length)`` rows (channels first) or
        ``(n_samples, n_channels, length)``; nested lists are read as the
        array they spell.
    reset : bool
        True in ``fit``: resolve the layout and set ``n_features_in_``.

    Returns
    -------
    X : ndarray or cupy array of shape (n_samples, n_channels * length)
    length : int
    n_channels : int
    """
    X = _as_array(X, "signals")
    _check_dtype(X, "signals")
    _check_n_samples(X, "signals")
    array_length = array_channels = None
    ndim = getattr(X, "ndim", 2)
    if ndim == 3 and not hasattr(X, "columns"):
        n, array_channels, array_length = X.shape
        X = X.reshape(n, array_channels * array_length)
    elif ndim > 3:
        raise ValueError(f"X has {ndim} dimensions; {_SIGNAL_LAYOUTS}.")
    name = type(estimator).__name__
    if not reset:
        length, C = estimator.signal_length_, estimator.n_channels_
        if array_length is not None and (array_length, array_channels) != (length, C):
            raise ValueError(
                f"X holds signals of length {array_length} with {array_channels} channel(s), but {name} was "
                f"fitted on length {length} with {C}; refit, or resample the signals to that length."
            )
        n_features = X.shape[1] if getattr(X, "ndim", 0) == 2 else None
        if n_features is not None and n_features != estimator.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {name} is expecting {estimator.n_features_in_} features as "
                f"input: it was fitted on signals of length {length} with {C} channel(s). Pass signals of that "
                f"length ((n_samples, {estimator.n_features_in_}) rows or (n_samples, {C}, {length}) arrays), "
                "or refit."
            )
    X = _validate_rows(estimator, X, reset, "signals", _SIGNAL_LAYOUTS)
    if reset:
        length, C = _infer_signal_layout(estimator, X.shape[1], array_length, array_channels)
        return X, length, C
    return X, estimator.signal_length_, estimator.n_channels_
