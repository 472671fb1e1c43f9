"""The whitened-patch encoding of one batch, from a fitted model.

Written against the batch's array namespace (NumPy, or cupy on the GPU):
patches are extracted and centred, multiplied by the atom matrix (one
GEMM), and the K-nearest-atom selection and pooling run in
:mod:`skscatter._kernels.knn`.

Scores of atom ``k`` for a centred patch ``c`` are
``||a_k||^2 -+ 2 s c . m_k``, with ``a_k = (d_k - mu) W`` the whitened
atom, ``m_k = W a_k`` and ``s`` the query scale: ``||s z -+ a_k||^2`` up to
a per-patch constant, from one product.
"""

import contextlib
import math
import threading
from typing import NamedTuple

import numpy as np

from .._backend import get_array_module
from .._kernels import knn
from ._extraction import extract_patches

# Slack of the overflow bounds for rounding: the computed values exceed the
# bounds by a few ulps at most, so a factor of 4 is safe by far.
_MARGIN = 4.0
_FLOAT32_TINY = float(np.finfo(np.float32).tiny)


class EncodingModel(NamedTuple):
    """What ``fit`` resolved: the function ``transform`` computes.

    ``atom_matrix`` and ``atom_sq`` are derived from the fitted mean,
    whitening and dictionary (:func:`atom_products`); the estimator drops
    them from pickles and rebuilds them.  The ``*_max`` fields feed the
    overflow bound of :func:`fits_in`.
    """

    patch_size: int
    stride: int
    image_shape: tuple
    n_channels: int
    channel_layout: str
    n_neighbors: int
    scales: tuple  # one per sign: -2 s (the patch), then +2 s (its negative)
    pooling: knn.PoolingMap  # positions -> cells, or -> pieces when combine is set
    combine: np.ndarray  # (cells, pieces) float64, or None
    n_features_out: int
    mean: np.ndarray  # (d,) float64
    atom_matrix: np.ndarray  # (d, n_atoms) float64: column k is m_k
    atom_sq: np.ndarray  # (n_atoms,) float64: ||a_k||^2
    mean_max: float
    column_norm_max: float
    offset_max: float
    float32_exact: bool


def atom_products(mean, whitening, dictionary):
    """The atom matrix ``W A^T`` and the squared norms of the whitened atoms ``A = (D - mu) W``, in float64.

    Examples
    --------
    >>> m, sq = atom_products(np.zeros(2), np.eye(2), np.array([[3.0, 4.0]]))
    >>> m.ravel().tolist(), sq.tolist()
    ([3.0, 4.0], [25.0])
    """
    whitening = np.asarray(whitening, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        white = (np.asarray(dictionary, dtype=np.float64) - np.asarray(mean, dtype=np.float64)) @ whitening
        atom_matrix = np.ascontiguousarray(whitening @ white.T)
        atom_sq = np.einsum("kd,kd->k", white, white)
    return atom_matrix, atom_sq


def encoding_model(*, mean, atom_matrix, atom_sq, scales, **layout):
    """An :class:`EncodingModel`, with the bounds that decide each batch's dtype.

    ``float32_exact`` says whether the model itself is representable in
    float32 to float32's precision: no entry near overflow, and no atom
    matrix column or squared norm in the subnormal range, where float32
    keeps fewer bits.
    """
    mean = np.asarray(mean, dtype=np.float64)
    column_max = np.abs(atom_matrix).max(axis=0)
    nonzero_columns = column_max[column_max > 0]
    nonzero_sq = atom_sq[atom_sq > 0]
    mean_max = float(np.abs(mean).max())
    offset_max = float(np.abs(atom_sq).max())
    limit = float(np.finfo(np.float32).max) / _MARGIN
    float32_exact = bool(
        max(mean_max, offset_max, float(column_max.max())) < limit
        and (nonzero_columns.size == 0 or nonzero_columns.min() >= _FLOAT32_TINY)
        and (nonzero_sq.size == 0 or nonzero_sq.min() >= _FLOAT32_TINY)
    )
    return EncodingModel(
        mean=mean,
        atom_matrix=atom_matrix,
        atom_sq=atom_sq,
        scales=tuple(float(s) for s in scales),
        mean_max=mean_max,
        column_norm_max=float(np.sqrt(np.einsum("dk,dk->k", atom_matrix, atom_matrix)).max()),
        offset_max=offset_max,
        float32_exact=float32_exact,
        **layout,
    )


def row_abs_max(block):
    """``max |x|`` of each row of a 2D batch, as a NumPy float64 array (no temporary the size of the batch)."""
    xp = get_array_module(block)
    high = block.max(axis=1).astype(xp.float64)
    low = block.min(axis=1).astype(xp.float64)
    out = xp.maximum(high, -low)
    return out.get() if xp is not np else out


def fits_in(model, dtype, x_max):
    """Whether images with ``max |x| <= x_max`` encode in ``dtype`` without overflow (elementwise).

    A cheap bound: every centred patch entry is at most ``x_max +
    max|mu|``; every partial sum of a product ``c . m_k`` at most
    ``||c|| ||m_k||`` (Cauchy-Schwarz); every score at most
    ``max ||a||^2 + max|scale| * that``.  For float32, the model must also
    be :attr:`EncodingModel.float32_exact`.
    """
    x_max = np.asarray(x_max, dtype=np.float64)
    if np.dtype(dtype) == np.float32 and not model.float32_exact:
        return np.zeros(x_max.shape, dtype=bool)
    limit = float(np.finfo(dtype).max) / _MARGIN
    d = model.mean.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        centred = x_max + model.mean_max
        product = math.sqrt(d) * centred * model.column_norm_max
        score = model.offset_max + max(abs(s) for s in model.scales) * product
        return (centred < limit) & (score < limit)


class Constants(NamedTuple):
    """The model's arrays in one dtype, on the device that computes."""

    dtype: np.dtype
    mean: object
    atom_matrix: object
    offsets: object
    combine: object


def constants(model, dtype, xp):
    """:class:`Constants` of ``model`` in ``dtype`` for the namespace ``xp`` (NumPy or cupy)."""
    dtype = np.dtype(dtype)
    offsets = np.tile(model.atom_sq, (len(model.scales), 1)).astype(dtype)
    combine = None if model.combine is None else xp.asarray(model.combine.astype(dtype))
    return Constants(
        dtype,
        xp.asarray(model.mean.astype(dtype)),
        xp.asarray(np.ascontiguousarray(model.atom_matrix, dtype=dtype)),
        xp.asarray(offsets),
        combine,
    )


class DistanceBuffers:
    """Distance-product buffers reused across the batches of one transform.

    Fresh buffers above glibc's mmap threshold (32 MiB) are new mappings,
    whose page faults cost as much as the product itself; one buffer per
    batch in flight, reused, avoids them.  A pickled pool arrives empty
    (process-based joblib backends allocate their own).
    """

    def __init__(self, rows):
        self.rows = rows
        self._free = []
        self._lock = threading.Lock()

    def __reduce__(self):
        return DistanceBuffers, (self.rows,)

    def take(self, rows, n_pos, n_atoms, dtype):
        """A C-contiguous ``(>= rows, n_pos, n_atoms)`` buffer of ``dtype``."""
        with self._lock:
            for k, buffer in enumerate(self._free):
                if buffer.dtype == dtype and buffer.shape[1:] == (n_pos, n_atoms) and len(buffer) >= rows:
                    return self._free.pop(k)
        return np.empty((max(rows, self.rows), n_pos, n_atoms), dtype=dtype)

    def give(self, buffer):
        with self._lock:
            self._free.append(buffer)


def _as_images(block, model):
    """``(b, H*W*C)`` rows as ``(b, H, W, C)`` images (a view)."""
    b, C = block.shape[0], model.n_channels
    if model.channel_layout == "first":
        return block.reshape(b, C, *model.image_shape).transpose(0, 2, 3, 1)
    return block.reshape(b, *model.image_shape, C)


def _scores_fit(H, consts, model):
    """Whether every score ``offset + scale * H`` is finite (checked path only)."""
    h_max = max(float(H.max()), -float(H.min()))  # NaN when H holds one: not < limit
    limit = float(np.finfo(consts.dtype).max) / 2
    return model.offset_max + max(abs(s) for s in model.scales) * h_max < limit


def _select_and_pool(flat, consts, model, backend, threads, buffers, checked):
    """``(b, S, n_targets, n_atoms)`` pooled indicators of centred ``(b, n_pos, d)`` patches; None on overflow."""
    b, n_pos, _ = flat.shape
    n_atoms = consts.atom_matrix.shape[1]
    args = (consts.offsets, model.scales, model.n_neighbors, model.pooling)
    if backend == "cupy":
        H = flat @ consts.atom_matrix
        if checked and not _scores_fit(H, consts, model):
            return None
        return knn.knn_pool(H, *args, "cupy")
    # The serial numba kernel (a batch on one thread) takes one image at a
    # time: its distance product is then still in cache when the kernel
    # reads it, where a whole batch's went to memory and back.
    per_image = backend == "numba" and threads == 1
    buffer = buffers.take(1 if per_image else b, n_pos, n_atoms, consts.dtype)
    try:
        if not per_image:
            H = np.matmul(flat, consts.atom_matrix, out=buffer[:b])
            if checked and not _scores_fit(H, consts, model):
                return None
            return knn.knn_pool(H, *args, backend, threads)
        pooled = np.empty((b, len(model.scales), model.pooling.n_cells, n_atoms), dtype=consts.dtype)
        for j in range(b):
            np.matmul(flat[j], consts.atom_matrix, out=buffer[0])
            if checked and not _scores_fit(buffer[:1], consts, model):
                return None
            knn.knn_pool(buffer[:1], *args, "numba", 1, out=pooled[j : j + 1])
        return pooled
    finally:
        buffers.give(buffer)


def encode_batch(block, consts, model, backend, threads, buffers, checked=False):
    """Codes of a batch of image rows, in ``consts.dtype`` on the backend's device.

    Parameters
    ----------
    block : ndarray or cupy.ndarray of shape (b, H*W*C)
        Rows of the input, in any real dtype (converted here, a batch at a
        time).
    consts : Constants
        The model's arrays in the dtype to compute in.
    model : EncodingModel
    backend : {"numba", "numpy", "cupy"}
    threads : int
        Threads of the numba kernel (1: the serial one, image by image).
    buffers : DistanceBuffers
    checked : bool, default=False
        The overflow bound did not clear this batch for ``consts.dtype``:
        check the centred patches and the products, and return None if they
        overflowed.

    Returns
    -------
    codes : array of shape (b, n_features_out), or None
        Pooled codes in ``(sign, atom, cell)`` order.
    """
    xp = get_array_module(consts.atom_matrix)
    b = block.shape[0]
    images = _as_images(xp.asarray(block), model)  # rows travel to the GPU as they are (uint8 stays small)
    patches = extract_patches(images, model.patch_size, model.stride, dtype=consts.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        patches -= consts.mean
    if checked and not bool(xp.isfinite(patches).all()):
        return None
    flat = patches.reshape(b, -1, patches.shape[-1])
    # The checked path may overflow: it is detected, so the warnings are noise.
    with np.errstate(over="ignore", invalid="ignore") if checked else contextlib.nullcontext():
        pooled = _select_and_pool(flat, consts, model, backend, threads, buffers, checked)
    if pooled is None:
        return None
    if consts.combine is not None:  # pieces -> cells: (cells, pieces) @ (b, S, pieces, atoms)
        pooled = consts.combine @ pooled
    return pooled.transpose(0, 1, 3, 2).reshape(b, -1)


def bytes_per_image(model, itemsize, backend):
    """Temporaries of one image while its batch is encoded."""
    n_pos = model.pooling.n_pos
    d = model.mean.shape[0]
    n_atoms = model.atom_sq.shape[0]
    S = len(model.scales)
    # Patches and the distance product; the array expressions also hold
    # scores and indicators per sign; the GPU also holds the patch slices
    # being stacked.
    per_image = n_pos * (d + n_atoms * (1 + 2 * S if backend == "numpy" else 1))
    if backend == "cupy":
        per_image += n_pos * d
    return per_image * itemsize
