"""K-nearest-atom encoding and pooling with array expressions.

The readable twin of :mod:`skscatter._kernels._knn_numba` (``backend="numpy"``);
it holds the whole ``(images, positions, atoms)`` indicator tensor of a
batch.  Written against any array namespace ``xp``; the GPU runs the CUDA
kernels of :mod:`skscatter._kernels._knn_cuda` instead, which store no
indicators.
"""


def knn_pool(H, offsets, scales, kth, pool, xp):
    """Pooled K-nearest-atom indicators.

    Parameters
    ----------
    H : array of shape (n_img, n_pos, n_atoms)
        GEMM of centred patches with the fitted atom matrix.
    offsets : array of shape (S, n_atoms)
    scales : sequence of S floats
        Scores are ``offsets[s] + scales[s] * H``.
    kth : int
        ``K``: atoms scoring strictly below the (K+1)-th smallest are marked.
    pool : array of shape (n_cells, n_pos)
        Averaging weights of each pooling cell.
    xp : module

    Returns
    -------
    out : array of shape (n_img, S, n_cells, n_atoms)
    """
    pooled = []
    for s, scale in enumerate(scales):
        score = offsets[s] + scale * H
        threshold = xp.partition(score, kth, axis=-1)[..., kth : kth + 1]
        marks = (score < threshold).astype(H.dtype)
        pooled.append(xp.matmul(pool, marks))
    return xp.stack(pooled, axis=1)
