"""The 1D scattering algorithm, written once for every backend.

For a signal ``x``, the low-pass ``phi`` (width ``T``) and the Morlet
wavelets ``psi1[n1]``, ``psi2[n2]`` of :mod:`skscatter.scattering._morlet_1d`:

* order 0: ``S0 x = x * phi``
* order 1: ``S1 x[n1] = |x * psi1[n1]| * phi``
* order 2: ``S2 x[n1, n2] = ||x * psi1[n1]| * psi2[n2]| * phi`` for
  ``j2[n2] > j1[n1]``

each sampled every ``2**(log2(T) - oversampling)`` samples, on the span of
the unpadded signal.  Convolutions are products in Fourier; subsampling by
``k`` is a fold of the spectrum, applied as early as each filter's bandwidth
allows (``min(j, log2 T) - oversampling``), exactly as kymatio's
``Scattering1D`` does.  Wavelets that share a subsampling are applied
together, one batched kernel call each, and every real signal that needs a
spectrum is transformed with ``rfft`` (the kernels rebuild the other half).

Path order (the reference's): S0, S1 by ``n1`` (decreasing frequency), then
S2 grouped by parent ``n1``, each group by ``n2``.
"""

import numpy as np

from ._morlet_1d import second_order_pairs


def scattering_paths_1d(bank, max_order):
    """The paths in output order as ``(order, n1, n2)``; -1 marks unused.

    Examples
    --------
    >>> from skscatter.scattering._morlet_1d import morlet_1d_bank
    >>> paths = scattering_paths_1d(morlet_1d_bank(256, 4, 1, 1, 16, 0), 2)
    >>> paths[4:8]
    [(1, 3, -1), (1, 4, -1), (2, 0, 3), (2, 0, 4)]
    """
    paths = [(0, -1, -1)] + [(1, n1, -1) for n1 in range(len(bank.j1))]
    if max_order >= 2:
        paths += [(2, n1, n2) for n1, n2 in second_order_pairs(bank.j1, bank.j2)]
    return paths


def _runs(keys):
    """``(key, start, stop)`` of each run of equal consecutive ``keys``."""
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((keys[start], start, i))
            start = i
    return runs


def _rows(filters, a, b):
    """Filters ``a .. b - 1`` of a level, in whichever layout the backend reads."""
    if isinstance(filters, tuple):  # values and their band windows
        return type(filters)(*(part[a:b] for part in filters))
    return filters[a:b]


def pad_signals(x, length, padded_length, pad_left, xp):
    """Reflect-pad ``(R, length)`` signals to ``padded_length`` (as ``np.pad(mode="reflect")``)."""
    from ._core import reflect_indices

    return x[:, xp.asarray(reflect_indices(length, pad_left, padded_length))]


def scattering_1d(x, bank, filters, max_order, ops):
    """Scattering coefficients of a batch of padded signals.

    Parameters
    ----------
    x : array of shape (R, padded_length), float32 or float64
        Signals reflect-padded as ``bank`` says (see :func:`pad_signals`).
    bank : Morlet1DBank
        Filter design and padding plan (the filters' metadata).
    filters : tuple
        ``(psi1, psi2, phi)`` of ``bank`` in the layout, dtype and device
        of ``ops`` (:func:`skscatter.scattering._morlet_1d.filters_for`).
    max_order : {1, 2}
    ops : FourierOps
        Backend operations (:mod:`skscatter._kernels.fourier`).

    Returns
    -------
    S : array of shape (R, n_paths, bank.output_length), dtype of ``x``
    """
    xp = ops.xp
    psi1, psi2, phi = filters
    N = bank.padded_length
    log2_T, over = bank.log2_T, bank.oversampling
    final = max(log2_T - over, 0)
    begin, end = bank.start[final], bank.stop[final]
    R = x.shape[0]
    paths = scattering_paths_1d(bank, max_order)
    out = xp.empty((R, len(paths), end - begin), dtype=x.dtype)

    def average(u_half, n, k):
        # Low-pass maps of length n already decimated by 2**k, decimate to
        # the final resolution, keep the signal's span.
        k_rest = max(log2_T - k - over, 0)
        s = ops.ifft(ops.filter_fold_1d(u_half, phi[k], 2**k_rest, n))
        return s[:, 0, begin:end].real

    x_half = ops.rfft(x)
    out[:, 0] = average(x_half, N, 0)
    n1_count = len(bank.j1)
    index2 = {pair: 1 + n1_count + i for i, pair in enumerate(second_order_pairs(bank.j1, bank.j2))}
    k1_of = [max(min(j, log2_T) - over, 0) for j in bank.j1]
    for k1, a, b in _runs(k1_of):
        n = N // 2**k1
        u1 = ops.modulus(ops.ifft(ops.filter_fold_1d(x_half, _rows(psi1, a, b), 2**k1, N)))
        u1_half = ops.rfft(u1)  # (R, b - a, n // 2 + 1)
        out[:, 1 + a : 1 + b] = average(u1_half.reshape(R * (b - a), -1), n, k1).reshape(R, b - a, -1)
        if max_order < 2:
            continue
        # Parents of one run share k1 but not always j1, which decides
        # their children (j2 > j1): sub-runs by j1.
        for j1, pa, pb in _runs([bank.j1[i] for i in range(a, b)]):
            children = [c for c in range(len(bank.j2)) if bank.j2[c] > j1]
            if not children:
                continue
            parents = u1_half[:, pa:pb].reshape(R * (pb - pa), -1)
            k2_of = [max(min(bank.j2[c], log2_T) - k1 - over, 0) for c in children]
            for k2, ca, cb in _runs(k2_of):
                first = children[ca]
                m = n // 2**k2
                w = ops.filter_fold_1d(parents, _rows(psi2[k1], first, first + cb - ca), 2**k2, n)
                u2 = ops.modulus(ops.ifft(w))  # (R * parents, children, m)
                s2 = average(ops.rfft(u2).reshape(-1, m // 2 + 1), m, k1 + k2)
                index = [index2[(a + p, c)] for p in range(pa, pb) for c in range(first, first + cb - ca)]
                out[:, xp.asarray(np.asarray(index))] = s2.reshape(R, len(index), -1)
    return out
