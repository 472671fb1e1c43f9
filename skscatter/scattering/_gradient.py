"""Exact vector-Jacobian product of the 2D scattering transform, written once for every backend.

For padded images ``x`` and a cotangent ``g`` shaped like the coefficients
``S(x)`` of :func:`skscatter.scattering._core.scattering_2d`, computes
``grad_x <S(x), g>`` by running the forward algorithm and then the adjoint
of each of its steps in reverse order:

========================================  =========================================
forward step                              adjoint
========================================  =========================================
``S = rows @ U @ cols.T`` (low-pass)       ``gU += rows.T @ gS @ cols``
``U = |Z|`` (modulus)                      ``gZ = gU * Z / |Z|`` (0 where ``Z = 0``)
``Z = ifft2(W)`` on ``m x n``              ``gW = fft2(gZ) / (m n)``
``W = fold_k(X * psi)`` (filter, decimate) ``gX += psi * tile_k(gW) / k**2``
``X = fft2(u)`` for a real ``u``           ``gu += Re(m n ifft2(gX))``
========================================  =========================================

Complex gradients follow the convention ``gZ = dL/dRe(Z) + i dL/dIm(Z)``
for a real loss ``L``, under which the adjoint of a complex linear map
``A`` is its conjugate transpose ``A^H``.  The modulus is not differentiable
where ``Z = 0``; the subgradient 0 is used there (a set of measure zero).
"""

import numpy as np

from ._core import n_paths


def lowpass_adjoint(gS, rows, cols, xp):
    """Adjoint of ``S = rows @ U @ cols.T``: ``gU = rows.T @ gS @ cols``."""
    return xp.matmul(xp.matmul(rows.T, gS), cols)


def modulus_adjoint(gU, Z, xp):
    """Adjoint of ``U = |Z|`` at ``Z``: ``gZ = gU * Z / |Z|``, 0 where ``Z = 0``."""
    magnitude = xp.abs(Z)
    scale = gU / xp.where(magnitude > 0, magnitude, xp.inf)
    return scale * Z


def wavelet_adjoint(gZ, psi, k, ops):
    """Adjoint of ``Z = ifft2(fold_k(X * psi))`` with respect to the full spectrum ``X``.

    Parameters
    ----------
    gZ : array of shape (..., P, m, n), complex
        Gradient with respect to the ``P`` filtered, decimated maps.
    psi : array of shape (P, k m, k n), real
    k : int
    ops : FourierOps

    Returns
    -------
    gX : array of shape (..., k m, k n), complex
        Summed over the ``P`` filters.
    """
    m, n = gZ.shape[-2:]
    P = psi.shape[0]
    # The fold averages k x k aliased blocks: its adjoint copies each value
    # back to every block, divided by k**2 -- here by broadcasting against
    # the filters cut into those blocks, without materialising the copies.
    gW = ops.fft2(gZ) * (1.0 / (m * n * k * k))
    blocks = psi.reshape(P, k, m, k, n)
    gX = (blocks * gW[..., :, None, :, None, :]).sum(axis=-5)
    return gX.reshape(*gX.shape[:-4], k * m, k * n)


def spectrum_adjoint(gX, ops):
    """Adjoint of ``X = fft2(u)`` for a real ``u``: ``gu = Re(m n ifft2(gX))``."""
    m, n = gX.shape[-2:]
    return (m * n) * ops.ifft2(gX).real


def scattering_2d_vjp(x, g, bank, max_order, ops):
    """Gradient of ``<scattering_2d(x), g>`` with respect to the padded images ``x``.

    Parameters
    ----------
    x : array of shape (B, M, N), float64 (or float32)
        Padded images.
    g : array of shape (B, n_paths, H', W')
        Cotangent, in the layout of the coefficients.
    bank : MorletFilterBank
        Plain-layout filters (``filter_bank``) as arrays of ``ops.xp``.
    max_order : {1, 2}
    ops : FourierOps
        Operations of a plain-layout backend ("numpy" or "cupy"), whose
        forward steps are exactly the transform's.

    Returns
    -------
    gx : array of shape (B, M, N), dtype of ``x``
    """
    xp = ops.xp
    J, L = bank.J, bank.L
    B, M, N = x.shape
    assert g.shape[:2] == (B, n_paths(J, L, max_order))

    def average_adjoint(gS, res):
        return lowpass_adjoint(gS, bank.lowpass_rows[res], bank.lowpass_cols[res], xp)

    gx = average_adjoint(g[:, 0], 0)
    x_half = ops.rfft2(x)
    gX = xp.zeros((B, M, N), dtype=x_half.dtype)
    first_child = 1 + J * L
    for j1 in range(J):
        k1 = 2**j1
        m1, n1 = M // k1, N // k1
        psi1 = bank.psi[0][j1 * L : (j1 + 1) * L]  # (L, M, N)
        Z1 = ops.ifft2(ops.filter_fold(x_half, psi1, k1, N))  # (B, L, m1, n1)
        gU1 = average_adjoint(g[:, 1 + j1 * L : 1 + (j1 + 1) * L], j1)
        if max_order >= 2 and j1 < J - 1:
            U1_half = ops.rfft2(xp.abs(Z1)).reshape(B * L, m1, n1 // 2 + 1)
            gU1_hat = xp.zeros((B, L, m1, n1), dtype=U1_half.dtype)
            n_children = L * (J - 1 - j1)
            for j2 in range(j1 + 1, J):
                k2 = 2 ** (j2 - j1)
                m2, n2 = m1 // k2, n1 // k2
                psi2 = bank.psi[j1][j2 * L : (j2 + 1) * L]  # (L, m1, n1)
                Z2 = ops.ifft2(ops.filter_fold(U1_half, psi2, k2, n1)).reshape(B, L, L, m2, n2)
                t1, t2 = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
                index = first_child + t1 * n_children + (j2 - j1 - 1) * L + t2
                gS2 = g[:, xp.asarray(index.ravel())].reshape(B, L, L, *g.shape[2:])
                gZ2 = modulus_adjoint(average_adjoint(gS2, j2), Z2, xp)
                gU1_hat += wavelet_adjoint(gZ2, psi2, k2, ops)
            first_child += L * n_children
            gU1 = gU1 + spectrum_adjoint(gU1_hat, ops)
        gX += wavelet_adjoint(modulus_adjoint(gU1, Z1, xp), psi1, k1, ops)
    gx = gx + spectrum_adjoint(gX, ops)
    return gx.astype(x.dtype, copy=False)


def pad_images_adjoint(gx, shape, padded, xp):
    """Adjoint of :func:`skscatter.scattering._core.pad_images`: fold the padding back onto the image."""
    from ._core import reflect_indices

    H, W = shape
    M, N = padded
    rows = reflect_indices(H, (M - H) // 2, M)
    cols = reflect_indices(W, (N - W) // 2, N)
    # Sum the padded rows (then columns) that copy each image row, as one
    # matrix product with the 0/1 selection matrix each.
    select_rows = np.zeros((H, M))
    select_rows[rows, np.arange(M)] = 1
    select_cols = np.zeros((W, N))
    select_cols[cols, np.arange(N)] = 1
    select_rows = xp.asarray(select_rows, dtype=gx.dtype)
    select_cols = xp.asarray(select_cols, dtype=gx.dtype)
    return xp.matmul(xp.matmul(select_rows, gx), select_cols.T)
