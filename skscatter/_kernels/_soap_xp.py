"""SOAP expansion and power spectrum with array expressions (NumPy or CuPy).

The readable twin of :mod:`skscatter._kernels._soap_numba`: the same
quantities, vectorised over neighbour pairs and centres of a batch, with
``xp`` the array module.  It holds per-pair arrays of shape
``(n_pairs, (l_max + 1)^2, n_max)``, so callers keep batches small.
"""

import math

import numpy as np


def real_ylm(unit, l_max, xp):
    """Real orthonormal Y_lm of unit vectors, shape (n, (l_max + 1)^2), column l*l + l + m.

    Same convention as the numba kernel: no Condon-Shortley phase,
    ``Y_l^{m>0} ~ cos(m phi)``, ``Y_l^{-m} ~ sin(m phi)``.
    """
    x, y, z = unit[:, 0], unit[:, 1], unit[:, 2]
    n = unit.shape[0]
    out = xp.empty((n, (l_max + 1) ** 2), dtype=unit.dtype)
    re, im = xp.ones_like(x), xp.zeros_like(x)  # Re, Im of (x + i y)^m
    for m in range(l_max + 1):
        # Q_l^m = P_l^m(z) / sin(theta)^m by the three-term recurrence in l.
        q_prev2 = q_prev = None
        for l in range(m, l_max + 1):
            if l == m:
                q = xp.full_like(z, float(np.prod(np.arange(1, 2 * m, 2))))  # (2m - 1)!!
            elif l == m + 1:
                q = z * (2 * m + 1) * q_prev
            else:
                q = ((2 * l - 1) * z * q_prev - (l + m - 1) * q_prev2) / (l - m)
            q_prev2, q_prev = q_prev, q
            norm = math.sqrt((2 * l + 1) / (4 * math.pi) / math.prod(range(l - m + 1, l + m + 1)))
            if m == 0:
                out[:, l * l + l] = norm * q
            else:
                out[:, l * l + l + m] = math.sqrt(2.0) * norm * q * re
                out[:, l * l + l - m] = math.sqrt(2.0) * norm * q * im
        re, im = re * x - im * y, re * y + im * x
    return out


def radial_gto(r, alphas, betas, eta, xp):
    """Closed-form GTO projections R[p, l, n] of Gaussians at distances r (see ``radial_constants``)."""
    l = np.arange(alphas.shape[0])[:, None]
    A = alphas + eta
    const = xp.asarray(4.0 * math.pi * math.sqrt(math.pi) / (2.0 ** (l + 2) * A ** (l + 1.5)))
    expo = xp.asarray(eta * eta / A - eta)
    b_pow = (2.0 * eta * r[:, None]) ** xp.asarray(l[:, 0], dtype=r.dtype)  # (p, L); 0**0 = 1
    prim = const * b_pow[:, :, None] * xp.exp(expo * (r * r)[:, None, None])
    return xp.einsum("plk,lnk->pln", prim, xp.asarray(betas))


def radial_tabulated(r, table, h, xp):
    """Spline-table projections R[p, l, n] (see ``radial_integral_table``)."""
    j = xp.minimum((r / h).astype(xp.int64), table.shape[0] - 1)
    t = (r - j * h)[:, None, None]
    c = table[j]
    return ((c[..., 0] * t + c[..., 1]) * t + c[..., 2]) * t + c[..., 3]


def expansion_coefficients(centre_of, vec, species, weight, radial, n_centres, n_species, xp):
    """Coefficients c[i, s, lm, n] = sum over pairs of weight R[l, n] Y_lm(r_hat).

    ``radial`` is a function of the distances returning R (n_pairs, L, n_max).
    Pairs at distance 0 (a centre's own Gaussian) contribute to l = 0 only.
    """
    r = xp.sqrt((vec * vec).sum(axis=1))
    R = radial(r) * weight[:, None, None]
    L1, n_max = R.shape[1], R.shape[2]
    safe = xp.where(r > 0, r, 1.0)[:, None]
    Y = real_ylm(vec / safe, L1 - 1, xp)
    Y[:, 1:] *= (r > 0)[:, None]
    degree = np.repeat(np.arange(L1), 2 * np.arange(L1) + 1)
    contrib = R[:, xp.asarray(degree), :] * Y[:, :, None]  # (p, lm, n)
    out = xp.zeros((n_centres * n_species, L1 * L1, n_max), dtype=R.dtype)
    target = centre_of * n_species + species
    xp.add.at(out, target, contrib)  # cupy >= 13 has it (and deprecates cupyx.scatter_add)
    return out.reshape(n_centres, n_species, L1 * L1, n_max)


def feature_index(n_species, n_max, l_max):
    """(l, row, col, weight) of every output column in the packed order of the numba kernel."""
    ls, rows, cols, weights = [], [], [], []
    for s1 in range(n_species):
        for s2 in range(s1, n_species):
            for l in range(l_max + 1):
                for n in range(n_max):
                    for n2 in range(n if s1 == s2 else 0, n_max):
                        ls.append(l)
                        rows.append(s1 * n_max + n)
                        cols.append(s2 * n_max + n2)
                        weights.append(1.0 if (s1 == s2 and n == n2) else math.sqrt(2.0))
    return np.array(ls), np.array(rows), np.array(cols), np.array(weights)


def power_spectrum(coeffs, prefactors, index, xp):
    """Per-centre packed power spectra (n_centres, n_features) from c[i, s, lm, n]."""
    n_centres, S, n_lm, n_max = coeffs.shape
    L1 = prefactors.shape[0]
    blocks = []
    for l in range(L1):
        C = coeffs[:, :, l * l : (l + 1) * (l + 1), :].transpose(0, 1, 3, 2).reshape(n_centres, S * n_max, 2 * l + 1)
        blocks.append(prefactors[l] * xp.matmul(C, C.transpose(0, 2, 1)))
    full = xp.stack(blocks, axis=1)  # (i, l, S n_max, S n_max)
    ls, rows, cols, weights = (xp.asarray(a) for a in index)
    return full[:, ls, rows, cols] * weights
