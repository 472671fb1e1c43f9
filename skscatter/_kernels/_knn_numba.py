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
``t`` on counts: the first probe is the previous (overlapping, hence
similar) patch position's threshold, Newton steps with that position's
count-per-score slope bracket the answer, and safeguarded interpolation
closes in (a handful of counting passes per row).  When scores tie
at the boundary no such ``t`` exists and it falls back to an exact
quickselect, so the result is the definition's in every case.
"""

import numpy as np
from numba import njit, prange

from ._twins import compile_twin

_MAX_SEARCH_STEPS = 48


# Counting is the hot loop (a handful of passes per row).  Its count is kept
# in the scores' own float type with only reassociation allowed: an int64
# counter made LLVM widen the compares to half as many lanes as a float one
# (float32), which vectorises fully; the sums stay exact integers below 2**24
# (2**53 in float64), which the dispatcher guarantees (fewer atoms).  No other fast-math flag:
# comparisons with inf keep their IEEE meaning.
@njit(cache=True, nogil=True, fastmath={"reassoc", "nsz"})
def _count_below(score, t):
    one, zero = score.dtype.type(1), score.dtype.type(0)
    count = zero
    for a in range(score.shape[0]):
        count += one if score[a] < t else zero
    return int(count)


@njit(cache=True, nogil=True)
def _score_range(score):
    """``min(score), max(score)``.

    LLVM does not vectorise float min/max reductions here (it stays a
    scalar loop, unlike the counting pass), so the kernel calls this only
    when its probes leave the threshold unbracketed, not on every row.
    """
    lo, hi = score[0], score[0]
    for a in range(score.shape[0]):
        v = score[a]
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(cache=True, nogil=True)
def _add_marked(o, score, t, w):
    """``o[a] += w`` where ``score[a] < t``, branch-free (a large share of the atoms is marked, unpredictably)."""
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
    float32 scores (a float64 probe would convert every score it is compared with).
    """
    cell[0] = x
    return cell[0]


@njit(cache=True, nogil=True)
def _threshold(score, kth, t, c, slope, scratch):
    """A ``t`` with exactly ``kth`` scores strictly below it, else the (kth+1)-th smallest.

    ``c = count(score < t)`` for the first probe ``t``.  ``slope`` (atoms
    per unit of score near the threshold, from the previous row; 0 when
    unknown) sizes the first steps.  Returns ``t`` and the slope measured
    on this row's final bracket.
    """
    n = score.shape[0]
    # Bracket: count(score < lo) = c_lo < kth < c_hi = count(score < hi);
    # infinite ends are not known yet.
    lo, hi = -np.inf, np.inf
    c_lo, c_hi = 0, n
    reach = 1.0
    for _ in range(_MAX_SEARCH_STEPS):
        if c == kth:
            if lo > -np.inf and hi < np.inf and hi > lo:
                slope = (c_hi - c_lo) / (hi - lo)
            return t, slope
        if c < kth:
            lo, c_lo = t, c
        else:
            hi, c_hi = t, c
        if lo == -np.inf or hi == np.inf:
            # One side open: a Newton step on the counts with the previous
            # row's slope, reaching 4x further each time it falls short.
            # Rows of neighbouring positions are alike, so this brackets
            # in one or two probes; a full min/max pass (slow, see
            # _score_range) is the fallback.
            step = reach * (kth + 0.5 - c) / slope if slope > 0 else 0.0
            reach *= 4.0
            t_new = _rounded(t + step, scratch)
            if step == 0.0 or not (lo < t_new < hi) or not np.isfinite(t_new):
                s_lo, s_hi = _score_range(score)
                if lo == -np.inf:
                    lo, c_lo = s_lo, 0
                if hi == np.inf:
                    hi, c_hi = s_hi, n
                t_new = _rounded(lo + (hi - lo) * (kth + 0.5 - c_lo) / (c_hi - c_lo), scratch)
        else:
            # Interpolate the empirical CDF between the bracket ends.
            t_new = _rounded(lo + (hi - lo) * (kth + 0.5 - c_lo) / (c_hi - c_lo), scratch)
        if not lo < t_new < hi:  # bisect if that does not land strictly inside
            t_new = _rounded(lo + 0.5 * (hi - lo), scratch)
            if not lo < t_new < hi:
                break
        t = t_new
        c = _count_below(score, t)
    scratch[:] = score  # (scratch[0] served as the rounding cell until here)
    return _quickselect(scratch, kth), slope


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
        slope = np.zeros(n_signs)
        for p in range(n_pos):
            h = H[i, p]
            for s in range(n_signs):
                offset = offsets[s]
                scale = scales[s]
                # Scores rounded as NumPy rounds them (no fused multiply-add:
                # the GPU kernels match these bits).
                for a in range(n_atoms):
                    score[a] = offset[a] + scale * h[a]
                # First probe: the previous (overlapping) position's threshold.
                g = guess[s]
                t, slope[s] = _threshold(score, kth, g, _count_below(score, g), slope[s], scratch)
                guess[s] = t
                for k in range(indptr[p], indptr[p + 1]):
                    _add_marked(out[i, s, cells[k]], score, t, weights[k])


knn_pool = compile_twin(_knn_pool, parallel=True)
knn_pool_serial = compile_twin(_knn_pool, parallel=False)
