"""Comparisons shared by the contract tests."""

import numpy as np


def as_host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def assert_rows_close(actual, expected, rtol, atol=0.0, err_msg=""):
    """``|actual - expected| <= rtol * max|expected row| + atol``, row by row.

    Relative to each row's largest value rather than to each entry, since
    invariants that cancel to zero carry the round-off of their row.
    """
    actual, expected = as_host(actual), as_host(expected)
    assert actual.shape == expected.shape, f"shapes differ: {actual.shape} vs {expected.shape}. {err_msg}"
    assert np.all(np.isfinite(actual)), f"non-finite output. {err_msg}"
    scale = np.abs(expected).max(axis=1, keepdims=True) if expected.ndim == 2 else np.abs(expected).max()
    excess = np.abs(actual - expected) - (rtol * scale + atol)
    if np.any(excess > 0):
        worst = np.unravel_index(np.argmax(excess), excess.shape)
        raise AssertionError(
            f"outputs differ beyond rtol={rtol}, atol={atol}: at {worst} {actual[worst]!r} vs {expected[worst]!r} "
            f"(row scale {np.broadcast_to(scale, excess.shape)[worst]:.3g}). {err_msg}"
        )
