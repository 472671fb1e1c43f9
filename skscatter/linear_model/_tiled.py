"""Tiled symmetric linear algebra: Gram matrices, Cholesky factorisation and solves by square tiles.

Every LAPACK or BLAS call here sees one tile or one panel of tiles, or a
whole matrix only below 2**31 elements: the OpenBLAS bundled with NumPy and
SciPy wheels crashed (segmentation fault) factorising a 50,000 x 50,000
matrix (2.5e9 elements, past 32-bit indexing) in one call, while a tile of
``tile`` rows stays far below that.  Only the lower triangle (tiles on and
below the diagonal) of a symmetric matrix is ever read, and only tiles on
and below the diagonal are written, so the upper half of a matrix allocated
with ``np.empty`` is never touched.  In-place LAPACK and BLAS calls see a
C-ordered matrix as the Fortran-ordered transpose: its lower triangle is
their upper one.
"""

import numpy as np
import scipy.linalg
from scipy.linalg.blas import get_blas_funcs
from scipy.linalg.lapack import get_lapack_funcs

#: Largest number of elements one BLAS or LAPACK call may see (32-bit indexing).
MAX_ELEMENTS = 2**31 - 1

#: Side of the tiles of a factorised matrix: large enough for BLAS to run at
#: full speed, few enough tiles that the Python loops over them cost nothing.
TILE = 2048


def add_lower_gram(G, b):
    """``G += b^T b`` on the lower triangle of the C-ordered ``G``, in place and without a temporary.

    Parameters
    ----------
    G : ndarray of shape (d, d), C-contiguous, float32 or float64
        Below :data:`MAX_ELEMENTS` elements.
    b : ndarray of shape (m, d), C-contiguous, of ``G``'s dtype
    """
    syrk = get_blas_funcs("syrk", (G,))
    # On the Fortran view G.T, b.T (d x m) times its transpose is b^T b.
    out = syrk(1.0, b.T, beta=1.0, c=G.T, trans=0, lower=0, overwrite_c=1)
    if not np.shares_memory(out, G):  # cannot happen for contiguous G; kept as a guard
        G[...] = out.T


def tiles(n, tile):
    """Consecutive slices of at most ``tile`` indices covering ``range(n)``."""
    return [slice(i, min(i + tile, n)) for i in range(0, n, tile)]


def _panel(t, s):
    """The slice from the start of tile ``t`` to the end of tile ``s``."""
    return slice(t.start, s.stop)


def cholesky_in_place(A, tile):
    """Overwrite the lower triangle of the symmetric positive definite ``A`` with its Cholesky factor L.

    Right-looking blocked algorithm over ``tile x tile`` tiles; the upper
    triangle outside the diagonal tiles is neither read nor written.

    Parameters
    ----------
    A : ndarray of shape (n, n), float32 or float64
        Symmetric matrix, lower triangle significant; overwritten.
    tile : int
        Tile size.

    Raises
    ------
    numpy.linalg.LinAlgError
        When a diagonal tile is not positive definite.
    """
    ts = tiles(len(A), tile)
    potrf = get_lapack_funcs("potrf", (A,))
    for k, tk in enumerate(ts):
        # Upper Cholesky factor of the Fortran view: L^T, i.e. L in the C
        # view's lower triangle; the upper triangle of the tile is left as is.
        # In place when the tile is the whole matrix, else on a tile copy.
        factor, info = potrf(A[tk, tk].T, lower=0, clean=0, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"tile {k}: not positive definite (LAPACK potrf info={info})")
        if not np.shares_memory(factor, A):
            A[tk, tk] = factor.T
        Lkk = A[tk, tk]
        rest = ts[k + 1 :]
        for ti in rest:
            # L_ik = A_ik L_kk^-T
            A[ti, tk] = scipy.linalg.solve_triangular(Lkk, A[ti, tk].T, lower=True, check_finite=False).T
        for ti in rest:
            # One panel per tile row: A_ij -= L_ik L_jk^T for every j <= i past k.
            cols = _panel(rest[0], ti)
            A[ti, cols] -= A[ti, tk] @ A[cols, tk].T
    return A


def cholesky_solve(L, B, tile):
    """Solve ``L L^T Z = B`` with the factor of :func:`cholesky_in_place` (lower triangle of ``L``).

    Parameters
    ----------
    L : ndarray of shape (n, n)
    B : ndarray of shape (n, k), float64
        Overwritten with the solution.
    tile : int

    Returns
    -------
    Z : ndarray of shape (n, k)
        ``B`` itself.
    """
    ts = tiles(len(L), tile)
    for i, ti in enumerate(ts):
        if i:
            before = _panel(ts[0], ts[i - 1])
            B[ti] -= L[ti, before] @ B[before]
        B[ti] = scipy.linalg.solve_triangular(L[ti, ti], B[ti], lower=True, check_finite=False)
    for i in range(len(ts) - 1, -1, -1):
        ti = ts[i]
        if i + 1 < len(ts):
            after = _panel(ts[i + 1], ts[-1])
            B[ti] -= L[after, ti].T @ B[after]
        B[ti] = scipy.linalg.solve_triangular(L[ti, ti], B[ti], lower=True, trans="T", check_finite=False)
    return B
