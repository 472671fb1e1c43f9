"""Exact vector-Jacobian product of the 2D scattering transform, written once for every backend.

For padded images ``x`` and a cotangent ``g`` shaped like the coefficients
``S(x)`` of :func:`skscatter.scattering._core.scattering_2d`, computes
``grad_x <S(x), g>`` by running the forward algorithm and then the adjoint
of each of its steps in reverse order:

=========================================  ==============================================
forward step                               adjoint
=========================================  ==============================================
``S = rows @ U @ cols.T`` (low-pass)        ``gU += rows.T @ gS @ cols``
``U = |Z|`` (modulus)                       ``gZ = gU * Z / |Z|`` (0 where ``Z = 0``)
``Z = ifft2(W)`` on ``m x n``               ``gW = fft2(gZ) / (m n)``
``W = fold_k(X * psi)`` (filter, decimate)  ``gX += psi * tile_k(gW) / k**2``
``X = fft2(u)`` for a real ``u``            ``gu += Re(M N ifft2(gX))``
=========================================  ==============================================

Complex gradients follow the convention ``gZ = dL/dRe(Z) + i dL/dIm(Z)``
for a real loss ``L``, under which the adjoint of a complex linear map
``A`` is its conjugate transpose ``A^H``.  The modulus is not differentiable
where ``Z = 0``; the subgradient 0 is used there (a set of measure zero).

The last three rows run as ``fft2``, then ``ops.filter_fold_adjoint`` (tile,
multiply, sum over filters), then ``irfft2``: the scalings ``1 / (m n)``,
``1 / k**2`` and ``M N`` cancel (``M = k m``), and since ``u`` is real
only the Hermitian part of ``gX`` matters, whose half spectrum
``filter_fold_adjoint`` accumulates and ``irfft2`` inverts.  The backend
computes these steps as it computes the forward ones (fused numba kernels,
or array expressions on NumPy and CuPy).
"""

import numpy as np

from ._core import children_index, mix_orientations, n_paths


def lowpass_adjoint(gS, rows, cols, xp):
    """Adjoint of ``S = rows @ U @ cols.T``: ``gU = rows.T @ gS @ cols``."""
    return xp.matmul(xp.matmul(rows.T, gS), cols)


def wavelet_adjoint(gZ, psi, k, n_cols, out, ops):
    """Adjoint of ``Z = ifft2(filter_fold(x_half, psi, k))``, added to the half spectrum ``out``.

    Parameters
    ----------
    gZ : array of shape (R, P, M / k, n_cols / k), complex
        Gradient with respect to the ``P`` filtered, decimated maps of each
        of ``R`` real signals; overwritten (by its ``fft2``).
    psi : array
        The ``P`` filters in the layout of ``ops`` (``bank.psi`` rows).
    k : int
    n_cols : int
        Columns of the signals' full spectra.
    out : array of shape (R, M, n_cols // 2 + 1), complex
        Half spectrum of the Hermitian part of the gradient with respect to
        the full spectra, updated in place; ``ops.irfft2(out, (M, n_cols))``
        is then the gradient with respect to the real signals.
    ops : FourierOps

    Returns
    -------
    out
    """
    return ops.filter_fold_adjoint(ops.fft2(gZ, overwrite_x=True), psi, k, n_cols, out)


def scattering_2d_vjp(x, g, bank, max_order, ops, angular=None):
    """Gradient of ``<scattering_2d(x), g>`` with respect to the padded images ``x``.

    Parameters
    ----------
    x : array of shape (B, M, N), float64 (or float32)
        Padded images.
    g : array of shape (B, n_paths, H', W')
        Cotangent, in the layout of the coefficients.
    bank : MorletFilterBank
        Filters in the layout and on the device of ``ops``
        (:func:`skscatter.scattering._filter_bank.filter_bank_for`).
    max_order : {1, 2}
    ops : FourierOps
        Operations of any backend; its forward steps are exactly the
        transform's.
    angular : array of shape (R, L), complex, default=None
        The roto-translation layer's angular filters, as given to
        ``scattering_2d``; its adjoint is the conjugate transpose.

    Returns
    -------
    gx : array of shape (B, M, N), dtype of ``x``
    """
    xp = ops.xp
    J, L = bank.J, bank.L
    B, M, N = x.shape
    R = L if angular is None else angular.shape[0]
    assert g.shape[:2] == (B, n_paths(J, L, max_order, None if angular is None else R))

    def average_adjoint(gS, res):
        return lowpass_adjoint(gS, bank.lowpass_rows[res], bank.lowpass_cols[res], xp)

    gx = average_adjoint(g[:, 0], 0)
    x_half = ops.rfft2(x)
    gX_half = xp.zeros_like(x_half)
    first_child = 1 + J * L
    for j1 in range(J):
        k1 = 2**j1
        m1, n1 = M // k1, N // k1
        psi1 = bank.psi[0][j1 * L : (j1 + 1) * L]
        Z1 = ops.ifft2(ops.filter_fold(x_half, psi1, k1, N))  # (B, L, m1, n1)
        gU1 = average_adjoint(g[:, 1 + j1 * L : 1 + (j1 + 1) * L], j1)
        if max_order >= 2 and j1 < J - 1:
            U1_half = ops.rfft2(ops.modulus(Z1)).reshape(B * L, m1, n1 // 2 + 1)
            gU1_half = xp.zeros_like(U1_half)
            n_children = L * (J - 1 - j1)
            for j2 in range(j1 + 1, J):
                k2 = 2 ** (j2 - j1)
                psi2 = bank.psi[j1][j2 * L : (j2 + 1) * L]
                Z2 = ops.ifft2(ops.filter_fold(U1_half, psi2, k2, n1))  # (B * L, L, m1 / k2, n1 / k2)
                index = children_index(first_child, n_children, j1, j2, R, L)
                gS2 = g[:, xp.asarray(index)].reshape(B * R, L, *g.shape[2:])
                if angular is None:
                    gZ2 = ops.modulus_adjoint(average_adjoint(gS2, j2), Z2)
                else:
                    # y = A z along t1, so the cotangent of z is A^H times y's.
                    Y2 = mix_orientations(angular, Z2, B, xp)
                    gY2 = ops.modulus_adjoint(average_adjoint(gS2, j2), Y2)
                    gZ2 = xp.matmul(xp.conj(angular).T, gY2.reshape(B, R, -1)).reshape(Z2.shape)
                wavelet_adjoint(gZ2, psi2, k2, n1, gU1_half, ops)
            first_child += R * n_children
            gU1 = gU1 + ops.irfft2(gU1_half, (m1, n1)).reshape(B, L, m1, n1)
        wavelet_adjoint(ops.modulus_adjoint(gU1, Z1), psi1, k1, N, gX_half, ops)
    gx = gx + ops.irfft2(gX_half, (M, N))
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
