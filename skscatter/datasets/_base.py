"""Where datasets live, how they are downloaded and how their converted copies are cached.

Every fetcher follows the same three steps, cheapest first:

1. the *converted copy* (``<name>.npz`` in ``data_home``, in the layout of
   the project's shared data files) when it holds the arrays asked for;
2. the *official distribution files* in ``data_home``, converted once and
   cached as step 1's copy;
3. a download of the official files (when ``download_if_missing``), checked
   against the checksums recorded beside each fetcher, then step 2.
"""

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["RemoteFile", "clear_data_home", "get_data_home"]

_CHUNK = 1 << 20
# Seconds without data before a download is abandoned (per read, not in total).
_TIMEOUT = 60


class RemoteFile(NamedTuple):
    """An official distribution file: its name in ``data_home``, addresses and checksum."""

    filename: str
    urls: tuple  # official addresses, tried in order
    checksum: str  # "md5:<hex>" or "sha256:<hex>"


def get_data_home(data_home=None):
    """The folder holding the datasets, created if missing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default the environment variable
        ``SKSCATTER_DATA``, else ``~/skscatter_data``.

    Returns
    -------
    data_home : str
        The folder, with ``~`` expanded.

    Examples
    --------
    >>> import tempfile
    >>> from skscatter.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp) == tmp
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKSCATTER_DATA", Path("~") / "skscatter_data")
    data_home = os.path.expanduser(os.fspath(data_home))
    os.makedirs(data_home, exist_ok=True)
    return data_home


def clear_data_home(data_home=None):
    """Delete the data folder and everything in it (official files and converted copies).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to delete; the default is that of :func:`get_data_home`.

    Examples
    --------
    >>> import os, tempfile
    >>> from skscatter.datasets import clear_data_home, get_data_home
    >>> home = get_data_home(os.path.join(tempfile.mkdtemp(), "data"))
    >>> clear_data_home(home)
    >>> os.path.exists(home)
    False
    """
    shutil.rmtree(get_data_home(data_home))


def _file_checksum(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _urls(remote, base_url):
    if base_url is None:
        return remote.urls
    return (base_url.rstrip("/") + "/" + remote.filename,)


def _download(remote, folder, base_url=None):
    """Fetch ``remote`` into ``folder``; on success the file appears whole, under its final name.

    The bytes go to a temporary file beside the target, are checked against
    the recorded checksum and only then renamed, so an interrupted or corrupt
    download never leaves a file that a later call would trust.
    """
    algorithm, expected = remote.checksum.split(":")
    target = Path(folder) / remote.filename
    failures = []
    for url in _urls(remote, base_url):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=remote.filename + ".", suffix=".part")
        try:
            digest = hashlib.new(algorithm)
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != expected:
                failures.append(f"{url}: {algorithm} checksum {digest.hexdigest()}, expected {expected}")
                continue
            os.replace(tmp, target)
            return target
        except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: a malformed address
            failures.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise OSError(
        f"could not download {remote.filename} into {folder}:\n  " + "\n  ".join(failures)
        + "\nNo file was kept. Download it yourself (checking the checksum) and place it in that folder, "
        "or pass base_url= of a mirror holding the official file names."
    )


def _official_files(remotes, folder, download_if_missing, base_url, dataset):
    """Paths of the official files in ``folder``, downloading the missing ones if allowed."""
    missing = [r for r in remotes if not (Path(folder) / r.filename).is_file()]
    if missing and not download_if_missing:
        where = "\n  ".join(f"{r.filename}  (from {r.urls[0]})" for r in missing)
        raise OSError(
            f"{dataset} needs the official files: data_home={folder!r} has no converted copy holding what was asked, "
            f"and these files are missing:\n  "
            f"{where}\nPut these files in {folder!r}, or pass download_if_missing=True."
        )
    for remote in missing:
        _download(remote, folder, base_url)
    return [Path(folder) / r.filename for r in remotes]


def _load_converted(path, required, optional=()):
    """The ``required`` arrays (and those of ``optional`` present) of the converted copy at ``path``.

    None if the file is missing or lacks a required array.  Only the arrays
    named are decompressed (a test subset does not pay for the training images).
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not set(required) <= set(npz.files):
                return None
            return {name: npz[name] for name in (*required, *optional) if name in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # A truncated or foreign file: rebuild it from the official files rather than fail.
        warnings.warn(f"ignoring unreadable {path} ({exc}); converting the official files again", stacklevel=3)
        return None


def _save_converted(path, arrays):
    """Write the converted copy atomically; a read-only data_home only costs a warning."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + ".", suffix=".npz.part")
    except OSError as exc:
        warnings.warn(f"could not cache the converted copy at {path} ({exc}); it is rebuilt on each call", stacklevel=3)
        return
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _check_subset(subset):
    if subset not in ("train", "test", "all"):
        raise ValueError(f"subset={subset!r} is not supported; use 'train', 'test' or 'all'.")


def _subset_keys(subset):
    """The arrays of a shared image file that ``subset`` needs."""
    splits = ("train", "test") if subset == "all" else (subset,)
    return tuple(f"{xy}_{split}" for split in splits for xy in "xy")


def _select_subset(arrays, subset, x_key="x_{}", y_key="y_{}"):
    """(data, target) for subset 'train', 'test' or 'all' (train first) from the x_/y_ arrays."""
    if subset == "all":
        return (np.concatenate([arrays[x_key.format("train")], arrays[x_key.format("test")]]),
                np.concatenate([arrays[y_key.format("train")], arrays[y_key.format("test")]]))
    return arrays[x_key.format(subset)], arrays[y_key.format(subset)]
