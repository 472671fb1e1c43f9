"""Radial bases of the SOAP expansion.

``"gto"`` is dscribe's Gaussian-type-orbital basis: for each degree ``l``,
primitives ``r^l exp(-alpha_{nl} r^2)`` whose decay points
``a_n = linspace(1, r_cut, n_max)`` set ``alpha_{nl} = -ln(1e-3 / a_n^l) / a_n^2``
(the primitive falls to 1e-3 at ``a_n``), orthonormalised on
``[0, inf)`` with weight ``r^2`` by Löwdin's symmetric scheme,
``g_{nl} = sum_n' beta^{(l)}_{nn'} r^l exp(-alpha_{n'l} r^2)`` with
``beta = S^(-1/2)`` and ``S_{nn'} = Gamma(l + 3/2) / (2 (alpha_n + alpha_n')^(l + 3/2))``.
"""

import math

import numpy as np
from scipy.special import gamma

_DECAY = 1e-3


def gto_basis(r_cut, n_max, l_max):
    """Exponents and Löwdin coefficients of the GTO radial basis.

    Parameters
    ----------
    r_cut : float
        Cutoff radius (Å); the outermost primitive decays to 1e-3 there.
    n_max : int
        Radial functions per degree.
    l_max : int
        Largest degree.

    Returns
    -------
    alphas : ndarray of shape (l_max + 1, n_max)
    betas : ndarray of shape (l_max + 1, n_max, n_max)

    Raises
    ------
    ValueError
        If the overlap matrix is too ill-conditioned to orthonormalise
        (large ``n_max`` for a small ``r_cut``).

    Examples
    --------
    >>> alphas, betas = gto_basis(5.0, 4, 2)
    >>> alphas.shape, betas.shape
    ((3, 4), (3, 4, 4))
    """
    a = np.linspace(1.0, r_cut, n_max)
    alphas = np.empty((l_max + 1, n_max))
    betas = np.empty((l_max + 1, n_max, n_max))
    for l in range(l_max + 1):
        alpha = -np.log(_DECAY / a**l) / a**2
        S = 0.5 * gamma(l + 1.5) * (alpha[:, None] + alpha[None, :]) ** (-l - 1.5)
        # S^(-1/2) through the eigendecomposition of the symmetric S.
        w, V = np.linalg.eigh(S)
        if w.min() <= 1e-14 * w.max() or not np.all(np.isfinite(w)):
            raise ValueError(
                f"The GTO radial basis with n_max={n_max} and r_cut={r_cut} cannot be orthonormalised "
                f"(overlap matrix of degree l={l} is numerically singular); lower n_max or raise r_cut."
            )
        alphas[l] = alpha
        betas[l] = (V / np.sqrt(w)) @ V.T
    return alphas, betas


def gto_radial_functions(r, alphas, betas, l):
    """Evaluate the orthonormal radial functions ``g_{nl}(r)``, shape (n_max, len(r))."""
    r = np.asarray(r, dtype=np.float64)
    prim = r[None, :] ** l * np.exp(-alphas[l][:, None] * r[None, :] ** 2)
    return betas[l] @ prim


def soap_prefactor(l):
    """dscribe's power-spectrum normalisation ``pi sqrt(8 / (2l + 1))``."""
    return math.pi * math.sqrt(8.0 / (2 * l + 1))
