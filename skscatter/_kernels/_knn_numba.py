"""Numba kernel: K-nearest-atom encoding of patches, pooled on the fly.

For each patch position the scores of every atom (a whitened squared
distance, up to a per-patch constant) come from one GEMM row ``H[i, p]``.
The kernel marks the atoms scoring strictly below the (K+1)-th smallest
score and adds their indicator straight into the pooling cells of that
position; the ``(images, positions, atoms)`` indicator tensor is never
stored.  :mod:`skscatter._kernels._knn_xp` computes the same with array
expressions.

Selection.  Those atoms are exactly ``{a : score[a] < t}`` for any ``t``
with ``count(score < t) == K``, and counting is one branch-free pass that
vectorises, whereas comparison-based selection (quickselect,
``np.partition``) stalls on unpredictable branches.  So the kernel searches
``t`` by safeguarded interpolation on counts, starting from the threshold of
the previous (overlapping, hence similar) patch position.  When scores tie
at the boundary no such ``t`` exists and it falls back to an exact
quickselect, so the result is the definition's in every case.
"""

import numpy as np
from numba import njit, prange

_MAX_SEARCH_STEPS = 48


@njit(cache=True, nogil=True, fastmath=True)
def _count_below(score, t):
    count = 0
    for a in range(score.shape[0]):
        count += score[a] < t
    return count


@njit(cache=True, nogil=True, fastmath=True)
def _range_and_count(score, t):
    """``min(score), max(score), count(score < t)`` in one vectorised pass.

    fastmath lets the min/max reductions vectorise; it cannot change
    ``score``, which the caller computed without it.
    """
    lo, hi = score[0], score[0]  # in the scores' own dtype, as every probe is
    count = 0
    for a in range(score.shape[0]):
        v = score[a]
        lo = min(lo, v)
        hi = max(hi, v)
        count += v < t
    return lo, hi, count


@njit(cache=True, nogil=True)
def _add_marked(o, score, t, w):
    """``o[a] += w`` where ``score[a] < t``, branch-free (about 40 % of atoms are marked, unpredictably)."""
    zero = o.dtype.type(0)
    for a in range(o.shape[0]):
        o[a] += w if score[a] < t else zero


@njit(cache=True, nogil=True)
def _quickselect(buf, k):
    """``buf`` reordered in place so that ``buf[k]`` is its k-th smallest; returns it."""
    lo, hi = 0, buf.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) >> 1
        x, y, z = buf[lo], buf[mid], buf[hi]
        if x > y:
            x, y = y, x
        if y > z:
            y = z
        if x > y:
            y = x
        i, j = lo, hi
        while i <= j:
            while buf[i] < y:
                i += 1
            while buf[j] > y:
                j -= 1
            if i <= j:
                buf[i], buf[j] = buf[j], buf[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return buf[k]


@njit(cache=True, nogil=True)
def _rounded(x, cell):
    """``x`` rounded to the dtype of the array ``cell`` (whose first entry it overwrites).

    Probes in the scores' dtype keep the counting passes in float32 for
    float32 scores (a float64 probe converts every score, ~40 % slower).
    """
    cell[0] = x
    return cell[0]


@njit(cache=True, nogil=True)
def _threshold(score, kth, t, c, lo, hi, scratch):
    """A ``t`` with exactly ``kth`` scores strictly below it, else the (kth+1)-th smallest.

    ``c = count(score < t)`` for the first probe ``t``, and ``lo``/``hi``
    are the scores' minimum and maximum (all computed in the caller's pass).
    """
    n = score.shape[0]
    c_lo, c_hi = 0, n  # count(score < min) == 0, count(score < max) <= n
    if not lo < t < hi:
        t = _rounded(lo + (hi - lo) * (kth + 0.5) / n, scratch)
        c = _count_below(score, t)
    for _ in range(_MAX_SEARCH_STEPS):
        if c == kth:
            return t
        if c < kth:
            lo, c_lo = t, c
        else:
            hi, c_hi = t, c
        # Interpolate the empirical CDF between the bracket ends; bisect if
        # that does not land strictly inside.
        t = _rounded(lo + (hi - lo) * (kth + 0.5 - c_lo) / (c_hi - c_lo), scratch)
        if not lo < t < hi:
            t = _rounded(lo + 0.5 * (hi - lo), scratch)
            if not lo < t < hi:
                break
        c = _count_below(score, t)
    scratch[:] = score  # (scratch[0] served as the rounding cell until here)
    return _quickselect(scratch, kth)


def _knn_pool(H, offsets, scales, kth, indptr, cells, weights, out):
    # H (n_img, n_pos, n_atoms); offsets (S, n_atoms); scales (S,);
    # out (n_img, S, n_cells, n_atoms).  Score of atom a for sign s:
    # offsets[s, a] + scales[s] * H[i, p, a].
    n_img, n_pos, n_atoms = H.shape
    n_signs = offsets.shape[0]
    for i in prange(n_img):
        out[i] = 0.0
        score = np.empty(n_atoms, dtype=H.dtype)
        scratch = np.empty(n_atoms, dtype=H.dtype)
        guess = np.zeros(n_signs, dtype=H.dtype)
        for p in range(n_pos):
            h = H[i, p]
            for s in range(n_signs):
                offset = offsets[s]
                scale = scales[s]
                # Scores rounded as NumPy rounds them (no fused multiply-add:
                # the GPU kernels match these bits), then their range and the
                # count below the previous position's threshold (the first probe).
                for a in range(n_atoms):
                    score[a] = offset[a] + scale * h[a]
                g = guess[s]
                lo, hi, c = _range_and_count(score, g)
                t = _threshold(score, kth, g, c, lo, hi, scratch)
                guess[s] = t
                for k in range(indptr[p], indptr[p + 1]):
                    _add_marked(out[i, s, cells[k]], score, t, weights[k])


knn_pool = njit(parallel=True, cache=True, nogil=True)(_knn_pool)
knn_pool_serial = njit(parallel=False, cache=True, nogil=True)(_knn_pool)
