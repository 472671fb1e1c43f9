"""Dimensionality measures of point clouds, e.g. of (whitened) image patches.

Two views of how many dimensions a set of patches really occupies:

* :func:`covariance_dimension` reads it from the covariance spectrum (a
  linear, global notion);
* :func:`knn_intrinsic_dimension` is the nearest-neighbour maximum-likelihood
  estimate of Levina and Bickel (2004), a local notion that sees through
  curvature.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_array


def _centred_unit_scale(X, ensure_min_samples=1):
    """``X`` centred and scaled by a power of two to a largest ``|coordinate|`` in [0.5, 1).

    Both dimensions are invariant to translations and scalings, so this
    changes neither; it keeps the squares and products they form inside
    float64 whatever the scale of ``X`` (values near 1e300 overflowed them,
    near 1e-300 underflowed them to 0).  Powers of two scale exactly.
    """
    X = check_array(X, dtype=np.float64, ensure_min_samples=ensure_min_samples, ensure_all_finite=False)
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity; remove or impute those rows (a point cloud needs finite coordinates).")
    X = _unit_scale(X)  # before centring: the mean of values near 1e308 would overflow
    return _unit_scale(X - X.mean(axis=0))


def _unit_scale(X):
    largest = np.abs(X).max()
    if largest == 0:
        return X.copy()
    return np.ldexp(X, -np.frexp(largest)[1])


def covariance_dimension(X, *, method="participation_ratio", fraction=0.95):
    """Dimension of a point cloud from its covariance spectrum.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points, one per row (at least 2), finite, at any scale: the
        dimension is invariant to translating and scaling ``X``.
    method : {"participation_ratio", "variance_fraction"}, default="participation_ratio"
        ``"participation_ratio"``: ``(sum lambda)^2 / sum lambda^2``, which
        is ``d`` for a cloud spread equally over ``d`` directions;
        ``"variance_fraction"``: the number of principal directions that
        explain ``fraction`` of the variance.
    fraction : float, default=0.95
        For ``method="variance_fraction"``, in ``(0, 1]``.

    Returns
    -------
    dimension : float
        0.0 when all points coincide.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 10))   # a 3D subspace of R^10
    >>> covariance_dimension(X, method="variance_fraction", fraction=0.999)
    3.0
    """
    if method not in ("participation_ratio", "variance_fraction"):
        raise ValueError(f"method={method!r} must be 'participation_ratio' or 'variance_fraction'.")
    if isinstance(fraction, (bool, np.bool_)) or not isinstance(fraction, Real) or not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} must be a number in (0, 1].")
    X = _centred_unit_scale(X, ensure_min_samples=2)
    eigvals = np.clip(np.linalg.eigvalsh(np.cov(X.T, bias=True).reshape(X.shape[1], X.shape[1])), 0, None)[::-1]
    total = eigvals.sum()
    if total == 0:
        return 0.0
    if method == "participation_ratio":
        return float(total**2 / np.sum(eigvals**2))
    explained = np.cumsum(eigvals) / total
    return float(np.searchsorted(explained, fraction * (1 - 1e-12)) + 1)


def knn_intrinsic_dimension(X, n_neighbors=10, *, n_jobs=None):
    r"""Nearest-neighbour (Levina–Bickel) intrinsic dimension, averaged over points.

    For each point, with :math:`\tau_k` the distance to its k-th nearest
    neighbour,

    .. math:: d(p) = \Big(\frac{1}{K - 1} \sum_{k < K} \log \frac{\tau_K}{\tau_k}\Big)^{-1},

    and the estimate is the mean of ``d(p)``.  This ``1 / (K - 1)`` form
    overestimates slightly for small ``K`` (by about ``1 / (K - 2)``
    relative); Levina and Bickel's bias-corrected variant divides by
    ``K - 2`` instead.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points (``n_samples > n_neighbors``), finite, at any scale (the
        estimate is invariant to translating and scaling ``X``); duplicates
        are removed first, since a zero distance has no logarithm.
    n_neighbors : int, default=10
        ``K >= 2``.
    n_jobs : int, default=None
        Passed to :class:`~sklearn.neighbors.NearestNeighbors`.

    Returns
    -------
    dimension : float
        The maximum-likelihood estimate, averaged over the points.

    Raises
    ------
    ValueError
        For non-finite ``X``, too few distinct points, distinct points
        closer than float64 resolves at the cloud's scale, or a point whose
        neighbours are all equidistant (the estimate is infinite there).

    References
    ----------
    .. [1] E. Levina and P. J. Bickel, "Maximum likelihood estimation of
       intrinsic dimension", NeurIPS 2004.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = rng.uniform(0, 2 * np.pi, 3000)
    >>> circle = np.c_[np.cos(t), np.sin(t), np.zeros_like(t)]   # a curve in R^3
    >>> bool(abs(knn_intrinsic_dimension(circle, 10) - 1) < 0.15)
    True
    """
    if isinstance(n_neighbors, (bool, np.bool_)) or not isinstance(n_neighbors, Integral):
        raise ValueError(f"n_neighbors={n_neighbors!r} must be an int >= 2.")
    X = np.unique(_centred_unit_scale(X), axis=0)
    if n_neighbors < 2 or X.shape[0] <= n_neighbors:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be at least 2 and below the number of distinct points "
            f"({X.shape[0]}); lower n_neighbors or pass more points."
        )
    distances, _ = NearestNeighbors(n_neighbors=n_neighbors + 1, n_jobs=n_jobs).fit(X).kneighbors(X)
    tau = distances[:, 1:]  # drop each point itself
    if not np.all(tau[:, 0] > 0):
        raise ValueError(
            "X holds distinct points whose distance float64 does not resolve next to the cloud's extent "
            "(relative to it, below about 1e-8); merge such near-duplicates, e.g. with np.unique(np.round(X, decimals), axis=0)."
        )
    log_sums = np.log(tau[:, -1:] / tau[:, :-1]).sum(axis=1)
    if not np.all(log_sums > 0):
        raise ValueError(
            f"Some point of X has its {n_neighbors} nearest neighbours all at one distance (a regular lattice?): "
            "the estimate is infinite there. Pass a larger n_neighbors, or add a little noise to X."
        )
    return float(np.mean((n_neighbors - 1) / log_sums))
