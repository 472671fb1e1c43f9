"""The float32 fallback shared by the scattering transforms."""

import numpy as np


def scatter_in_range(scatter, data, xp):
    """``scatter(data)``, recomputed in float64 when float32 arithmetic overflowed.

    Parameters
    ----------
    scatter : callable
        ``scatter(data) -> S``, or None when the result is not finite.
    data : array
        A batch in its working dtype.
    xp : module
        Array namespace of ``data``.

    Returns
    -------
    S : array or None
        In ``data``'s dtype; None only if even the float64 result (or its
        float32 copy) overflows, for the caller to report.
    """
    S = scatter(data)
    if S is not None or data.dtype != np.float32:
        return S
    # Near the top of float32's range: the same batch in float64, returned
    # in float32 where it fits.
    S = scatter(data.astype(np.float64))
    if S is None:
        return None
    with np.errstate(over="ignore"):
        S = S.astype(np.float32)
    return S if bool(xp.isfinite(S).all()) else None
