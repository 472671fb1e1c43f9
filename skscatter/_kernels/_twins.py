"""Serial and threaded twins of one numba kernel, each with its own on-disk cache entry."""

import types

from numba import njit


def compile_twin(fn, parallel, **options):
    """``fn`` compiled with (``parallel=True``) or without threads.

    numba's disk cache keys a function by its qualified name, signature and
    bytecode, not by its compile options: two dispatchers of one Python
    function load each other's machine code, so the serial twin would launch
    threads (or the threaded one run serially), depending on which was
    compiled first.  The serial twin is therefore compiled from a copy of
    ``fn`` named ``<name>_serial``.

    Parameters
    ----------
    fn : function
        The kernel's Python source (not yet jitted).
    parallel : bool
    **options
        Further ``numba.njit`` options (``fastmath``...); ``cache`` and
        ``nogil`` are always on.
    """
    if not parallel:
        fn = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial", fn.__defaults__, fn.__closure__)
        fn.__qualname__ = fn.__name__
    return njit(parallel=parallel, cache=True, nogil=True, **options)(fn)
