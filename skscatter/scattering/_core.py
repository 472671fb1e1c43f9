"""The 2D scattering algorithm, written once for every backend.

Notation (Mallat 2012; Bruna & Mallat 2013): for an image ``x``, low-pass
``phi_J`` and wavelets ``psi_{j, theta}``,

* order 0: ``S0 x = x * phi_J``
* order 1: ``S1 x[j1, t1] = |x * psi_{j1, t1}| * phi_J``
* order 2: ``S2 x[j1, t1, j2, t2] = ||x * psi_{j1, t1}| * psi_{j2, t2}| * phi_J``
  for ``j2 > j1``

each sampled every ``2**J`` pixels.  Convolutions are products in Fourier;
subsampling by ``k`` is a fold of the spectrum (see
:func:`skscatter._kernels._fourier_xp.fold`), applied as early as the
bandwidth of each filter allows, exactly as kymatio's ``Scattering2D`` does.
Every real signal that needs a spectrum is transformed with ``rfft2`` and
only its half spectrum is kept; the kernels rebuild the other half on the
fly.  The final low-pass, decimation and crop of each map is a separable
linear map, applied as two matrix products (see ``MorletFilterBank``).

Path order (the reference's): S0, then S1 in ``(j1, t1)`` order, then S2
grouped by parent ``(j1, t1)``, each group in ``(j2, t2)`` order.

The roto-translation second layer (Oyallon & Mallat 2015) filters the
complex second-order maps along ``t1`` before the modulus (a matrix ``A``
of ``R`` angular outputs, :mod:`skscatter.scattering._angular`):
``S2 x[j1, r, j2, t2] = |sum_t1 A[r, t1] (|x * psi_{j1, t1}| * psi_{j2, t2})| * phi_J``,
in the same order with the angular output ``r`` in place of ``t1``.
"""

import numpy as np


def n_paths(J, L, max_order, n_angular=None):
    """Number of scattering paths: ``1 + J L`` (+ ``L**2 J (J - 1) / 2`` at order 2).

    ``n_angular`` (the roto-translation layer's angular outputs ``R``)
    replaces the first ``L`` of the second-order count.

    Examples
    --------
    >>> n_paths(2, 8, 2), n_paths(4, 8, 2), n_paths(2, 8, 1), n_paths(3, 8, 2, n_angular=28)
    (81, 417, 17, 697)
    """
    n = 1 + J * L
    if max_order >= 2:
        n += (L if n_angular is None else n_angular) * L * J * (J - 1) // 2
    return n


def scattering_paths(J, L, max_order, n_angular=None):
    """List the paths in output order as ``(order, j1, t1, j2, t2)``; -1 marks unused.

    With ``n_angular``, second-order paths hold the angular output ``r`` in
    place of ``t1``.

    Examples
    --------
    >>> scattering_paths(2, 1, 2)
    [(0, -1, -1, -1, -1), (1, 0, 0, -1, -1), (1, 1, 0, -1, -1), (2, 0, 0, 1, 0)]
    """
    paths = [(0, -1, -1, -1, -1)]
    paths += [(1, j1, t1, -1, -1) for j1 in range(J) for t1 in range(L)]
    if max_order >= 2:
        paths += [
            (2, j1, t1, j2, t2)
            for j1 in range(J)
            for t1 in range(L if n_angular is None else n_angular)
            for j2 in range(j1 + 1, J)
            for t2 in range(L)
        ]
    return paths


def output_size(size, J):
    """Output samples along an axis of ``size`` pixels: ``size // 2**J``, at least 1.

    The reference crops one coarse sample of padding on each side, leaving
    ``size // 2**J``; for an axis shorter than ``2**J`` we keep the first
    coarse sample instead of returning nothing, so the transform is total.
    """
    return max(1, size // 2**J)


def reflect_indices(size, before, total):
    """Indices into an axis of ``size`` that reflect-pad it (as ``np.pad(mode="reflect")``).

    Works for any pad width, including pads wider than the axis, and for
    ``size == 1`` (a constant extension).

    Examples
    --------
    >>> reflect_indices(3, 2, 7).tolist()
    [2, 1, 0, 1, 2, 1, 0]
    """
    positions = np.arange(total) - before
    if size == 1:
        return np.zeros(total, dtype=np.intp)
    period = 2 * (size - 1)
    positions = np.mod(positions, period)
    return np.where(positions < size, positions, period - positions).astype(np.intp)


def pad_images(x, padded, xp):
    """Reflect-pad ``(B, H, W)`` images to ``padded = (M, N)``, centred as the reference."""
    _, H, W = x.shape
    M, N = padded
    rows = xp.asarray(reflect_indices(H, (M - H) // 2, M))
    cols = xp.asarray(reflect_indices(W, (N - W) // 2, N))
    return x[:, rows][:, :, cols]


def children_index(first_child, n_children, j1, j2, R, L):
    """Output paths of the ``R * L`` second-order maps of ``(j1, j2)``, in ``(parent, t2)`` order.

    Child ``(j2, t2)`` of parent ``t1`` (or angular output ``r``) sits at
    ``first_child + t1 * n_children + (j2 - j1 - 1) * L + t2``, where
    ``first_child`` is the first second-order path of scale ``j1``.
    """
    t1, t2 = np.meshgrid(np.arange(R), np.arange(L), indexing="ij")
    return (first_child + t1 * n_children + (j2 - j1 - 1) * L + t2).ravel()


def mix_orientations(angular, w, B, xp):
    """``angular`` (R, L) applied along ``t1`` of complex maps ``w`` (B * L, P, m, n): (B * R, P, m, n)."""
    R, L = angular.shape
    return xp.matmul(angular, w.reshape(B, L, -1)).reshape(B * R, *w.shape[1:])


def scattering_2d(x, bank, max_order, ops, angular=None):
    """Scattering coefficients of a batch of padded images.

    Parameters
    ----------
    x : array of shape (B, M, N), float32 or float64
        Images already padded to the size the filter bank was built for.
    bank : MorletFilterBank
        Filters as arrays of the ``ops`` namespace, in the dtype of ``x``.
    max_order : {1, 2}
        Highest scattering order.
    ops : FourierOps
        Backend operations (:mod:`skscatter._kernels.fourier`).
    angular : array of shape (R, L), complex, default=None
        The roto-translation layer's filters along ``t1``, in the ``ops``
        namespace and the complex dtype matching ``x``; ``None`` for the
        translation layer.

    Returns
    -------
    S : array of shape (B, n_paths, H', W'), dtype of ``x``
        ``(H', W')`` are the coarse samples kept per axis (see
        :func:`output_size`), fixed by the bank's low-pass matrices.
    """
    xp = ops.xp
    J, L = bank.J, bank.L
    B, M, N = x.shape
    Ho, Wo = bank.lowpass_rows[0].shape[0], bank.lowpass_cols[0].shape[0]
    R = L if angular is None else angular.shape[0]
    out = xp.empty((B, n_paths(J, L, max_order, None if angular is None else R), Ho, Wo), dtype=x.dtype)

    def average(u, res):
        # Low-pass at resolution 2**-res, decimate to 2**-J, drop the padding:
        # two small matrix products (the low-pass filter is separable).
        u = u.reshape(-1, *u.shape[-2:])
        return ops.lowpass(u, bank.lowpass_rows[res], bank.lowpass_cols[res])

    x_half = ops.rfft2(x)
    out[:, 0] = average(x, 0)
    first_child = 1 + J * L
    for j1 in range(J):
        k1 = 2**j1
        m1, n1 = M // k1, N // k1
        u1 = ops.modulus(ops.ifft2(ops.filter_fold(x_half, bank.psi[0][j1 * L : (j1 + 1) * L], k1, N)))
        out[:, 1 + j1 * L : 1 + (j1 + 1) * L] = average(u1, j1).reshape(B, L, Ho, Wo)
        if max_order < 2 or j1 == J - 1:
            continue
        # Only maps with children need their spectrum.
        u1_half = ops.rfft2(u1).reshape(B * L, m1, n1 // 2 + 1)
        n_children = L * (J - 1 - j1)
        for j2 in range(j1 + 1, J):
            k2 = 2 ** (j2 - j1)
            w2 = ops.ifft2(ops.filter_fold(u1_half, bank.psi[j1][j2 * L : (j2 + 1) * L], k2, n1))
            if angular is not None:
                w2 = mix_orientations(angular, w2, B, xp)
            s2 = average(ops.modulus(w2), j2).reshape(B, R * L, Ho, Wo)
            out[:, xp.asarray(children_index(first_child, n_children, j1, j2, R, L))] = s2
        first_child += R * n_children
    return out
