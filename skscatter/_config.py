"""Global configuration, thread-local, in the manner of ``sklearn.set_config``."""

import threading
from contextlib import contextmanager

_DEFAULTS = {
    # Memory (MiB) that one batch of a transform may use for temporaries;
    # estimators with batch_size="auto" size their batches from it.
    "working_memory": 64,
}
_local = threading.local()


def _get_threadlocal_config():
    if not hasattr(_local, "config"):
        _local.config = dict(_DEFAULTS)
    return _local.config


def get_config():
    """Return a copy of the current skscatter configuration.

    Returns
    -------
    config : dict
        Keys: ``working_memory`` (MiB per batch of temporaries).

    Examples
    --------
    >>> import skscatter
    >>> skscatter.get_config()["working_memory"]
    64
    """
    return dict(_get_threadlocal_config())


def set_config(working_memory=None):
    """Set skscatter's global configuration.

    Parameters
    ----------
    working_memory : int, default=None
        Budget in MiB for the temporaries of one batch when an estimator's
        ``batch_size="auto"``.  Larger batches run slightly faster; smaller
        ones keep peak memory down.  ``None`` leaves the value unchanged.

    Examples
    --------
    >>> import skscatter
    >>> skscatter.set_config(working_memory=128)
    >>> skscatter.get_config()["working_memory"]
    128
    >>> skscatter.set_config(working_memory=64)
    """
    config = _get_threadlocal_config()
    if working_memory is not None:
        if not working_memory > 0:
            raise ValueError(f"working_memory={working_memory!r} must be a positive number of MiB.")
        config["working_memory"] = working_memory


@contextmanager
def config_context(**new_config):
    """Temporarily change the configuration (see :func:`set_config`).

    Parameters
    ----------
    **new_config
        Settings to change inside the ``with`` block, as keyword arguments
        of :func:`set_config`; the previous values come back on exit.

    Yields
    ------
    None
        The block runs with the new settings.

    Examples
    --------
    >>> import skscatter
    >>> with skscatter.config_context(working_memory=64):
    ...     skscatter.get_config()["working_memory"]
    64
    """
    old = get_config()
    set_config(**new_config)
    try:
        yield
    finally:
        set_config(**old)
