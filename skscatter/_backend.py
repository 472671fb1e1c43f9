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


def resolve_backend(backend, X=None, *, owner, supported=("numpy", "numba", "cupy")):
    """The one place where ``backend`` becomes the code that runs.

    Every estimator calls this in ``transform`` (never in ``fit``: a model
    fitted on a CPU machine may transform on a GPU, and back), so changing
    ``backend`` with ``set_params`` takes effect without a refit.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}
        The estimator's parameter.  ``"auto"`` means cupy for a cupy ``X``
        and numba otherwise.
    X : array, sequence or None, default=None
        The input about to be transformed (only its array library matters).
    owner : str
        Who asks, quoted in errors (e.g. ``"ScatteringTransformer"``).
    supported : tuple of str, default=("numpy", "numba", "cupy")
        The backends this computation has.

    Returns
    -------
    name : {"numpy", "numba", "cupy"}
        The backend that computes.

    Raises
    ------
    ValueError
        For an unknown or unsupported backend, or a cupy ``X`` with a CPU
        backend.
    ImportError
        For ``"cupy"`` where cupy or a CUDA device is missing (never a silent
        fallback to the CPU).

    Examples
    --------
    >>> import numpy as np
    >>> resolve_backend("auto", np.zeros(3), owner="Demo")
    'numba'
    >>> resolve_backend("numpy", np.zeros(3), owner="Demo", supported=("numba",))
    Traceback (most recent call last):
    ...
    ValueError: Demo(backend='numpy') is not available: this computation runs on backend 'numba' only; set backend='auto'.
    """
    if backend not in BACKENDS:
        raise ValueError(f"{owner}(backend={backend!r}) is not a backend; use one of {BACKENDS}.")
    on_device = is_cupy_array(X)
    name = ("cupy" if on_device else "numba") if backend == "auto" else backend
    if name not in supported:
        options = " or ".join(repr(b) for b in supported)
        raise ValueError(
            f"{owner}(backend={backend!r}) is not available: this computation runs on backend {options} only; "
            "set backend='auto'."
        )
    if name == "cupy":
        import_cupy(f"{owner}(backend='cupy')")
    elif on_device:
        raise ValueError(
            f"X is a cupy array but {owner}(backend={backend!r}) computes on the CPU; "
            "use backend='auto' or backend='cupy', or pass X.get()."
        )
    return name
