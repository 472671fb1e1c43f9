"""CUDA kernels (through cupy) for the K-nearest-atom encoding, pooled on the fly.

The GPU twin of :mod:`skscatter._kernels._knn_numba`, in two launches per
batch, neither of which stores the ``(images, positions, atoms)`` indicator
tensor:

1. ``knn_thresholds``: one thread block per (patch position, sign) finds
   the (K+1)-th smallest score of its row *exactly* by radix selection:
   scores are mapped to unsigned keys with the same order, and four (float32)
   or eight (float64) passes over the row each fix the next 8 bits of the
   selected key from a 256-bin histogram.  The work does not depend on the
   data, unlike quickselect, and the row is read from global memory (L2)
   in each pass, so any dictionary size fits.
2. ``knn_pool_marks``: one thread per (image, atom) walks the positions in
   order, recomputes each score, compares it with its row's threshold and
   adds the pooling weights of the marked positions into per-thread
   accumulators, in the same order as the CPU kernel.

Scores are ``offset + scale * h`` rounded twice (``__fmul_rn``,
``__fadd_rn``: no fused multiply-add), as NumPy and the numba kernel
compute them, so for the same ``H`` the pooled codes equal the CPU ones
bit for bit.
"""

import functools
import sys

import numpy as np

_SOURCE = r"""
template <typename T> struct Key;

template <> struct Key<float> {
    typedef unsigned int U;
    static const int BITS = 32;
    // Order-preserving map of a float's bits onto an unsigned integer.
    __device__ static U of(float f) {
        U u = __float_as_uint(f);
        return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
    }
    __device__ static float value(U k) {
        return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
    }
    __device__ static float score(float offset, float scale, float h) {
        return __fadd_rn(offset, __fmul_rn(scale, h));
    }
};

template <> struct Key<double> {
    typedef unsigned long long U;
    static const int BITS = 64;
    __device__ static U of(double f) {
        U u = (U)__double_as_longlong(f);
        return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
    }
    __device__ static double value(U k) {
        return __longlong_as_double((long long)((k & 0x8000000000000000ull) ? (k & 0x7fffffffffffffffull) : ~k));
    }
    __device__ static double score(double offset, double scale, double h) {
        return __dadd_rn(offset, __dmul_rn(scale, h));
    }
};

// thresholds[row, s] = the (kth + 1)-th smallest of offsets[s] + scales[s] * H[row].
// Grid (n_rows, n_signs); blockDim.x a multiple of 32.
template <typename T>
__global__ void knn_thresholds(const T* __restrict__ H, const T* __restrict__ offsets,
                               const T* __restrict__ scales, int n_atoms, int n_signs, int kth,
                               T* __restrict__ thresholds)
{
    typedef typename Key<T>::U U;
    __shared__ unsigned int hist[256];
    __shared__ U shared_prefix;
    __shared__ unsigned int shared_rank;

    const long long row = blockIdx.x;
    const int s = blockIdx.y;
    const T* h = H + row * n_atoms;
    const T* offset = offsets + (long long)s * n_atoms;
    const T scale = scales[s];
    const int lane = threadIdx.x & 31;

    U prefix = 0, mask = 0;          // bits of the selected key fixed so far
    unsigned int rank = kth;         // its rank among the keys sharing them
    for (int shift = Key<T>::BITS - 8; shift >= 0; shift -= 8) {
        for (int i = threadIdx.x; i < 256; i += blockDim.x) hist[i] = 0;
        __syncthreads();
        // Uniform trip count so that whole warps reach __match_any_sync.
        for (int base = 0; base < n_atoms; base += blockDim.x) {
            const int a = base + threadIdx.x;
            unsigned int digit = 0xffffffffu;
            if (a < n_atoms) {
                const U key = Key<T>::of(Key<T>::score(offset[a], scale, h[a]));
                if ((key & mask) == prefix) digit = (unsigned int)((key >> shift) & 0xff);
            }
            // Scores of a row share their leading bits, so most lanes hit
            // the same bin: one atomic per distinct digit in the warp.
            const unsigned int peers = __match_any_sync(0xffffffffu, digit);
            if (digit != 0xffffffffu && lane == __ffs(peers) - 1) atomicAdd(&hist[digit], __popc(peers));
        }
        __syncthreads();
        if (threadIdx.x < 32) {
            // Warp scan of the histogram, 8 bins per lane; the lane whose
            // range holds `rank` fixes the digit.
            unsigned int local[8], sum = 0;
            for (int j = 0; j < 8; ++j) { local[j] = hist[lane * 8 + j]; sum += local[j]; }
            unsigned int inclusive = sum;
            for (int o = 1; o < 32; o <<= 1) {
                const unsigned int v = __shfl_up_sync(0xffffffffu, inclusive, o);
                if (lane >= o) inclusive += v;
            }
            unsigned int below = inclusive - sum;
            if (below <= rank && rank < inclusive) {
                for (int j = 0; j < 8; ++j) {
                    if (rank < below + local[j]) {
                        shared_prefix = prefix | ((U)(lane * 8 + j) << shift);
                        shared_rank = rank - below;
                        break;
                    }
                    below += local[j];
                }
            }
        }
        __syncthreads();
        prefix = shared_prefix;
        rank = shared_rank;
        mask |= (U)0xff << shift;
        __syncthreads();
    }
    if (threadIdx.x == 0) thresholds[row * n_signs + s] = Key<T>::value(prefix);
}

// out[i, s, c, a] = sum of weights[k] over positions p and their cells c = cells[k]
// where offsets[s, a] + scales[s] * H[i, p, a] < thresholds[i * n_pos + p, s].
// Grid (ceil(n_atoms / blockDim.x), n_img).  N_ACC = n_signs * n_cells
// accumulators per thread, or 0 to accumulate in `out` (zeroed by the caller).
template <typename T, int N_ACC>
__global__ void knn_pool_marks(const T* __restrict__ H, const T* __restrict__ offsets,
                               const T* __restrict__ scales, const T* __restrict__ thresholds,
                               const int* __restrict__ indptr, const int* __restrict__ cells,
                               const T* __restrict__ weights, int n_pos, int n_atoms, int n_signs,
                               int n_cells, T* __restrict__ out)
{
    const int a = blockIdx.x * blockDim.x + threadIdx.x;
    const long long img = blockIdx.y;
    if (a >= n_atoms) return;
    T acc[N_ACC > 0 ? N_ACC : 1];
    for (int j = 0; j < N_ACC; ++j) acc[j] = 0;
    T* column = out + img * n_signs * n_cells * (long long)n_atoms + a;

    for (int p = 0; p < n_pos; ++p) {
        const long long row = img * n_pos + p;
        const T h = H[row * n_atoms + a];
        for (int s = 0; s < n_signs; ++s) {
            const T v = Key<T>::score(offsets[(long long)s * n_atoms + a], scales[s], h);
            if (v < thresholds[row * n_signs + s]) {
                for (int k = indptr[p]; k < indptr[p + 1]; ++k) {
                    if (N_ACC > 0) acc[s * n_cells + cells[k]] += weights[k];
                    else column[(long long)(s * n_cells + cells[k]) * n_atoms] += weights[k];
                }
            }
        }
    }
    for (int j = 0; j < N_ACC; ++j) column[(long long)j * n_atoms] = acc[j];
}
"""

# The pooling kernel's grid has one row per image, and CUDA caps a grid's
# second dimension at 65,535.
MAX_IMAGES = 65535
# Per-thread accumulators live in local memory (cached); beyond this many the
# kernel adds straight into the output instead.
_MAX_ACCUMULATORS = 256
_SELECT_THREADS = 256
_POOL_THREADS = 128


@functools.lru_cache(maxsize=None)
def _kernels(type_name, n_acc, device_id):
    """Compiled ``(knn_thresholds, knn_pool_marks)`` for a C type and accumulator count (cached per device)."""
    cupy = sys.modules["cupy"]
    names = (f"knn_thresholds<{type_name}>", f"knn_pool_marks<{type_name}, {n_acc}>")
    module = cupy.RawModule(code=_SOURCE, options=("-std=c++14",), name_expressions=names)
    return tuple(module.get_function(name) for name in names)


def knn_pool(H, offsets, scales, kth, pooling):
    """Pooled indicators of the ``kth`` nearest atoms, on the GPU.

    Parameters
    ----------
    H : cupy.ndarray of shape (n_img, n_pos, n_atoms), float32 or float64
    offsets : array of shape (S, n_atoms)
    scales : sequence of S floats
    kth : int
        ``1 <= kth < n_atoms`` (checked by the dispatcher).
    pooling : tuple
        ``(indptr, cells, weights, n_cells)``, host arrays, checked by the
        dispatcher :func:`skscatter._kernels.knn.knn_pool`.

    Returns
    -------
    out : cupy.ndarray of shape (n_img, S, n_cells, n_atoms), dtype of ``H``
    """
    cupy = sys.modules["cupy"]
    indptr, cells, weights, n_cells = pooling
    n_img, n_pos, n_atoms = H.shape
    n_signs = len(scales)
    dtype = np.dtype(H.dtype)
    type_name = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}[dtype]
    n_acc = n_signs * n_cells if n_signs * n_cells <= _MAX_ACCUMULATORS else 0
    select, pool = _kernels(type_name, n_acc, cupy.cuda.Device().id)

    H = cupy.ascontiguousarray(H)
    offsets = cupy.ascontiguousarray(cupy.asarray(offsets, dtype=dtype))
    scales = cupy.asarray(np.asarray(scales, dtype=dtype))
    indptr = cupy.asarray(np.asarray(indptr, dtype=np.int32))
    cells = cupy.asarray(np.asarray(cells, dtype=np.int32))
    weights = cupy.asarray(np.asarray(weights, dtype=dtype))
    n_rows = n_img * n_pos
    thresholds = cupy.empty((n_rows, n_signs), dtype=dtype)
    out = (cupy.zeros if n_acc == 0 else cupy.empty)((n_img, n_signs, n_cells, n_atoms), dtype=dtype)
    if n_rows == 0:
        return out
    select(
        (n_rows, n_signs), (_SELECT_THREADS,),
        (H, offsets, scales, np.int32(n_atoms), np.int32(n_signs), np.int32(kth), thresholds),
    )
    pool(
        (-(-n_atoms // _POOL_THREADS), n_img), (_POOL_THREADS,),
        (H, offsets, scales, thresholds, indptr, cells, weights, np.int32(n_pos), np.int32(n_atoms),
         np.int32(n_signs), np.int32(n_cells), out),
    )
    return out
