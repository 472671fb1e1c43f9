"""Dataset fetchers reading the official distribution files (sklearn's ``fetch_*`` style), and generators.

Each fetcher looks in ``data_home`` (see :func:`get_data_home`) for a fast
converted copy (``<name>.npz``), then for the official files, and downloads
those when missing and allowed; see :doc:`/user_guide/datasets`.
:func:`make_turbulence` computes 2D turbulent vorticity fields instead.
"""

from ._base import clear_data_home, get_data_home
from ._images import fetch_cifar10, fetch_mnist
from ._molecules import fetch_qm7, fetch_qm9
from ._turbulence import make_turbulence

__all__ = ["clear_data_home", "fetch_cifar10", "fetch_mnist", "fetch_qm7", "fetch_qm9", "get_data_home", "make_turbulence"]
