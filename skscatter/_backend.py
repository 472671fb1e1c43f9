"""Array-library bookkeeping: which namespace an array lives in, cupy on demand.

cupy is never imported when the package is imported; it is imported the
first time a cupy array is seen or ``backend="cupy"`` is asked for.  Setting
the environment variable ``SKSCATTER_DISABLE_CUPY=1`` makes skscatter behave
as if cupy were not installed (useful when debugging on GPU machines).
"""

import os
import sys

import numpy as np

from ._config import get_config

BACKENDS = ("auto", "numpy", "numba", "cupy")

_INSTALL_HINT = "Install it with `pip install skscatter[gpu]` on a machine with a CUDA GPU."


def _cupy_disabled():
    return os.environ.get("SKSCATTER_DISABLE_CUPY", "0") not in ("", "0")


def is_cupy_array(x):
    """Return True if ``x`` is a cupy array (without importing cupy)."""
    if _cupy_disabled() or "cupy" not in sys.modules:
        return False
    return isinstance(x, sys.modules["cupy"].ndarray)


def import_cupy(reason):
    """Import cupy and check that a CUDA device is present.

    Parameters
    ----------
    reason : str
        What needed cupy, quoted in the error (e.g. ``"backend='cupy'"``).

    Returns
    -------
    cupy : module

    Raises
    ------
    ImportError
        If cupy cannot be imported, is disabled, or sees no CUDA device.
    """
    if _cupy_disabled():
        raise ImportError(f"{reason} needs cupy, but SKSCATTER_DISABLE_CUPY is set; unset it.")
    try:
        import cupy
    except Exception as exc:  # ImportError, or a CUDA library failing to load
        raise ImportError(f"{reason} needs cupy, which could not be imported ({exc}). {_INSTALL_HINT}") from exc
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        raise ImportError(f"{reason} needs a CUDA device, but cupy found none ({exc}). {_INSTALL_HINT}") from exc
    if n_devices < 1:
        raise ImportError(f"{reason} needs a CUDA device, but cupy found none. {_INSTALL_HINT}")
    return cupy


def cupy_available():
    """Return True if cupy imports and sees at least one CUDA device."""
    try:
        import_cupy("cupy_available()")
    except ImportError:
        return False
    return True


def device_working_memory():
    """Bytes a GPU batch may use: a quarter of the free device memory, at most 4 GiB.

    Never less than the ``working_memory`` setting, so that setting it
    higher gives larger GPU batches.
    """
    free, _ = sys.modules["cupy"].cuda.runtime.memGetInfo()
    return max(get_config()["working_memory"] * 2**20, min(free // 4, 4 * 2**30))


def get_array_module(x):
    """Return ``cupy`` for a cupy array and ``numpy`` for anything else."""
    if is_cupy_array(x):
        return sys.modules["cupy"]
    return np


def to_host(x):
    """Return ``x`` as a NumPy array (copying from the GPU if needed)."""
    if is_cupy_array(x):
        return x.get()
    return np.asarray(x)


def resolve_backend(backend, X):
    """Resolve ``backend="auto"`` against the input and check availability.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}
        The estimator's parameter.
    X : array
        The input about to be transformed.

    Returns
    -------
    name : {"numpy", "numba", "cupy"}
        The backend that computes.
    """
    if backend == "auto":
        return "cupy" if is_cupy_array(X) else "numba"
    if backend == "cupy":
        import_cupy("backend='cupy'")
    elif is_cupy_array(X):
        raise ValueError(
            f"X is a cupy array but backend={backend!r} computes on the CPU; "
            "use backend='auto' or backend='cupy', or pass X.get()."
        )
    return backend
