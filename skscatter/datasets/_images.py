"""MNIST and CIFAR-10 from their official distribution files."""

import codecs
import gzip
import pickle
import tarfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

try:  # NumPy 2 moved numpy.core to numpy._core; the batches name the old place.
    from numpy._core.multiarray import _reconstruct
except ImportError:  # NumPy 1
    from numpy.core.multiarray import _reconstruct

from ._base import (
    RemoteFile,
    _check_subset,
    _load_converted,
    _official_files,
    _save_converted,
    _select_subset,
    _subset_keys,
    get_data_home,
)

__all__ = ["fetch_cifar10", "fetch_mnist"]

# The files and checksums torchvision's MNIST uses.  The three files the
# shared data README names (train labels, test labels, test images) were
# checked there against copies of the originals; the train images' md5 is
# the published one, not checked here.  yann.lecun.com is the original site
# but often refuses downloads, so the PyTorch mirror of the same files comes first.
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "md5:f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "md5:d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "md5:9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "md5:ec29112dd5afa0611ce80d1b7f02629c"),
}
MNIST_REMOTES = {
    key: RemoteFile(name, tuple(mirror + name for mirror in MNIST_MIRRORS), checksum)
    for key, (name, checksum) in MNIST_FILES.items()
}
# The md5 published on the CIFAR page (not checked here: the file is not obtainable offline).
CIFAR10_REMOTE = RemoteFile(
    "cifar-10-python.tar.gz",
    ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    "md5:c58f30108f718f92721af3b95e74349a",
)

MNIST_DESCR = """\
MNIST handwritten digits
------------------------
70,000 greyscale images of 28 x 28 pixels (60,000 train, 10,000 test) of
the digits 0-9, from the IDX files of Y. LeCun, C. Cortes and C. J. C. Burges.

- data: uint8 array (n, 28, 28), grey levels 0..255, 0 = background.
- target: uint8 array (n,), the digit.
- Order: that of the IDX files (train then test for subset='all').

Converted copy: mnist.npz (x_train, y_train, x_test, y_test) in data_home.

Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied
to document recognition", Proc. IEEE 86(11):2278-2324, 1998.
"""

CIFAR10_DESCR = """\
CIFAR-10
--------
60,000 colour images of 32 x 32 pixels (50,000 train, 10,000 test) in 10
classes, from the python batches of cifar-10-python.tar.gz.

- data: uint8 array (n, 32, 32, 3), RGB, channel last (the batches store
  each row channel-first; it is transposed).
- target: uint8 array (n,), class 0..9; target_names holds the class names.
- Order: data_batch_1 .. data_batch_5 then test_batch (train then test for
  subset='all').

Converted copy: cifar10.npz (x_train, y_train, x_test, y_test, class_names)
in data_home.

A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images",
Technical report, University of Toronto, 2009.
"""


def _read_idx(path, ndim):
    """A uint8 IDX array (gzip-compressed), checking its header against ``ndim``."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x800 + ndim:
        raise ValueError(f"{path} is not an IDX file of {ndim}-D uint8 data (magic number {magic:#x}).")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != np.prod(shape):
        raise ValueError(f"{path} holds {data.size} values for a header shape {shape}; the file is truncated.")
    return data.reshape(shape)


def _convert_mnist(paths):
    images_train, labels_train, images_test, labels_test = (
        _read_idx(paths[key], 3 if key.endswith("images") else 1) for key in MNIST_FILES
    )
    return {"x_train": images_train, "y_train": labels_train, "x_test": images_test, "y_test": labels_test}


def fetch_mnist(data_home=None, download_if_missing=True, *, subset="train", return_X_y=False, base_url=None):
    """Load the MNIST digits (70,000 images of 28 x 28 pixels).

    Reads, in this order: the converted copy ``mnist.npz`` in ``data_home``;
    the four official IDX files (``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
    ``t10k-labels-idx1-ubyte.gz``) in ``data_home``, converted once into
    ``mnist.npz``; or, if allowed, those files downloaded and checked against
    their md5.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the official files when neither they nor the converted copy
        are in ``data_home``; if False, raise an ``OSError`` instead.
    subset : {"train", "test", "all"}, default="train"
        The 60,000 training images, the 10,000 test images, or all of them
        (training first).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    base_url : str, default=None
        A mirror holding the official file names, used instead of the
        official addresses (``MNIST_MIRRORS``).

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 28, 28) uint8, ``target`` (n,) uint8, ``target_names``
        (the digits as strings) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skscatter.datasets import fetch_mnist
    >>> mnist = fetch_mnist(subset="test")  # doctest: +SKIP
    >>> mnist.data.shape, mnist.target[:5]  # doctest: +SKIP
    ((10000, 28, 28), array([7, 2, 1, 0, 4], dtype=uint8))
    """
    _check_subset(subset)
    home = get_data_home(data_home)
    cache = Path(home) / "mnist.npz"
    arrays = _load_converted(cache, _subset_keys(subset))
    if arrays is None:
        remotes = list(MNIST_REMOTES.values())
        paths = dict(zip(MNIST_REMOTES, _official_files(remotes, home, download_if_missing, base_url, "fetch_mnist")))
        arrays = _convert_mnist(paths)
        _save_converted(cache, arrays)
    data, target = _select_subset(arrays, subset)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, target_names=[str(d) for d in range(10)], DESCR=MNIST_DESCR)


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles CIFAR batches: dicts, lists, strings and NumPy arrays, nothing else.

    The batches are pickles; refusing every other global means a tampered
    archive cannot run code when it is read.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        # Python 3 writes bytes this way at protocol 2 (re-pickled batches); it only encodes a string.
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"a CIFAR batch may not refer to {module}.{name}")
        if name == "_reconstruct":
            return _reconstruct
        if module == "_codecs":
            return codecs.encode
        return getattr(np, name)


def _load_batch(archive, name):
    member = next((m for m in archive.getmembers() if m.isfile() and Path(m.name).name == name), None)
    if member is None:
        raise ValueError(f"{archive.name} has no member {name}; it is not cifar-10-python.tar.gz.")
    with archive.extractfile(member) as f:
        return _BatchUnpickler(f, encoding="bytes").load()


def _convert_cifar10(path):
    with tarfile.open(path, "r:gz") as archive:
        parts = {}
        for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
            batches = [_load_batch(archive, name) for name in names]
            data = np.concatenate([np.asarray(b[b"data"], dtype=np.uint8) for b in batches])
            # Rows are 3072 bytes: 1024 red, then green, then blue, each row-major 32 x 32.
            parts[f"x_{split}"] = np.ascontiguousarray(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
            parts[f"y_{split}"] = np.concatenate([np.asarray(b[b"labels"], dtype=np.uint8) for b in batches])
        meta = _load_batch(archive, "batches.meta")
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in meta[b"label_names"]]
    parts["class_names"] = np.array(names, dtype="<U10")
    return parts


def fetch_cifar10(data_home=None, download_if_missing=True, *, subset="train", return_X_y=False, base_url=None):
    """Load CIFAR-10 (60,000 colour images of 32 x 32 pixels in 10 classes).

    Reads, in this order: the converted copy ``cifar10.npz`` in
    ``data_home``; the official ``cifar-10-python.tar.gz`` in ``data_home``,
    converted once into ``cifar10.npz``; or, if allowed, that archive
    downloaded and checked against its md5.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        Download the official archive when neither it nor the converted copy
        is in ``data_home``; if False, raise an ``OSError`` instead.
    subset : {"train", "test", "all"}, default="train"
        The 50,000 training images, the 10,000 test images, or all of them
        (training first).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    base_url : str, default=None
        A mirror holding ``cifar-10-python.tar.gz``, used instead of the
        official address.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data`` (n, 32, 32, 3) uint8 RGB channel-last, ``target`` (n,)
        uint8, ``target_names`` (the 10 class names) and ``DESCR``.
    (data, target) : tuple
        If ``return_X_y`` is True.

    Examples
    --------
    >>> from skscatter.datasets import fetch_cifar10
    >>> cifar = fetch_cifar10(subset="test")  # doctest: +SKIP
    >>> cifar.data.shape, cifar.target_names[cifar.target[0]]  # doctest: +SKIP
    ((10000, 32, 32, 3), 'cat')
    """
    _check_subset(subset)
    home = get_data_home(data_home)
    cache = Path(home) / "cifar10.npz"
    arrays = _load_converted(cache, (*_subset_keys(subset), "class_names"))
    if arrays is None:
        (path,) = _official_files([CIFAR10_REMOTE], home, download_if_missing, base_url, "fetch_cifar10")
        arrays = _convert_cifar10(path)
        _save_converted(cache, arrays)
    data, target = _select_subset(arrays, subset)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, target_names=[str(n) for n in arrays["class_names"]], DESCR=CIFAR10_DESCR)
