"""Radial bases of the SOAP expansion.

``"gto"`` is dscribe's Gaussian-type-orbital basis: for each degree ``l``,
primitives ``r^l exp(-alpha_{nl} r^2)`` whose decay points
``a_n = linspace(1, r_cut, n_max)`` set ``alpha_{nl} = -ln(1e-3 / a_n^l) / a_n^2``
(the primitive falls to 1e-3 at ``a_n``), orthonormalised on
``[0, inf)`` with weight ``r^2`` by Löwdin's symmetric scheme,
``g_{nl} = sum_n' beta^{(l)}_{nn'} r^l exp(-alpha_{n'l} r^2)`` with
``beta = S^(-1/2)`` and ``S_{nn'} = Gamma(l + 3/2) / (2 (alpha_n + alpha_n')^(l + 3/2))``.
Its projections of a Gaussian atom have a closed form (see
``radial_constants`` in ``skscatter/_kernels/_soap_numba.py``).

``"polynomial"`` is Bartók, Kondor and Csányi's (2013) basis: the same
functions for every ``l``, primitives ``phi_a(r) = (r_cut - r)^(a + 2)``,
``a = 1..n_max``, on ``[0, r_cut]``, each scaled to unit norm and
orthonormalised with weight ``r^2`` by Löwdin's scheme.  The overlap matrix
is very ill-conditioned (1e12 at ``n_max = 8``), so ``S^(-1/2)`` is not taken
from an eigendecomposition of ``S`` (which loses about 1e-6 of
orthonormality at ``n_max = 8``; dscribe issue #133 is this failure) but from
the SVD of the primitives sampled on an exact Gauss-Legendre rule,
``A = U s V^T``, ``S = A A^T`` and ``S^(-1/2) = U s^-1 U^T``: the error then
grows with ``cond(A) = sqrt(cond(S))``.  Projections of a Gaussian atom have
no closed form; they are integrated numerically once and tabulated as
cubic splines in the neighbour distance (:func:`radial_integral_table`).
"""

import math

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import gamma, ive

_DECAY = 1e-3


def gto_basis(r_cut, n_max, l_max):
    """Compute the exponents and Löwdin coefficients of the GTO radial basis.

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
        Exponents ``alpha_{nl}`` of the primitives.
    betas : ndarray of shape (l_max + 1, n_max, n_max)
        ``S^(-1/2)`` per degree: ``g_{nl} = sum_n' betas[l, n, n'] r^l
        exp(-alphas[l, n'] r^2)``.

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
    """Evaluate the orthonormal GTO radial functions ``g_{nl}(r)`` of one degree.

    Parameters
    ----------
    r : array-like of shape (n_points,)
        Distances from the centre (Å).
    alphas : ndarray of shape (l_max + 1, n_max)
        Exponents from :func:`gto_basis`.
    betas : ndarray of shape (l_max + 1, n_max, n_max)
        Löwdin coefficients from :func:`gto_basis`.
    l : int
        Degree, at most ``l_max``.

    Returns
    -------
    g : ndarray of shape (n_max, n_points)
        ``g[n]`` is ``g_{nl}`` at ``r``; orthonormal on ``[0, inf)`` with
        weight ``r^2``.

    Examples
    --------
    >>> alphas, betas = gto_basis(5.0, 4, 2)
    >>> r = np.linspace(0, 12, 48001)
    >>> g = gto_radial_functions(r, alphas, betas, 1)
    >>> overlap = (g[:, None] * g[None] * r**2).sum(-1) * (r[1] - r[0])
    >>> bool(np.allclose(overlap, np.eye(4), atol=1e-6))
    True
    """
    r = np.asarray(r, dtype=np.float64)
    prim = r[None, :] ** l * np.exp(-alphas[l][:, None] * r[None, :] ** 2)
    return betas[l] @ prim


def soap_prefactor(l):
    """dscribe's power-spectrum normalisation ``pi sqrt(8 / (2l + 1))``."""
    return math.pi * math.sqrt(8.0 / (2 * l + 1))


def _polynomial_primitives(r, r_cut, n_max):
    """Unit-norm (weight r^2 on [0, r_cut]) primitives ``(r_cut - r)^(a+2)``, a = 1..n_max, zero beyond r_cut."""
    a = np.arange(1, n_max + 1)[:, None]
    u = np.clip(np.asarray(r, dtype=np.float64) / r_cut, 0.0, 1.0)[None, :]
    # int_0^1 u^2 (1 - u)^(2a + 4) du = 2 / ((2a + 5)(2a + 6)(2a + 7)), times r_cut^3 in r.
    norm = np.sqrt(2.0 / ((2 * a + 5) * (2 * a + 6) * (2 * a + 7)) * r_cut**3)
    return (1.0 - u) ** (a + 2) / norm


def polynomial_basis(r_cut, n_max):
    """Compute the Löwdin coefficients of Bartók's polynomial radial basis.

    Parameters
    ----------
    r_cut : float
        Cutoff radius (Å); the functions vanish (with two continuous
        derivatives) there.
    n_max : int
        Number of radial functions, at most 10 (beyond that the primitives
        are too close to linearly dependent to orthonormalise in float64).

    Returns
    -------
    W : ndarray of shape (n_max, n_max)
        ``g_n(r) = sum_a W[n, a] phi_a(r)`` with unit-norm primitives
        ``phi_a``; see :func:`~skscatter.soap.polynomial_radial_functions`.

    Raises
    ------
    ValueError
        If ``n_max`` is too large to orthonormalise accurately.

    Examples
    --------
    >>> W = polynomial_basis(5.0, 4)
    >>> r = np.linspace(0, 5, 20001)
    >>> g = polynomial_radial_functions(r, 5.0, W)
    >>> overlap = (g[:, None] * g[None] * r**2).sum(-1) * (r[1] - r[0])
    >>> bool(np.allclose(overlap, np.eye(4), atol=1e-6))
    True
    """
    # Products of primitives are polynomials of degree <= 2 n_max + 8 in r:
    # n_max + 5 Gauss-Legendre nodes integrate them exactly.
    x, w = np.polynomial.legendre.leggauss(n_max + 5)
    r = (x + 1.0) * r_cut / 2.0
    A = _polynomial_primitives(r, r_cut, n_max) * np.sqrt(w * r_cut / 2.0 * r**2)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s[-1] < 1e-8 * s[0]:
        raise ValueError(
            f"The polynomial radial basis with n_max={n_max} cannot be orthonormalised accurately in float64 "
            f"(condition number {s[0] / s[-1]:.1e}); use n_max <= 10 or rbf='gto'."
        )
    return (U / s) @ U.T


def polynomial_radial_functions(r, r_cut, W):
    """Evaluate Bartók's orthonormal polynomial radial functions ``g_n(r)``.

    Parameters
    ----------
    r : array-like of shape (n_points,)
        Distances from the centre (Å).
    r_cut : float
        Cutoff radius (Å), as given to :func:`polynomial_basis`.
    W : ndarray of shape (n_max, n_max)
        Löwdin coefficients from :func:`polynomial_basis`.

    Returns
    -------
    g : ndarray of shape (n_max, n_points)
        ``g[n]`` is ``g_n`` at ``r``, zero beyond ``r_cut``; orthonormal on
        ``[0, r_cut]`` with weight ``r^2``.

    Examples
    --------
    >>> W = polynomial_basis(5.0, 3)
    >>> polynomial_radial_functions([0.0, 2.5, 5.0, 6.0], 5.0, W).shape
    (3, 4)
    """
    return W @ _polynomial_primitives(r, r_cut, W.shape[0])


def _scaled_gaussian_bessel(r, x, l, eta):
    """``exp(-eta (x^2 + r^2)) i_l(2 eta r x)`` without overflow, broadcast over r and x.

    ``exp(-z) i_l(z) = sqrt(pi / (2z)) ive(l + 1/2, z)`` and
    ``exp(-eta (x^2 + r^2)) = exp(-eta (x - r)^2) exp(-z)`` with ``z = 2 eta r x``.
    """
    z = 2.0 * eta * r * x
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.sqrt(np.pi / (2.0 * z)) * ive(l + 0.5, z)
    # i_0(0) = 1, i_l(0) = 0 for l > 0.
    scaled = np.where(z > 0.0, scaled, 1.0 if l == 0 else 0.0)
    return np.exp(-eta * (x - r) ** 2) * scaled


def radial_integral_table(radial, l_max, sigma, x_max, r_max, *, nodes_per_sigma=20, points_per_sigma=64):
    """Cubic-spline table of the radial projections of a Gaussian atom.

    For a Gaussian of width ``sigma`` (``eta = 1 / (2 sigma^2)``) at distance
    ``r`` from the centre, the coefficient on ``g_nl(r') Y_lm`` is
    ``R_nl(r) Y_lm(r_hat)`` with
    ``R_nl(r) = 4 pi int_0^x_max r'^2 g_nl(r') exp(-eta (r'^2 + r^2)) i_l(2 eta r r') dr'``.
    The integral is done by composite Gauss-Legendre quadrature (10 nodes per
    panel, ``nodes_per_sigma / 10`` panels per ``sigma``) on ``r`` in a uniform
    grid of spacing ``sigma / points_per_sigma`` over ``[0, r_max]``, and
    splined.

    Parameters
    ----------
    radial : callable
        ``radial(r, l)`` returns the values of ``g_nl`` at ``r``, shape
        (n_max, len(r)).
    l_max : int
    sigma : float
    x_max : float
        Upper limit of the integral (the support of the basis).
    r_max : float
        Largest neighbour distance the table must cover.

    Returns
    -------
    table : ndarray of shape (n_intervals, l_max + 1, n_max, 4)
        Cubic coefficients per interval, highest power first:
        ``R_nl(j h + t) = ((c0 t + c1) t + c2) t + c3``.
    h : float
        Grid spacing.
    """
    eta = 1.0 / (2.0 * sigma**2)
    panels = max(1, int(math.ceil(x_max / sigma * nodes_per_sigma / 10)))
    gx, gw = np.polynomial.legendre.leggauss(10)
    edges = np.linspace(0.0, x_max, panels + 1)
    half = np.diff(edges)[:, None] / 2.0
    x = ((gx[None, :] + 1.0) * half + edges[:-1, None]).ravel()
    wx = (gw[None, :] * half).ravel() * x**2 * 4.0 * np.pi
    n_intervals = max(4, int(math.ceil(r_max / sigma * points_per_sigma)))
    h = r_max / n_intervals
    r = np.arange(n_intervals + 1) * h
    values = []
    for l in range(l_max + 1):
        g = radial(x, l) * wx  # (n_max, n_nodes)
        rows = []
        for chunk in np.array_split(np.arange(r.size), max(1, r.size * x.size // 2_000_000)):
            rows.append(_scaled_gaussian_bessel(r[chunk, None], x[None, :], l, eta) @ g.T)
        values.append(np.concatenate(rows))
    values = np.stack(values, axis=1)  # (n_points, l_max + 1, n_max)
    spline = CubicSpline(r, values, axis=0)
    return np.ascontiguousarray(np.moveaxis(spline.c, 0, -1)), h
