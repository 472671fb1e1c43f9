"""Numba kernel: K-nearest-atom encoding of patches, pooled on the fly.

For each patch position the scores of every atom (a whitened squared
distance, up to a per-patch constant) come from one GEMM row ``H[i, p]``;
the kernel finds the (K+1)-th smallest score, marks the atoms strictly
below it, and adds their indicator straight into the pooling cells of that
position.  The ``(images, positions, atoms)`` indicator tensor is never
stored.  :mod:`skscatter._kernels._knn_xp` computes the same with array
expressions.
"""

import numpy as np
from numba import njit, prange


def _knn_pool(H, offsets, scales, kth, indptr, cells, weights, out):
    # H (n_img, n_pos, n_atoms); offsets (S, n_atoms); scales (S,);
    # out (n_img, S, n_cells, n_atoms).  Score of atom a for sign s:
    # offsets[s, a] + scales[s] * H[i, p, a].
    n_img, n_pos, n_atoms = H.shape
    n_signs = offsets.shape[0]
    for i in prange(n_img):
        out[i] = 0.0
        score = np.empty(n_atoms, dtype=H.dtype)
        for p in range(n_pos):
            h = H[i, p]
            for s in range(n_signs):
                offset = offsets[s]
                scale = scales[s]
                for a in range(n_atoms):
                    score[a] = offset[a] + scale * h[a]
                # Atoms strictly closer than the (K+1)-th nearest: K of them
                # unless scores tie at the boundary.
                threshold = np.partition(score, kth)[kth]
                for c in range(indptr[p], indptr[p + 1]):
                    o = out[i, s, cells[c]]
                    w = weights[c]
                    for a in range(n_atoms):
                        if score[a] < threshold:
                            o[a] += w


knn_pool = njit(parallel=True, cache=True, nogil=True)(_knn_pool)
knn_pool_serial = njit(parallel=False, cache=True, nogil=True)(_knn_pool)
