"""Streaming patch moments and regularised (ZCA) whitening, in NumPy."""

import numpy as np


class PatchMoments:
    """Mean and covariance of many vectors, accumulated batch by batch in float64.

    Sums are taken around a fixed reference (the first batch's mean), which
    keeps the ``E[xx^T] - mu mu^T`` subtraction well conditioned.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3)) + 5
    >>> moments = PatchMoments()
    >>> for chunk in np.array_split(X, 7):
    ...     moments.update(chunk)
    >>> np.allclose(moments.covariance(), np.cov(X.T, bias=True))
    True
    """

    def __init__(self):
        self.n = 0
        self._ref = self._s1 = self._s2 = None

    def update(self, X):
        """Add the rows of ``X`` (2D)."""
        X = np.asarray(X, dtype=np.float64)
        if self._ref is None:
            self._ref = X.mean(axis=0)
            self._s1 = np.zeros_like(self._ref)
            self._s2 = np.zeros((X.shape[1], X.shape[1]))
        centred = X - self._ref
        self._s1 += centred.sum(axis=0)
        self._s2 += centred.T @ centred
        self.n += X.shape[0]

    def mean(self):
        """Mean vector."""
        return self._ref + self._s1 / self.n

    def covariance(self):
        """Covariance with divisor ``n`` (the patches' second central moment)."""
        shift = self._s1 / self.n
        cov = self._s2 / self.n - np.outer(shift, shift)
        return (cov + cov.T) / 2


def zca_whitening(covariance, reg):
    """Regularised ZCA whitening ``W = (Sigma + reg I)^(-1/2)`` and its inverse.

    ``(p - mean) @ W`` has identity covariance when ``reg = 0``; PCA
    whitening would differ by an orthogonal factor, so distances are the same.

    Parameters
    ----------
    covariance : ndarray of shape (d, d)
        Symmetric positive semi-definite.
    reg : float
        ``reg >= 0`` added to the eigenvalues.

    Returns
    -------
    W, W_inv : ndarray of shape (d, d)
        Symmetric; ``W @ W_inv == I``.

    Raises
    ------
    ValueError
        If ``Sigma + reg I`` is singular (constant patch dimensions with
        ``reg = 0``).

    Examples
    --------
    >>> W, W_inv = zca_whitening(np.diag([4.0, 1.0]), 0.0)
    >>> np.diag(W).tolist(), np.diag(W_inv).tolist()
    ([0.5, 1.0], [2.0, 1.0])
    """
    eigvals, eigvecs = np.linalg.eigh(covariance)
    shifted = np.clip(eigvals, 0.0, None) + reg
    # A relative floor: eigenvalues at rounding level of the largest are zero.
    if shifted.min() <= 1e-12 * max(shifted.max(), 1e-300):
        raise ValueError(
            f"whitening_reg={reg!r} leaves the patch covariance singular (smallest eigenvalue "
            f"{eigvals.min():.3g}): some patch directions do not vary in X; use whitening_reg > 0."
        )
    W = (eigvecs / np.sqrt(shifted)) @ eigvecs.T
    W_inv = (eigvecs * np.sqrt(shifted)) @ eigvecs.T
    return W, W_inv
