"""Dimensionality measures of point clouds, e.g. of (whitened) image patches.

Two views of how many dimensions a set of patches really occupies:

* :func:`covariance_dimension` reads it from the covariance spectrum (a
  linear, global notion);
* :func:`knn_intrinsic_dimension` is the nearest-neighbour maximum-likelihood
  estimate of Levina and Bickel (2004), a local notion that sees through
  curvature.
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_array


def covariance_dimension(X, *, method="participation_ratio", fraction=0.95):
    """Dimension of a point cloud from its covariance spectrum.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points, one per row (at least 2).
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

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 10))   # a 3D subspace of R^10
    >>> covariance_dimension(X, method="variance_fraction", fraction=0.999)
    3.0
    """
    X = check_array(X, dtype=np.float64, ensure_min_samples=2)
    if method not in ("participation_ratio", "variance_fraction"):
        raise ValueError(f"method={method!r} must be 'participation_ratio' or 'variance_fraction'.")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction!r} must be in (0, 1].")
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
        Points (``n_samples > n_neighbors``); duplicates are removed first,
        since a zero distance has no logarithm.
    n_neighbors : int, default=10
        ``K >= 2``.
    n_jobs : int, default=None
        Passed to :class:`~sklearn.neighbors.NearestNeighbors`.

    Returns
    -------
    dimension : float

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
    X = np.unique(check_array(X, dtype=np.float64), axis=0)
    if n_neighbors < 2 or X.shape[0] <= n_neighbors:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be at least 2 and below the number of distinct points "
            f"({X.shape[0]}); lower n_neighbors or pass more points."
        )
    distances, _ = NearestNeighbors(n_neighbors=n_neighbors + 1, n_jobs=n_jobs).fit(X).kneighbors(X)
    tau = distances[:, 1:]  # drop each point itself
    log_ratios = np.log(tau[:, -1:] / tau[:, :-1])
    return float(np.mean((n_neighbors - 1) / log_ratios.sum(axis=1)))
