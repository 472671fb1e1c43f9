"""Scattering-spectra statistics of periodic fields and their exact gradient.

For a field ``x`` with ``C`` channels on a periodic ``H x W`` grid, with
``Z[c, a] = x[c] * psi[a]`` (circular convolution with the Morlet wavelet
``a = (j, l)``) and ``U[c, a] = |Z[c, a]|``, the statistics are those of
Cheng, Morel, Allys, Menard & Mallat (2024), in their raw (unnormalised)
form; every one of them is an average over the grid:

=============  ==========================================================  ======================
name           definition                                                  indices
=============  ==========================================================  ======================
``mean``       ``<x[c]>``                                                  ``c``
``low``        ``<(x[c] * phi') conj(x[d] * phi')>``, ``phi'`` the         ``c <= d``
               low-pass with its zero frequency removed
``power``      ``<Z[c, a] conj(Z[d, a])>``                                 ``c <= d``, ``a``
``sparsity``   ``<U[c, a]>``                                               ``c``, ``a``
``phase``      ``<(U[c, a] * psi[b]) conj(Z[d, b])>``                      ``j(a) <= j(b)``
``envelope``   ``<(U[c, a] * psi[b]) conj(U[d, a'] * psi[b])>``           ``j(a), j(a') <= j(b)``
=============  ==========================================================  ======================

``phase`` correlates the envelope of a fine scale with the phase of a coarser
one (it sees edges and vortices: where a fine-scale burst sits on a
coarse-scale oscillation), ``envelope`` correlates envelopes across scales
and angles through a third wavelet.  Both are products of two filtered
fields averaged over the grid, so by Parseval they are weighted inner
products of Fourier transforms, ``sum_w A(w) psi_b(w)**2 conj(B(w)) /
(H W)**2``: the core never filters in space beyond the first-order ``Z``,
and sums only over the frequencies where ``psi_b`` is not negligible
(:class:`SpectraPlan`), which is what makes the statistics and their
gradient cheap.  Normalising them (by ``sqrt`` of ``power``) is left to the
callers: the transformer normalises by the image's own power, synthesis by
the target's.

The gradient (:func:`spectra_vjp`) is the adjoint of each step in reverse
order, with complex cotangents in the convention ``g = dL/dRe + i dL/dIm``
of a real loss ``L`` (so the adjoint of a complex linear map is its
conjugate transpose).  The modulus is not differentiable where ``Z = 0``;
its subgradient 0 is used there.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..scattering._filter_bank import _wave_orientation, gaussian_2d, morlet_2d

# Frequencies where psi_b**2 is below this (psi peaks at ~1) are left out of
# the Parseval sums: the terms they would add are below float64 rounding of
# the total (each is a product of two spectra weighted by psi_b**2).
_SUPPORT_THRESHOLD = 1e-13


class SpectraPlan(NamedTuple):
    """Filters and frequency supports of the statistics for one grid.

    Attributes
    ----------
    shape : tuple of int
        ``(H, W)``.
    J, L : int
    psi : ndarray of shape (J * L, H, W)
        Real Fourier multipliers of the wavelets, ``(j, l)`` in C order.
    squared : ndarray of shape (H * W, J * L)
        ``psi**2 / (H W)**2``, flattened and transposed: the weights of the
        Parseval sums of the powers.
    low : ndarray of shape (H, W)
        ``phi**2 / (H W)**2`` with its zero frequency set to 0.
    supports : tuple of ndarray
        ``supports[b]``: flat indices of the frequencies where
        ``psi[b]**2 >= 1e-13``.
    roots : tuple of ndarray
        ``roots[b] = |psi[b]| / (H W)`` on ``supports[b]``: the square roots
        of the weights ``psi[b]**2 / (H W)**2`` of the Parseval sums, which
        scale both factors of each product.
    """

    shape: tuple
    J: int
    L: int
    psi: np.ndarray
    squared: np.ndarray
    low: np.ndarray
    supports: tuple
    roots: tuple


@lru_cache(maxsize=8)
def spectra_plan(H, W, J, L):
    """The cached, read-only :class:`SpectraPlan` of an ``H x W`` grid.

    Parameters
    ----------
    H, W : int
        Grid size; at least ``2**J`` each.
    J : int
        Number of dyadic scales of the wavelets.
    L : int
        Number of wavelet orientations in ``[0, pi)``.

    Returns
    -------
    plan : SpectraPlan

    Examples
    --------
    >>> plan = spectra_plan(32, 32, 3, 4)
    >>> plan.psi.shape, len(plan.supports)
    ((12, 32, 32), 12)
    """
    # The same Morlet wavelets as the scattering transform's, sampled on the
    # (unpadded, periodic) grid of the field itself.
    psi = np.empty((J * L, H, W))
    for j in range(J):
        for t in range(L):
            spatial = morlet_2d(H, W, 0.8 * 2**j, _wave_orientation(t, L), 3.0 / 4.0 * np.pi / 2**j, 4.0 / L)
            psi[j * L + t] = np.fft.fft2(spatial).real
    phi = np.fft.fft2(gaussian_2d(H, W, 0.8 * 2 ** (J - 1))).real
    scale = 1.0 / float(H * W) ** 2
    low = phi**2 * scale
    low[0, 0] = 0.0
    squared = (psi**2).reshape(J * L, -1)
    supports, roots = [], []
    for b in range(J * L):
        index = np.flatnonzero(squared[b] >= _SUPPORT_THRESHOLD)
        supports.append(index)
        roots.append(np.sqrt(squared[b, index] * scale))
    power_weights = np.ascontiguousarray(squared.T * scale)
    for a in (psi, power_weights, low, *supports, *roots):
        a.setflags(write=False)
    return SpectraPlan((H, W), J, L, psi, power_weights, low, tuple(supports), tuple(roots))


_PLAN_COPIES = {}


def plan_on(plan, ops, dtype=np.float64):
    """``plan`` with its real arrays in ``dtype``, on the device of ``ops``; cached per grid, dtype and device."""
    dtype = np.dtype(dtype)
    if ops.device is None and dtype == np.float64:
        return plan
    key = (plan.shape, plan.J, plan.L, dtype.str, ops.device)
    if key not in _PLAN_COPIES:
        if len(_PLAN_COPIES) >= 8:
            _PLAN_COPIES.pop(next(iter(_PLAN_COPIES)))

        def move(a):
            a = a if a.dtype.kind != "f" else a.astype(dtype)
            return a if ops.device is None else ops.asarray(a)

        _PLAN_COPIES[key] = plan._replace(
            psi=move(plan.psi),
            squared=move(plan.squared),
            low=move(plan.low),
            supports=tuple(move(s) for s in plan.supports),
            roots=tuple(move(w) for w in plan.roots),
        )
    return _PLAN_COPIES[key]


class SpectraState(NamedTuple):
    """What the forward pass keeps for :func:`spectra_vjp`."""

    X: object  # (B, C, H*W) complex: spectra of the fields
    Z: object  # (B, C, J*L, H, W) complex: first-order wavelet coefficients
    U: object  # (B, C, J*L, H, W) real: their moduli
    U_hat: object  # (B, C, J*L, H*W) complex: spectra of their moduli


def _rows(U_hat, X, plan, b, ops):
    """On ``b``'s support, scaled by its roots: the spectra of the envelopes ``U[c, a]``, ``j(a) <= j(b)``, then the fields'.

    Shape (B, C * n + C, s): ``C * n`` envelope rows, ``c`` outermost, and the
    ``C`` field rows.
    """
    B, C = U_hat.shape[:2]
    n = plan.L * (b // plan.L + 1)
    support, root = plan.supports[b], plan.roots[b]
    M = ops.xp.empty((B, C * n + C, support.shape[0]), dtype=U_hat.dtype)
    for i in range(B):
        for c in range(C):
            ops.gather_support(U_hat[i, c, :n], support, root, M[i, c * n : (c + 1) * n])
        ops.gather_support(X[i], support, root, M[i, C * n :])
    return M


def _real_weighted(a, weights):
    """``a @ weights`` for a complex ``a`` and real ``weights``, in real arithmetic (no complex copy of ``weights``)."""
    return a.real @ weights + 1j * (a.imag @ weights)


def spectra_statistics(x, plan, ops, cross=True):
    """Raw scattering-spectra statistics of a batch of periodic fields.

    Parameters
    ----------
    x : array of shape (B, C, H, W), float64 or float32
    plan : SpectraPlan
        From :func:`spectra_plan`, through :func:`plan_on` for the dtype of
        ``x`` and the device of ``ops``.
    ops : FourierOps
    cross : bool, default=True
        Whether to compute ``phase`` and ``envelope`` (left as empty lists
        otherwise, which saves most of the work).

    Returns
    -------
    stats : dict
        ``"mean"`` (B, C); ``"low"`` (B, C, C); ``"power"`` (B, C, C, J L);
        ``"sparsity"`` (B, C, J L); and, for each wavelet ``b``,
        ``"phase"[b]`` of shape (B, C n_b, C) and ``"envelope"[b]`` of shape
        (B, C n_b, C n_b), where the ``C n_b`` rows are the envelopes
        ``(c, a)`` with ``j(a) <= j(b)``, ``c`` outermost.
    state : SpectraState
        For :func:`spectra_vjp`.
    """
    xp = ops.xp
    B, C, H, W = x.shape
    n_wavelets = plan.J * plan.L
    X = ops.fft2(x)
    Z = ops.ifft2(X[:, :, None] * plan.psi)
    U = xp.abs(Z)
    U_hat = ops.fft2(U).reshape(B, C, n_wavelets, H * W) if cross else None
    X = X.reshape(B, C, H * W)
    products = X[:, :, None, :] * X.conj()[:, None, :, :]  # (B, C, C, HW)
    stats = {
        "mean": x.mean(axis=(-2, -1)),
        "low": _real_weighted(products, plan.low.reshape(-1)),
        "power": _real_weighted(products, plan.squared),
        "sparsity": U.mean(axis=(-2, -1)),
        "phase": [],
        "envelope": [],
    }
    for b in range(n_wavelets if cross else 0):
        # One product gives both: the rows are the envelopes' spectra, then
        # the fields'; the envelope block is R x R, the phase block R x C.
        M = _rows(U_hat, X, plan, b, ops)
        R = M.shape[1] - C
        products = ops.gram(M)
        stats["envelope"].append(products[:, :R, :R])
        stats["phase"].append(products[:, :R, R:])
    return stats, SpectraState(X, Z, U, U_hat)


def spectra_vjp(grads, state, plan, ops):
    """Gradient of ``L`` with respect to the fields, given ``L``'s gradients with respect to the statistics.

    Parameters
    ----------
    grads : dict
        Shaped like :func:`spectra_statistics`'s ``stats``; complex entries
        in the convention ``dL/dRe + i dL/dIm``, any entry may be None (0).
    state : SpectraState
    plan : SpectraPlan
    ops : FourierOps

    Returns
    -------
    gx : array of shape (B, C, H, W), in the forward's precision
    """
    xp = ops.xp
    X, Z, U, U_hat = state
    B, C, n_wavelets, H, W = Z.shape
    HW = H * W
    # Gradients arrive in float64; the backward pass runs in the forward's precision.
    def cast(g):
        return None if g is None else g.astype(X.dtype if xp.iscomplexobj(g) else U.dtype)

    grads = {key: [cast(b) for b in g] if isinstance(g, list) else cast(g) for key, g in grads.items()}

    def hermitian_part(G):
        # S = A w B^H, B = A: gA = w (G + G^H) A (see the module docstring).
        return G + xp.swapaxes(G.conj(), -1, -2)

    gX = xp.zeros((B, C, HW), dtype=X.dtype)
    gU_hat = None
    if grads.get("low") is not None:
        gX += (hermitian_part(grads["low"]) @ X) * plan.low.reshape(-1)
    if grads.get("power") is not None:
        G = hermitian_part(xp.moveaxis(grads["power"], -1, 1))  # (B, J L, C, C)
        T = _real_weighted(xp.moveaxis(G, 1, -1), plan.squared.T)  # (B, C, C, HW)
        gX += (T * X[:, None]).sum(axis=2)
    phase, envelope = grads.get("phase"), grads.get("envelope")
    for b in range(len(phase or envelope or ())):
        if (phase is None or phase[b] is None) and (envelope is None or envelope[b] is None):
            continue
        support, root = plan.supports[b], plan.roots[b]
        n = plan.L * (b // plan.L + 1)
        M = _rows(U_hat, X, plan, b, ops)
        R = C * n
        # The statistics are the first R rows of P = M M^H (M scaled by the
        # roots r of the weights); with G their gradient (zero on the last C
        # rows of the square), the unscaled rows get r (G + G^H) M.
        G = xp.zeros((B, R + C, R + C), dtype=M.dtype)
        if envelope is not None and envelope[b] is not None:
            G[:, :R, :R] = envelope[b]
        if phase is not None and phase[b] is not None:
            G[:, :R, R:] = phase[b]
        gM = hermitian_part(G) @ M
        if gU_hat is None:
            gU_hat = xp.zeros((B, C, n_wavelets, HW), dtype=U_hat.dtype)
        for i in range(B):
            for c in range(C):
                ops.scatter_add_support(gU_hat[i, c, :n], support, gM[i, c * n : (c + 1) * n], root)
            ops.scatter_add_support(gX[i], support, gM[i, R:], root)
    # U_hat = fft2(U), U real: gU = Re(HW ifft2(gU_hat)).
    if gU_hat is None:
        gU = xp.zeros(Z.shape, dtype=X.real.dtype)
    else:
        gU = HW * ops.ifft2(gU_hat.reshape(B, C, n_wavelets, H, W)).real
    if grads.get("sparsity") is not None:
        gU += grads["sparsity"][..., None, None] * (1.0 / HW)
    # U = |Z|: gZ = gU Z / |Z|, 0 where Z = 0.
    gU /= xp.where(U > 0, U, xp.inf)
    gZ = gU * Z
    # Z = ifft2(X psi): gX += psi fft2(gZ) / HW, summed over the wavelets.
    gX += ((ops.fft2(gZ) * plan.psi).sum(axis=2) * (1.0 / HW)).reshape(B, C, HW)
    # X = fft2(x), x real: gx = Re(HW ifft2(gX)).
    gx = HW * ops.ifft2(gX.reshape(B, C, H, W)).real
    if grads.get("mean") is not None:
        gx += grads["mean"][..., None, None] * (1.0 / HW)
    return gx
