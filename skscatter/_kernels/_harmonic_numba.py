"""Numba kernels for 3D solid harmonic scattering.

* ``crop_multiply`` fuses spectrum cropping (to a coarser grid), the real
  filter product, the ``(-i)^l`` phase and the grid-change scale;
* ``modulus_power_sums`` fuses the rotation-invariant modulus
  ``U = sqrt(sum_m f_m^2)`` with the integrals ``sum_u U(u)^q``;
* ``power_sums`` computes the order-0 integrals ``sum_u x(u)^q``;
* ``splat_gaussians`` samples sums of isotropic Gaussians on a grid.

They trust their arguments: only the dispatcher :mod:`skscatter._kernels.harmonic`
calls them, after checking shapes, dtypes, contiguity and index ranges.
Sums are accumulated in float64 row by row and combined in a fixed order,
so results do not depend on the number of threads.
"""

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _source_index(k, n_out, n_in):
    # Position in a length-n_in DFT axis of the frequency stored at k on a
    # length-n_out axis (n_out <= n_in): non-negative frequencies first,
    # then the negative ones, as numpy.fft.fftfreq lays them out.
    return k if k < (n_out + 1) // 2 else k - n_out + n_in


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def crop_multiply(x_hat, filters, phase_re, phase_im, scale, out):
    """out[p, a, b, c] = x_hat[A, B, c] * filters[p, a, b, c] * phase * scale.

    ``x_hat`` (M, N, Oh) complex, ``filters`` (P, M2, N2, Oh2) real,
    ``out`` (P, M2, N2, Oh2) complex, with M2 <= M, N2 <= N, Oh2 <= Oh;
    (A, B) are the fine-grid rows holding the same frequencies as (a, b).
    """
    P, M2, N2, Oh2 = filters.shape
    M, N = x_hat.shape[0], x_hat.shape[1]
    for t in prange(P * M2):
        p = t // M2
        a = t % M2
        A = _source_index(a, M2, M)
        for b in range(N2):
            B = _source_index(b, N2, N)
            for c in range(Oh2):
                v = x_hat[A, B, c]
                f = filters[p, a, b, c] * scale
                re = v.real * f
                im = v.imag * f
                out[p, a, b, c] = complex(re * phase_re - im * phase_im, re * phase_im + im * phase_re)


@njit(cache=True, inline="always")
def _power(u, u2, q):
    if q == 2.0:
        return u2
    if q == 1.0:
        return u
    if q == 0.5:
        return math.sqrt(u)
    if q == 3.0:
        return u2 * u
    return u**q


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def modulus_power_sums(f, powers, u_out, store):
    """Return sums[q] = sum_u U(u)^powers[q], U = sqrt(sum_p f[p]^2); U -> u_out if store.

    ``f`` (P, M, N, O) real, ``u_out`` (M, N, O) (ignored unless ``store``).
    The powers 0.5, 1, 2 and 3 (kymatio's QM7 set) accumulate in scalars
    the compiler vectorises; any other power takes its own loop over each
    row of moduli, kept out of the main loop so that loop stays vectorised:
    multiples of 1/4 (1.5, 2.5, 4, ...) as integer powers of ``U^(1/4)``
    (two square roots and a few products, ~10x cheaper than ``pow``), the
    rest through ``pow``.
    """
    P, M, N, O = f.shape
    Q = powers.shape[0]
    other = np.zeros(Q, dtype=np.bool_)
    quarters = np.full(Q, -1, dtype=np.int64)  # 4q where that is a small integer
    for iq in range(Q):
        q = powers[iq]
        other[iq] = q != 0.5 and q != 1.0 and q != 2.0 and q != 3.0
        if 4.0 * q == math.floor(4.0 * q) and 0.0 < q <= 16.0:
            quarters[iq] = int(4.0 * q)
    generic = other.any()
    any_quarter = (other & (quarters > 0)).any()
    partial = np.zeros((M, 4 + Q))
    for a in prange(M):
        s05 = 0.0
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        row = np.empty(O)
        moduli = np.empty(O)
        quarter = np.empty(O)
        power = np.empty(O)
        for b in range(N):
            # contiguous rows, component by component: vectorises
            for c in range(O):
                row[c] = f[0, a, b, c] * f[0, a, b, c]
            for p in range(1, P):
                for c in range(O):
                    row[c] += f[p, a, b, c] * f[p, a, b, c]
            for c in range(O):
                u2 = row[c]
                u = math.sqrt(u2)
                moduli[c] = u
                if store:
                    u_out[a, b, c] = u
                s05 += math.sqrt(u)
                s1 += u
                s2 += u2
                s3 += u2 * u
            if any_quarter:
                for c in range(O):
                    quarter[c] = math.sqrt(math.sqrt(moduli[c]))
            if generic:
                for iq in range(Q):
                    if other[iq]:
                        acc = 0.0
                        k = quarters[iq]
                        if k > 0:
                            for c in range(O):
                                power[c] = quarter[c]
                            for _ in range(k - 1):  # rows at a time: vectorises
                                for c in range(O):
                                    power[c] *= quarter[c]
                            for c in range(O):
                                acc += power[c]
                        else:
                            q = powers[iq]
                            for c in range(O):
                                acc += moduli[c] ** q
                        partial[a, 4 + iq] += acc
        partial[a, 0] = s05
        partial[a, 1] = s1
        partial[a, 2] = s2
        partial[a, 3] = s3
    total = partial.sum(axis=0)
    out = np.empty(Q)
    for iq in range(Q):
        q = powers[iq]
        if q == 0.5:
            out[iq] = total[0]
        elif q == 1.0:
            out[iq] = total[1]
        elif q == 2.0:
            out[iq] = total[2]
        elif q == 3.0:
            out[iq] = total[3]
        else:
            out[iq] = total[4 + iq]
    return out


@njit(cache=True, parallel=True, fastmath=True, nogil=True)
def power_sums(x, powers, signed):
    """Return sums[q] = sum_u x(u)^q (signed[q]) or |x(u)|^q, for x (M, N, O)."""
    M, N, O = x.shape
    Q = powers.shape[0]
    partial = np.zeros((M, Q))
    for a in prange(M):
        acc = np.zeros(Q)
        for b in range(N):
            for c in range(O):
                v = x[a, b, c]
                av = abs(v)
                for iq in range(Q):
                    q = powers[iq]
                    if signed[iq]:
                        acc[iq] += v ** int(q)
                    else:
                        acc[iq] += _power(av, av * av, q)
        partial[a] = acc
    return partial.sum(axis=0)


@njit(cache=True, nogil=True)
def splat_gaussians(centres, weights, sigma, radius, out):
    """out += sum_k weights[k] * g_sigma(u - centres[k]) on the integer grid.

    ``g_sigma`` is the unit-integral Gaussian; each is truncated to the box
    of voxels ``floor(c) - radius .. floor(c) + radius + 1`` around its
    centre ``c`` (separable: three 1D factors per atom).  Centres are in
    voxel units; the caller checks that every box lies inside ``out``.
    """
    norm = 1.0 / ((2.0 * math.pi) ** 1.5 * sigma**3)
    inv = 0.5 / (sigma * sigma)
    w = 2 * radius + 2
    gx = np.empty(w)
    gy = np.empty(w)
    gz = np.empty(w)
    for k in range(centres.shape[0]):
        lo0 = int(math.floor(centres[k, 0])) - radius
        lo1 = int(math.floor(centres[k, 1])) - radius
        lo2 = int(math.floor(centres[k, 2])) - radius
        for i in range(w):
            d = lo0 + i - centres[k, 0]
            gx[i] = math.exp(-inv * d * d)
            d = lo1 + i - centres[k, 1]
            gy[i] = math.exp(-inv * d * d)
            d = lo2 + i - centres[k, 2]
            gz[i] = math.exp(-inv * d * d)
        a = weights[k] * norm
        for i in range(w):
            ai = a * gx[i]
            for j in range(w):
                aij = ai * gy[j]
                for l in range(w):
                    out[lo0 + i, lo1 + j, lo2 + l] += aij * gz[l]
