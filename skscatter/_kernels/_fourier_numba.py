"""Numba kernels for the scattering core: filter + fold, modulus, and sums over frequency supports.

* ``filter_fold`` fuses what an FFT library leaves to separate NumPy passes
  (Hermitian extension of an rfft half spectrum, multiplication by a real
  filter, aliasing sum, scaling) into one pass per signal;
* ``modulus`` is the complex modulus, overflow-safe for float32;
* ``filter_fold_adjoint`` and ``modulus_adjoint`` are the adjoints of the
  two, which the vector-Jacobian product runs backwards: the tiling of each
  spectrum over the aliased blocks, the product by its filter, the sum over
  filters and the Hermitian fold back to a half spectrum in one pass per
  signal;
* ``gather_support`` and ``scatter_add_support`` read and accumulate the
  frequencies of a support (scaled) in one pass each, where NumPy's fancy
  indexing takes two or three.

They compute what :mod:`skscatter._kernels._fourier_xp` computes.  Complex
arrays are passed as real views with interleaved ``(re, im)`` pairs
(``z.view(z.real.dtype)``) and real filters with each value repeated twice,
so that inner loops are contiguous real multiply-adds, over flat views with
a plain ``range`` index, which LLVM vectorises.

Callers allocate ``out`` and check shapes (see
:mod:`skscatter._kernels.fourier`); the kernels index without bounds checks.
Every kernel has a serial twin (``*_serial``) compiled from the same source,
used when one thread is requested.  Each output element is computed by one
thread in a fixed order, so results do not depend on the thread count or on
how the input was split into batches.
"""

import numpy as np
from numba import njit, prange

from ._twins import compile_twin


@njit(cache=True, fastmath=True, nogil=True)
def _unfold_blocked(x_half, n_cols, k, row, blocked):
    """Write the full interleaved spectrum of one real signal in fold-blocked order.

    ``x_half`` is its interleaved rfft2 half spectrum ``(M, 2 * n_half)``;
    the missing columns follow from ``X[u, v] = conj(X[-u mod M, N - v])``.
    ``blocked`` (flat, ``M * 2 * n_cols``) receives the ``k x k`` aliased
    blocks one after the other: block ``(i, j)`` holds rows
    ``i*Mo .. (i+1)*Mo`` and columns ``j*No .. (j+1)*No``, C order.
    ``row`` is scratch of length ``2 * n_cols``.
    """
    M = x_half.shape[0]
    n_half = x_half.shape[1] // 2
    Mo, width = M // k, 2 * (n_cols // k)
    for u in range(M):
        row[: 2 * n_half] = x_half[u]
        mirror = x_half[(M - u) % M]
        for v in range(n_half, n_cols):
            row[2 * v] = mirror[2 * (n_cols - v)]
            row[2 * v + 1] = -mirror[2 * (n_cols - v) + 1]
        i, uu = u // Mo, u % Mo
        for j in range(k):
            start = ((i * k + j) * Mo + uu) * width
            blocked[start : start + width] = row[j * width : (j + 1) * width]


def _filter_fold(x_half, filters2, k, n_cols, out):
    # x_half (R, M, 2*n_half); filters2 (P, M * 2*n_cols) in fold-blocked
    # order for this k; out (R, P, Mo * 2*No).  Blocked order makes each
    # aliased block a contiguous run of Mo * 2*No values, so the fold is k*k
    # long vectorisable multiply-adds instead of many short row loops.
    R, M, _ = x_half.shape
    P = filters2.shape[0]
    size = (M // k) * 2 * (n_cols // k)
    scale = 1.0 / (k * k)
    for r in prange(R):
        blocked = np.empty(M * 2 * n_cols, dtype=x_half.dtype)
        row = np.empty(2 * n_cols, dtype=x_half.dtype)
        _unfold_blocked(x_half[r], n_cols, k, row, blocked)
        for p in range(P):
            o = out[r, p]
            f = filters2[p]
            for w in range(size):
                o[w] = blocked[w] * f[w]
            for b in range(1, k * k):
                x_block = blocked[b * size : (b + 1) * size]
                f_block = f[b * size : (b + 1) * size]
                for w in range(size):
                    o[w] += x_block[w] * f_block[w]
            if k > 1:
                for w in range(size):
                    o[w] *= scale


def _filter_fold_1d(x_half, filters, starts, widths, k, n, out):
    # x_half (R, 2*n_half) interleaved half spectra; filters (P, n) real;
    # filter p is negligible outside the circular window of widths[p]
    # frequencies from starts[p]; out (R, P, 2*(n//k)) interleaved.
    # Band-pass filters occupy a small part of the spectrum, so only their
    # window is multiplied and added onto its aliased position (i mod n/k):
    # the fold costs the window's width, not n.  Frequencies past the half
    # spectrum are read from their mirror, X[i] = conj(X[n - i]).
    R = x_half.shape[0]
    n_half = x_half.shape[1] // 2
    P = filters.shape[0]
    m = n // k
    scale = 1.0 / k
    for row in prange(R * P):
        r = row // P
        p = row - r * P
        half = x_half[r]
        o = out[r, p]
        o[:] = 0.0
        f = filters[p]
        i = starts[p]
        j = i % m
        for _ in range(widths[p]):
            if i < n_half:
                re = half[2 * i]
                im = half[2 * i + 1]
            else:
                re = half[2 * (n - i)]
                im = -half[2 * (n - i) + 1]
            o[2 * j] += re * f[i]
            o[2 * j + 1] += im * f[i]
            i += 1
            if i == n:
                i = 0
            j += 1
            if j == m:
                j = 0
        if k > 1:
            for w in range(2 * m):
                o[w] *= scale


def _modulus(z, out):
    # z: interleaved (re, im) pairs, flat (2n,); out: (n,).  Squares are
    # summed in float64, where float32 values cannot overflow; a float64
    # modulus beyond ~1e154 becomes inf, which the caller reports.
    for t in prange(out.shape[0]):
        re = np.float64(z[2 * t])
        im = np.float64(z[2 * t + 1])
        out[t] = np.sqrt(re * re + im * im)


def _gather_support(rows, support, scale, out):
    # rows: (R, P) complex; out: (R, s).
    for r in prange(out.shape[0]):
        for k in range(support.shape[0]):
            out[r, k] = rows[r, support[k]] * scale[k]


def _scatter_add_support(out, support, values, scale):
    # out: (R, P) complex; values: (R, s); support: distinct indices.
    for r in prange(out.shape[0]):
        for k in range(support.shape[0]):
            out[r, support[k]] += values[r, k] * scale[k]
def _filter_fold_adjoint(g, filters2, k, n_cols, out):
    # g (R, P, Mo * 2*No) interleaved spectra; filters2 (P, M * 2*n_cols)
    # in fold-blocked order for this k; out (R, M, 2*n_half) interleaved,
    # added to.  The transpose of _filter_fold: in blocked order each aliased
    # block of the full spectrum is a contiguous run of Mo * 2*No values
    # that receives filter-block times g, a long vectorisable multiply-add.
    R, P, size = g.shape
    M = out.shape[1]
    n_half = out.shape[2] // 2
    Mo, No = M // k, n_cols // k
    width = 2 * No
    # Where column v of a row, and column -v of the mirrored row, sit in
    # blocked order (a row's blocks are Mo * width apart).
    column = np.empty(n_half, dtype=np.int64)
    mirror_column = np.empty(n_half, dtype=np.int64)
    for v in range(n_half):
        mv = (n_cols - v) % n_cols
        column[v] = (v // No) * Mo * width + 2 * (v % No)
        mirror_column[v] = (mv // No) * Mo * width + 2 * (mv % No)
    for r in prange(R):
        blocked = np.zeros(M * 2 * n_cols, dtype=out.dtype)
        for p in range(P):
            gp = g[r, p]
            f = filters2[p]
            for b in range(k * k):
                acc = blocked[b * size : (b + 1) * size]
                f_block = f[b * size : (b + 1) * size]
                for w in range(size):
                    acc[w] += f_block[w] * gp[w]
        # Hermitian part, half plane: (G[u, v] + conj(G[-u, -v])) / 2.
        o = out[r]
        for u in range(M):
            mu = (M - u) % M
            row = ((u // Mo) * k * Mo + u % Mo) * width
            mirror_row = ((mu // Mo) * k * Mo + mu % Mo) * width
            for v in range(n_half):
                a = row + column[v]
                c = mirror_row + mirror_column[v]
                o[u, 2 * v] += 0.5 * (blocked[a] + blocked[c])
                o[u, 2 * v + 1] += 0.5 * (blocked[a + 1] - blocked[c + 1])


def _modulus_adjoint(gu, z, out):
    # gu (n,) real; z and out interleaved (2n,), out may be z itself.  The
    # modulus is taken in float64, as in _modulus.  Where z = 0 the divisor
    # becomes 1 and the result 0 (the subgradient of the modulus there),
    # without a branch that would keep the loop from vectorising.
    for t in prange(gu.shape[0]):
        re = np.float64(z[2 * t])
        im = np.float64(z[2 * t + 1])
        magnitude = np.sqrt(re * re + im * im)
        scale = gu[t] / (magnitude + (magnitude == 0.0))
        out[2 * t] = re * scale
        out[2 * t + 1] = im * scale


filter_fold = compile_twin(_filter_fold, parallel=True, fastmath=True)
filter_fold_serial = compile_twin(_filter_fold, parallel=False, fastmath=True)
filter_fold_1d = compile_twin(_filter_fold_1d, parallel=True)
filter_fold_1d_serial = compile_twin(_filter_fold_1d, parallel=False)
filter_fold_adjoint = compile_twin(_filter_fold_adjoint, parallel=True, fastmath=True)
filter_fold_adjoint_serial = compile_twin(_filter_fold_adjoint, parallel=False, fastmath=True)
modulus = compile_twin(_modulus, parallel=True)
modulus_serial = compile_twin(_modulus, parallel=False)
gather_support = compile_twin(_gather_support, parallel=False)
scatter_add_support = compile_twin(_scatter_add_support, parallel=False)
modulus_adjoint = compile_twin(_modulus_adjoint, parallel=True)
modulus_adjoint_serial = compile_twin(_modulus_adjoint, parallel=False)
