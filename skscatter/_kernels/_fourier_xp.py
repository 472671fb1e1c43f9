"""Fourier-domain filtering and folding written against an array namespace.

These functions run unchanged on NumPy and CuPy arrays (the namespace is
passed in as ``xp``).  They are the ``backend="numpy"`` path, the building block
of the ``backend="cupy"`` path, and the readable twin of the numba kernels in
:mod:`skscatter._kernels._fourier_numba`.

Spectra of real signals are stored as half spectra (the output of
``rfft2``): ``x_half[..., u, v]`` for ``v <= N // 2``.  The other half
follows from Hermitian symmetry, ``X[u, v] = conj(X[-u mod M, N - v])``.
"""


def hermitian_full(x_half, n_cols, xp):
    """Rebuild the full ``(..., M, n_cols)`` spectrum from an rfft2 half spectrum."""
    M = x_half.shape[-2]
    n_missing = n_cols - x_half.shape[-1]
    if n_missing == 0:
        return x_half
    rows = (-xp.arange(M)) % M
    # Columns n_cols - v for v = n_half .. n_cols - 1, i.e. n_missing .. 1.
    cols = xp.arange(n_missing, 0, -1)
    tail = xp.conj(x_half[..., rows, :][..., cols])
    return xp.concatenate([x_half, tail], axis=-1)


def fold_last(x, k, xp):
    """Periodise a spectrum of shape ``(..., N)`` down to ``(..., N/k)``.

    The 1D :func:`fold`: averaging the ``k`` aliased copies is the spectrum
    of the decimation ``x[::k]``.
    """
    if k == 1:
        return x
    *lead, N = x.shape
    return xp.mean(xp.reshape(x, (*lead, k, N // k)), axis=-2)


def filter_fold_1d(x_half, filters, k, n, xp):
    """Multiply each 1D half spectrum by each filter, then fold by ``k``.

    Parameters
    ----------
    x_half : array of shape (R, n // 2 + 1), complex
        Half spectra (``rfft``) of ``R`` real signals of length ``n``.
    filters : array of shape (P, n), real
        Full Fourier-domain filters (not Hermitian: analytic wavelets).
    k : int
        Folding factor; divides ``n``.
    n : int
        Length of the full spectrum.
    xp : module
        Array namespace.

    Returns
    -------
    out : array of shape (R, P, n // k), complex
    """
    # A signal is a one-row image: the 2D Hermitian extension applies as is.
    full = hermitian_full(x_half[:, None, :], n, xp)[:, 0, :]
    return fold_last(full[:, None, :] * filters[None, :, :], k, xp)


def fold(x, k, xp):
    """Periodise a spectrum of shape ``(..., M, N)`` down to ``(..., M/k, N/k)``.

    Averaging the ``k * k`` aliased copies is the spectrum of the spatial
    decimation ``x[::k, ::k]`` (with NumPy's FFT normalisation).
    """
    if k == 1:
        return x
    *lead, M, N = x.shape
    return xp.mean(xp.reshape(x, (*lead, k, M // k, k, N // k)), axis=(-4, -2))


def filter_fold(x_half, filters, k, n_cols, xp):
    """Multiply each half spectrum by each filter, then fold by ``k``.

    Parameters
    ----------
    x_half : array of shape (R, M, n_cols // 2 + 1), complex
        Half spectra of ``R`` real signals.
    filters : array of shape (P, M, n_cols), real
        Full Fourier-domain filters (not Hermitian: wavelets are oriented).
    k : int
        Folding factor; ``M`` and ``n_cols`` are multiples of ``k``.
    n_cols : int
        Number of columns of the full spectrum.
    xp : module
        Array namespace.

    Returns
    -------
    out : array of shape (R, P, M // k, n_cols // k), complex
    """
    full = hermitian_full(x_half, n_cols, xp)
    return fold(full[:, None, :, :] * filters[None, :, :, :], k, xp)


def lowpass(u, rows, cols, xp):
    """Low-pass, decimate and crop real maps with separable matrices.

    Parameters
    ----------
    u : array of shape (R, m, n), real
    rows : array of shape (H', m)
    cols : array of shape (W', n)
    xp : module

    Returns
    -------
    s : array of shape (R, H', W'), ``s[r] = rows @ u[r] @ cols.T``
    """
    # A stack of small products: each map's result is computed on its own,
    # so it does not depend on how maps were batched.  That holds for
    # contiguous maps only: NumPy < 2.3 multiplies a strided stack (the
    # padded images, batch axis innermost) by a route whose rounding
    # depends on the stack's length.
    return xp.matmul(xp.matmul(rows, xp.ascontiguousarray(u)), cols.T)


def modulus(z, xp):
    """Elementwise complex modulus."""
    return xp.abs(z)


def gather_support(rows, support, scale, out):
    """``out[r, k] = rows[r, support[k]] * scale[k]``."""
    out[...] = rows[:, support] * scale


def scatter_add_support(out, support, values, scale):
    """``out[r, support[k]] += values[r, k] * scale[k]`` (``support`` holds each index once)."""
    out[:, support] += values * scale


def gram(M, xp):
    """``M[i] @ M[i]^H`` for each ``i``: (B, R, R)."""
    return xp.matmul(M, xp.swapaxes(M.conj(), -1, -2))
def hermitian_half(full, xp):
    """The half spectrum of the Hermitian part of a full ``(..., M, N)`` spectrum.

    ``(G[u, v] + conj(G[-u, -v])) / 2`` for ``v <= N // 2``: the spectrum of
    ``Re(ifft2(G))``, which is all that the gradient of a real signal keeps
    (``irfft2`` of the result equals ``Re(ifft2(G))``).
    """
    M, N = full.shape[-2:]
    n_half = N // 2 + 1
    rows = (-xp.arange(M)) % M
    cols = (-xp.arange(n_half)) % N
    mirror = full[..., rows, :][..., cols]
    return 0.5 * (full[..., :n_half] + xp.conj(mirror))


def filter_fold_adjoint(g, filters, k, n_cols, out, xp):
    """Add to ``out`` the half spectrum that the adjoint of :func:`filter_fold` gives a real signal.

    Each spectrum ``g[r, p]`` is tiled ``k x k`` times (the adjoint of the
    fold, without its ``1 / k**2``), multiplied by its filter and summed over
    the filters; of the sum ``G[r]``, the half spectrum of its Hermitian part
    is added to ``out[r]`` (see :func:`hermitian_half`).  With unnormalised
    FFTs on both sides, ``irfft2(out)`` is then the gradient with respect to
    the real signals of ``<ifft2(filter_fold(rfft2(x))), gz>`` for
    ``g = fft2(gz)``: the FFT scalings cancel the fold's.

    Parameters
    ----------
    g : array of shape (R, P, M // k, n_cols // k), complex
    filters : array of shape (P, M, n_cols), real
    k : int
    n_cols : int
    out : array of shape (R, M, n_cols // 2 + 1), complex
        Updated in place.
    xp : module

    Returns
    -------
    out
    """
    R, P, m, n = g.shape
    # The tiles are never materialised: the filters, cut into their k x k
    # aliased blocks, broadcast against the spectra.
    blocks = filters.reshape(P, k, m, k, n)
    full = (blocks[None] * g[:, :, None, :, None, :]).sum(axis=1)
    out += hermitian_half(full.reshape(R, k * m, k * n), xp)
    return out


def modulus_adjoint(gu, z, xp):
    """Adjoint of ``u = |z|`` at ``z``: ``gz = gu * z / |z|``, 0 where ``z = 0``.

    The modulus is not differentiable at 0; 0 is its subgradient there.
    """
    magnitude = xp.abs(z)
    return (gu / xp.where(magnitude > 0, magnitude, xp.inf)) * z
