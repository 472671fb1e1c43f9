"""The scattering-spectra statistics as one real vector: names, normalisation and its adjoint.

:func:`skscatter.synthesis._spectra.spectra_statistics` returns raw,
partly complex statistics.  A model compares them as real numbers of unit
scale: every second-order quantity is divided by the wavelet powers
``sigma[c, a] = sqrt(power[c, c, a])`` of the fields it involves (of the
field itself for features, of the target for synthesis), and each complex
number becomes its real part and, unless it is real by construction, its
imaginary part.  Each Hermitian block (``low``, ``power`` across channels,
``envelope``) is kept once, as its upper triangle.

The map from raw statistics to the vector is linear once the normalisers are
fixed, so :func:`vector_adjoint` is exact for synthesis, where they are the
target's constants.
"""

from typing import NamedTuple

import numpy as np


class Normaliser(NamedTuple):
    """Constants that scale the statistics, broadcastable over the batch."""

    std: object  # (B|1, C): scales the means
    low: object  # (B|1, C): sqrt of the low-pass power of each channel
    sigma: object  # (B|1, C, J L): sqrt of the wavelet powers


def normaliser_of(stats, xp):
    """The normaliser of fields by their own statistics.

    Each ``sigma`` is floored at ``1e-8`` of the field's total power (and
    at ``1e-150``): a band the field does not reach (a constant field has
    none) gives statistics of rounding size over a small but finite
    normaliser, never an overflow or a 0 / 0.
    """
    power = xp.sqrt(xp.maximum(xp.real(xp.diagonal(stats["power"], axis1=1, axis2=2)), 0.0))
    sigma = xp.moveaxis(power, -1, 1)  # (B, C, J L)
    low = xp.sqrt(xp.maximum(xp.real(xp.diagonal(stats["low"], axis1=1, axis2=2)), 0.0))
    total = xp.sqrt(xp.sum(sigma**2, axis=-1) + low**2 + stats["mean"] ** 2)  # (B, C)
    floor = xp.maximum(1e-8 * total, 1e-150)
    return Normaliser(
        std=xp.maximum(total, 1e-150),
        low=xp.maximum(low, floor),
        sigma=xp.maximum(sigma, floor[..., None]),
    )


def _row_sigma(sigma, L, b):
    """``sigma`` of the rows ``(c, a)``, ``j(a) <= j(b)``, of block ``b``: (B|1, C n)."""
    n = L * (b // L + 1)
    return sigma[:, :, :n].reshape(sigma.shape[0], -1)


def _pairs(n):
    """The upper triangle ``r <= s`` of an ``n x n`` block: how each Hermitian block is kept."""
    return np.triu_indices(n)


def layout_names(J, L, C, cross=True):
    """Names of the vector's entries, in order (without ``phase`` and ``envelope`` unless ``cross``).

    Examples
    --------
    >>> layout_names(1, 2, 1)[:6]
    ['mean_c0', 'low_c0_c0', 'power_c0_c0_j0_t0', 'power_c0_c0_j0_t1', 'sparsity_c0_j0_t0', 'sparsity_c0_j0_t1']
    """
    names = [f"mean_c{c}" for c in range(C)]
    ci, di = _pairs(C)
    names += [f"low_c{c}_c{d}" for c, d in zip(ci, di)]
    names += [f"low_c{c}_c{d}_imag" for c, d in zip(ci, di) if c != d]
    waves = [(j, t) for j in range(J) for t in range(L)]
    for part in ("", "_imag"):
        for c, d in zip(ci, di):
            if part and c == d:
                continue
            names += [f"power_c{c}_c{d}_j{j}_t{t}{part}" for j, t in waves]
    names += [f"sparsity_c{c}_j{j}_t{t}" for c in range(C) for j, t in waves]
    for b, (j2, t2) in enumerate(waves if cross else ()):
        rows = [(c, j, t) for c in range(C) for j in range(j2 + 1) for t in range(L)]
        for part in ("", "_imag"):
            names += [f"phase_c{c}_j{j}_t{t}_c{d}_j{j2}_t{t2}{part}" for c, j, t in rows for d in range(C)]
        ri, si = _pairs(len(rows))
        for part in ("", "_imag"):
            names += [
                "envelope_c{}_j{}_t{}_c{}_j{}_t{}_j{}_t{}{}".format(*rows[r], *rows[s], j2, t2, part)
                for r, s in zip(ri, si)
                if not (part and r == s)
            ]
    return names


def _pair_parts(values, scale, ci, di, off, log_power, xp):
    """Real parts, then off-diagonal imaginary parts, of a channel-pair block normalised by ``scale``.

    ``values`` is ``(B, pairs, ...)`` and ``scale`` ``(B|1, C, ...)``; with
    ``log_power`` the diagonal pairs (1 once normalised by the field's own
    powers) give the log of the raw value instead.
    """
    normalised = values / (scale[:, ci] * scale[:, di])
    real = xp.real(normalised)
    if log_power:
        diagonal_off = xp.asarray(off).reshape(-1, *([1] * (values.ndim - 2)))
        real = xp.where(diagonal_off, real, xp.log(xp.maximum(xp.real(values), 1e-300)))
    B = values.shape[0]
    return [real.reshape(B, -1), xp.imag(normalised)[:, off].reshape(B, -1)]


def to_vector(stats, norm, L, xp, log_power=False):
    """The statistics as real ``(B, n_features)`` rows (see the module docstring).

    With ``log_power``, the diagonal ``low`` and ``power`` entries (which
    the own-field normaliser makes 1) are replaced by their logarithms, the
    means are left unscaled, and the rest is normalised: the features of
    :class:`~skscatter.ScatteringSpectra`.
    """
    B, C = stats["mean"].shape
    parts = []
    parts.append(stats["mean"] if log_power else stats["mean"] / norm.std)
    ci, di = _pairs(C)
    off = ci != di
    for key, scale in (("low", norm.low), ("power", norm.sigma)):
        parts += _pair_parts(stats[key][:, ci, di], scale, ci, di, off, log_power, xp)
    parts.append((stats["sparsity"] / norm.sigma).reshape(B, -1))
    for b in range(len(stats["phase"])):
        rs = _row_sigma(norm.sigma, L, b)  # (B, R)
        phase = stats["phase"][b] / (rs[:, :, None] * norm.sigma[:, None, :, b])
        parts += [xp.real(phase).reshape(B, -1), xp.imag(phase).reshape(B, -1)]
        ri, si = _pairs(rs.shape[1])
        env = stats["envelope"][b][:, ri, si] / (rs[:, ri] * rs[:, si])
        parts += [xp.real(env), xp.imag(env)[:, ri != si]]
    return xp.concatenate([p.reshape(B, -1) for p in parts], axis=1)


def vector_adjoint(g, stats, norm, L, xp):
    """Gradients of the raw statistics given ``g``, the gradient of :func:`to_vector` (``log_power=False``).

    Returns a dict shaped like ``stats`` for
    :func:`skscatter.synthesis._spectra.spectra_vjp`.
    """
    B, C = stats["mean"].shape
    n_wavelets = stats["sparsity"].shape[-1]
    pos = 0

    def take(size):
        nonlocal pos
        block = g[:, pos : pos + size]
        pos += size
        return block

    grads = {"mean": take(C) / norm.std}
    ci, di = _pairs(C)
    off = ci != di
    for key, scale in (("low", norm.low), ("power", norm.sigma)):
        # The adjoint of _pair_parts (log_power=False): real parts of every
        # pair, then imaginary parts of the off-diagonal ones.
        scale = 1.0 / (scale[:, ci] * scale[:, di])  # (B|1, pairs, ...)
        tail = scale.shape[2:]
        g_pairs = take(len(ci) * int(np.prod(tail))).reshape(B, len(ci), *tail) * scale + 0j
        if off.any():
            g_pairs[:, off] += 1j * take(int(off.sum()) * int(np.prod(tail))).reshape(B, -1, *tail) * scale[:, off]
        grads[key] = _scatter_pairs(g_pairs, ci, di, C, xp)
    grads["sparsity"] = take(C * n_wavelets).reshape(B, C, n_wavelets) / norm.sigma
    grads["phase"], grads["envelope"] = [], []
    for b in range(len(stats["phase"])):
        rs = _row_sigma(norm.sigma, L, b)
        R = rs.shape[1]
        scale = 1.0 / (rs[:, :, None] * norm.sigma[:, None, :, b])
        re = take(R * C).reshape(B, R, C)
        im = take(R * C).reshape(B, R, C)
        grads["phase"].append((re + 1j * im) * scale)
        ri, si = _pairs(R)
        o = ri != si
        scale = 1.0 / (rs[:, ri] * rs[:, si])
        g_env = take(len(ri)) * scale + 0j
        g_env[:, o] += 1j * take(int(o.sum())) * scale[:, o]
        grads["envelope"].append(_scatter_pairs(g_env, ri, si, R, xp))
    assert pos == g.shape[1]
    return grads


def _scatter_pairs(values, rows, cols, n, xp):
    """Upper-triangle entries ``(B, pairs, ...)`` into zero-filled ``(B, n, n, ...)`` blocks."""
    out = xp.zeros((values.shape[0], n, n, *values.shape[2:]), dtype=values.dtype)
    out[:, rows, cols] = values
    return out
