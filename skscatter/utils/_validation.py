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


def _validate_device_images(estimator, X, reset):
    """The cupy twin of ``validate_data`` for images already on the GPU."""
    xp = __import__("cupy")
    if X.dtype.kind in "biu":
        X = X.astype(xp.float64)
    elif X.dtype not in (xp.float32, xp.float64):
        raise ValueError(f"X has dtype {X.dtype}; images must be real numbers (float32 or float64).")
    if X.ndim != 2:
        raise ValueError(f"X has {X.ndim} dimensions; {_IMAGE_LAYOUTS}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape}; at least 1 sample and 1 feature are required.")
    if not bool(xp.isfinite(X).all()):
        raise ValueError("Input X contains NaN or infinity; remove or impute those values.")
    if reset:
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    return X


def validate_images(estimator, X, *, reset):
    """Validate a batch of images for an image estimator.

    The estimator provides the parameters ``shape``, ``n_channels`` and
    ``channel_layout``; after fitting it holds ``image_shape_`` and
    ``n_channels_``.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator whose parameters describe the layout.
    X : array-like or cupy array
        ``(n_samples, H*W*C)`` flattened images (row-major, channels last
        or first as ``channel_layout`` says), ``(n_samples, H, W)``, or
        ``(n_samples, H, W, C)`` / ``(n_samples, C, H, W)``.
    reset : bool
        True in ``fit``: resolve and return the layout and set
        ``n_features_in_``.  False afterwards: check against the fitted
        layout.

    Returns
    -------
    X : ndarray or cupy array of shape (n_samples, H*W*C), float32 or float64
    shape : tuple of int
        ``(H, W)``.
    n_channels : int
    """
    array_shape = array_channels = None
    if getattr(X, "ndim", 2) > 2 and not hasattr(X, "columns"):
        X, array_shape, array_channels = _split_image_array(X, estimator.channel_layout)

    if is_cupy_array(X):
        X = _validate_device_images(estimator, X, reset)
    else:
        X = validate_data(estimator, X, dtype=[np.float64, np.float32], reset=reset)

    if reset:
        shape, C = _infer_layout(estimator, X.shape[1], array_shape, array_channels)
        return X, shape, C

    shape, C = estimator.image_shape_, estimator.n_channels_
    if array_shape is not None and (tuple(array_shape) != shape or (array_channels or 1) != C):
        raise ValueError(
            f"X holds images of shape {tuple(array_shape)} with {array_channels or 1} channel(s), "
            f"but {type(estimator).__name__} was fitted on shape {shape} with {C}; refit or resize."
        )
    return X, shape, C
