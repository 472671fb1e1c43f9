"""Numba kernels of the SOAP descriptor.

* ``real_ylm`` — orthonormal real spherical harmonics up to ``l_max`` of a
  unit vector, from the three-term Legendre recurrence in Cartesian form
  (no trigonometric calls);
* ``expansion_coefficients`` — the neighbour-density coefficients
  ``c[i, s, lm, n]`` of every centre on the GTO basis (closed-form radial
  projections), parallel over centres; ``expansion_coefficients_tabulated``
  the same from a cubic-spline table of the radial projections (any basis);
* ``power_spectrum`` — per-centre rows ``N_l sum_m c c'`` with sqrt(2) on the
  off-diagonal ``(s, n) != (s', n')`` entries, parallel over centres;
  ``power_spectrum_reduced`` sums them per structure in place.

The dispatcher (:mod:`skscatter._kernels.soap`) checks every shape, dtype
and index range and allocates the outputs; the kernels do not check
bounds.  Each output row is computed by one thread in a fixed order, so
results do not depend on numba's thread count.
"""

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def legendre_norms(l_max):
    """N_lm = sqrt((2l+1)/(4 pi) (l-m)!/(l+m)!) (times sqrt 2 for m > 0), as (l_max+1, l_max+1)."""
    out = np.zeros((l_max + 1, l_max + 1))
    for l in range(l_max + 1):
        for m in range(l + 1):
            ratio = 1.0
            for k in range(l - m + 1, l + m + 1):
                ratio /= k
            out[l, m] = math.sqrt((2 * l + 1) / (4 * math.pi) * ratio) * (math.sqrt(2.0) if m > 0 else 1.0)
    return out


@njit(cache=True, nogil=True, fastmath=True)
def real_ylm(x, y, z, l_max, norms, Q, out):
    """Real Y_lm of the unit vector (x, y, z) into out[l*l + l + m], m = -l..l.

    ``Q`` is scratch of shape (l_max + 1, l_max + 1).  With
    ``Q_l^m = P_l^m(z) / sin(theta)^m`` (no Condon-Shortley phase) and
    ``sin(theta)^m e^{i m phi} = (x + i y)^m``:
    ``Y_l^{m>0} = N Q_l^m Re (x+iy)^m``, ``Y_l^{-m} = N Q_l^m Im (x+iy)^m``.
    """
    for m in range(l_max + 1):
        # Q_m^m = (2m - 1)!!
        q = 1.0
        for k in range(1, 2 * m, 2):
            q *= k
        Q[m, m] = q
        if m + 1 <= l_max:
            Q[m + 1, m] = z * (2 * m + 1) * q
        for l in range(m + 2, l_max + 1):
            Q[l, m] = ((2 * l - 1) * z * Q[l - 1, m] - (l + m - 1) * Q[l - 2, m]) / (l - m)
    re = 1.0
    im = 0.0
    for m in range(l_max + 1):
        for l in range(m, l_max + 1):
            base = norms[l, m] * Q[l, m]
            if m == 0:
                out[l * l + l] = base
            else:
                out[l * l + l + m] = base * re
                out[l * l + l - m] = base * im
        re, im = re * x - im * y, re * y + im * x


@njit(cache=True, nogil=True, fastmath=True)
def _neighbour_harmonics(dx, dy, dz, r, l_max, norms, Q, Y):
    """Y_lm of the direction to a neighbour at distance r into Y; returns the top degree that contributes.

    At the centre itself (r = 0) only l = 0 survives (the radial factor
    carries (2 eta r)^l), so only Y_00 is set and 0 returned.
    """
    if r > 0.0:
        real_ylm(dx / r, dy / r, dz / r, l_max, norms, Q, Y)
        return l_max
    Y[0] = 0.5 / math.sqrt(math.pi)
    return 0


@njit(cache=True, nogil=True)
def radial_constants(alphas, eta):
    """Per (l, k): the primitive's prefactor and exponent coefficient.

    For a Gaussian of width sigma (eta = 1 / (2 sigma^2)) at distance r,
    ``4 pi int r'^(l+2) e^{-A r'^2} i_l(b r') dr' e^{-eta r^2}`` with
    ``A = alpha + eta`` and ``b = 2 eta r`` equals
    ``const[l, k] * b^l * exp(expo[l, k] * r^2)``, where
    ``const = 4 pi sqrt(pi) / (2^(l+2) A^(l+3/2))`` and ``expo = eta^2 / A - eta``.
    """
    L1, K = alphas.shape
    const = np.empty((L1, K))
    expo = np.empty((L1, K))
    for l in range(L1):
        for k in range(K):
            A = alphas[l, k] + eta
            const[l, k] = 4.0 * math.pi * math.sqrt(math.pi) / (2.0 ** (l + 2) * A ** (l + 1.5))
            expo[l, k] = eta * eta / A - eta
    return const, expo


@njit(cache=True, fastmath=True, nogil=True)
def _centre_gto(first, stop, nbr_vec, nbr_species, nbr_weight, betas, eta, const, expo, norms, c):
    """One centre's coefficients ``c[s, lm, n]`` from its pairs ``first:stop`` (GTO basis)."""
    S, n_lm, n_max = c.shape
    l_max = norms.shape[0] - 1
    Q = np.empty((l_max + 1, l_max + 1))
    Y = np.empty(n_lm)
    prim = np.empty(n_max)
    acc = np.zeros((S, n_lm, n_max))
    for p in range(first, stop):
        dx = nbr_vec[p, 0]
        dy = nbr_vec[p, 1]
        dz = nbr_vec[p, 2]
        r2 = dx * dx + dy * dy + dz * dz
        r = math.sqrt(r2)
        s = nbr_species[p]
        w = nbr_weight[p]
        if w == 0.0:
            continue
        top = _neighbour_harmonics(dx, dy, dz, r, l_max, norms, Q, Y)
        b = 2.0 * eta * r
        bl = w
        for l in range(top + 1):
            for k in range(n_max):
                prim[k] = const[l, k] * bl * math.exp(expo[l, k] * r2)
            for lm in range(l * l, (l + 1) * (l + 1)):
                y = Y[lm]
                for k in range(n_max):
                    acc[s, lm, k] += prim[k] * y
            bl *= b
    for s in range(S):
        for l in range(l_max + 1):
            for lm in range(l * l, (l + 1) * (l + 1)):
                for n in range(n_max):
                    v = 0.0
                    for k in range(n_max):
                        v += betas[l, n, k] * acc[s, lm, k]
                    c[s, lm, n] = v


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def expansion_coefficients(offsets, nbr_vec, nbr_species, nbr_weight, alphas, betas, eta, out):
    """out[i, s, lm, n]: coefficients of centre i's species-s density on g_nl Y_lm.

    ``offsets`` (n_centres + 1,) CSR into the neighbour arrays: ``nbr_vec``
    (n_pairs, 3) vectors from the centre (the centre itself at the zero
    vector when it belongs to its own density), ``nbr_species`` (n_pairs,)
    species index, ``nbr_weight`` (n_pairs,) amplitude (cutoff function,
    centre weight).  ``out`` (n_centres, n_species, (l_max+1)^2, n_max) is
    overwritten.  Primitive projections are accumulated first and the
    Löwdin matrices applied once per centre, not once per neighbour.
    """
    norms = legendre_norms(alphas.shape[0] - 1)
    const, expo = radial_constants(alphas, eta)
    for i in prange(offsets.shape[0] - 1):
        _centre_gto(offsets[i], offsets[i + 1], nbr_vec, nbr_species, nbr_weight, betas, eta, const, expo, norms, out[i])


@njit(cache=True, fastmath=True, nogil=True)
def _centre_tabulated(first, stop, nbr_vec, nbr_species, nbr_weight, table, h, norms, c):
    """One centre's coefficients ``c[s, lm, n]`` from its pairs ``first:stop`` (spline table)."""
    n_intervals, L1, n_max, _ = table.shape
    l_max = L1 - 1
    Q = np.empty((L1, L1))
    Y = np.empty(L1 * L1)
    R = np.empty(n_max)
    c[:, :, :] = 0.0
    for p in range(first, stop):
        w = nbr_weight[p]
        if w == 0.0:
            continue
        dx = nbr_vec[p, 0]
        dy = nbr_vec[p, 1]
        dz = nbr_vec[p, 2]
        r = math.sqrt(dx * dx + dy * dy + dz * dz)
        s = nbr_species[p]
        top = _neighbour_harmonics(dx, dy, dz, r, l_max, norms, Q, Y)
        j = min(int(r / h), n_intervals - 1)
        t = r - j * h
        for l in range(top + 1):
            for n in range(n_max):
                k = table[j, l, n]
                R[n] = w * (((k[0] * t + k[1]) * t + k[2]) * t + k[3])
            for lm in range(l * l, (l + 1) * (l + 1)):
                y = Y[lm]
                for n in range(n_max):
                    c[s, lm, n] += R[n] * y


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def expansion_coefficients_tabulated(offsets, nbr_vec, nbr_species, nbr_weight, table, h, out):
    """out[i, s, lm, n] as ``expansion_coefficients``, radial projections from a spline table.

    ``table`` (n_intervals, l_max + 1, n_max, 4) holds cubic coefficients of
    ``R_nl`` on intervals of width ``h`` (highest power first, see
    :func:`skscatter.soap._basis.radial_integral_table`); distances beyond the
    table are clamped to its last interval (the dispatcher checks that it
    covers every pair).
    """
    norms = legendre_norms(table.shape[1] - 1)
    for i in prange(offsets.shape[0] - 1):
        _centre_tabulated(offsets[i], offsets[i + 1], nbr_vec, nbr_species, nbr_weight, table, h, norms, out[i])


@njit(cache=True, fastmath=True, nogil=True)
def _atom_row(c, prefactors, present, block, row):
    """One centre's power spectrum into ``row`` (see ``power_spectrum``); ``block`` is
    (n_max, n_max) scratch."""
    S, n_lm, n_max = c.shape
    l_max = prefactors.shape[0] - 1
    root2 = math.sqrt(2.0)
    col = 0
    for s1 in range(S):
        for s2 in range(s1, S):
            same = s1 == s2
            width = n_max * (n_max + 1) // 2 if same else n_max * n_max
            if not (present[s1] and present[s2]):
                for t in range(col, col + width * (l_max + 1)):
                    row[t] = 0.0
                col += width * (l_max + 1)
                continue
            for l in range(l_max + 1):
                block[:, :] = 0.0
                for lm in range(l * l, (l + 1) * (l + 1)):
                    for n in range(n_max):
                        a = c[s1, lm, n]
                        for n2 in range(n_max):
                            block[n, n2] += a * c[s2, lm, n2]
                f = prefactors[l]
                for n in range(n_max):
                    for n2 in range(n if same else 0, n_max):
                        v = block[n, n2] * f
                        row[col] = v if (same and n2 == n) else v * root2
                        col += 1


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def power_spectrum(coeffs, prefactors, present, out):
    """Per-centre power spectra, dscribe's order, sqrt(2) off the diagonal.

    Row layout: for species s1 <= s2, for l, for n (and n' >= n when
    s1 == s2, all n' otherwise).  ``present[i, s]`` says whether species s
    occurs in centre i's neighbourhood (all-zero blocks are skipped).
    """
    n_max = coeffs.shape[3]
    for i in prange(coeffs.shape[0]):
        block = np.empty((n_max, n_max))
        _atom_row(coeffs[i], prefactors, present[i], block, out[i])


@njit(cache=True, fastmath=True, nogil=True)
def _structure_row(coeffs, prefactors, present, first, stop, normalize, mean, block, row, acc):
    """Sum (or mean) of the rows of centres ``first:stop`` into ``acc``; ``block``, ``row`` are scratch."""
    F = acc.shape[0]
    acc[:] = 0.0
    for i in range(first, stop):
        _atom_row(coeffs[i], prefactors, present[i], block, row)
        scale = 1.0
        if normalize:
            norm = 0.0
            for t in range(F):
                norm += row[t] * row[t]
            if norm > 0.0:
                scale = 1.0 / math.sqrt(norm)
        for t in range(F):
            acc[t] += row[t] * scale
    if mean and stop > first:
        inv = 1.0 / (stop - first)
        for t in range(F):
            acc[t] *= inv


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def power_spectrum_reduced(coeffs, prefactors, present, starts, normalize, mean, out):
    """Sum (or mean) of the atoms' power spectra per structure, without per-atom storage.

    ``starts`` (n_structures + 1,) are the structures' first centres.
    Parallel over structures, so each output row has one writer.
    """
    n_max = coeffs.shape[3]
    F = out.shape[1]
    for b in prange(starts.shape[0] - 1):
        block = np.empty((n_max, n_max))
        row = np.empty(F)
        _structure_row(coeffs, prefactors, present, starts[b], starts[b + 1], normalize, mean, block, row, out[b])
