"""data_home, downloads from a local server, checksums, and the converted copies."""

import os

import numpy as np
import pytest

from skscatter.datasets import clear_data_home, fetch_cifar10, fetch_mnist, fetch_qm7, fetch_qm9, get_data_home
from tests.datasets._archives import cifar_archive, mnist_files, patch_remotes, qm7_mat, qm9_files


def test_get_data_home_reads_the_environment_then_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SKSCATTER_DATA", str(tmp_path / "from_env"))
    assert get_data_home() == str(tmp_path / "from_env") and (tmp_path / "from_env").is_dir()
    monkeypatch.delenv("SKSCATTER_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert get_data_home() == str(tmp_path / "home" / "skscatter_data")
    assert get_data_home(tmp_path / "given") == str(tmp_path / "given")
    (tmp_path / "given" / "mnist.npz").write_bytes(b"x")
    clear_data_home(tmp_path / "given")
    assert not (tmp_path / "given").exists()


def official_files(tmp_path):
    """Every dataset's official files, small, keyed by file name."""
    rng = np.random.default_rng(0)
    files, _ = mnist_files(rng)
    files["cifar-10-python.tar.gz"] = cifar_archive(rng)[0]
    qm7_mat(tmp_path / "qm7.mat", rng)
    files["qm7.mat"] = (tmp_path / "qm7.mat").read_bytes()
    files.update(qm9_files())
    return files


FETCHERS = {
    "mnist": (fetch_mnist, ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                            "t10k-labels-idx1-ubyte.gz"], "mnist.npz"),
    "cifar10": (fetch_cifar10, ["cifar-10-python.tar.gz"], "cifar10.npz"),
    "qm7": (fetch_qm7, ["qm7.mat"], "qm7.npz"),
    "qm9": (fetch_qm9, ["dsgdb9nsd.xyz.tar.bz2", "uncharacterized.txt"], "qm9.npz"),
}


@pytest.mark.parametrize("dataset", sorted(FETCHERS))
def test_fetchers_download_check_and_cache(dataset, tmp_path, http_server, monkeypatch):
    base_url, served, requests = http_server
    files = official_files(tmp_path)
    for name, data in files.items():
        (served / name).write_bytes(data)
    # The official addresses, replaced by the local server: a missing mirror first, then the file.
    patch_remotes(monkeypatch, files, lambda name: (base_url + "gone/" + name, base_url + name))
    fetch, names, converted = FETCHERS[dataset]
    home = tmp_path / "home"

    first = fetch(home)
    extra = ["qm9_uncharacterized.npz"] if dataset == "qm9" else []
    assert sorted(os.listdir(home)) == sorted(names + [converted] + extra)
    for name in names:
        assert (home / name).read_bytes() == files[name]
    assert sorted(requests) == sorted(["/gone/" + n for n in names] + ["/" + n for n in names])

    # Later calls read the converted copy: no request, and the official files are not needed.
    for name in names:
        (home / name).unlink()
    second = fetch(home, download_if_missing=False)
    assert len(requests) == 2 * len(names)
    assert len(first.data) == len(second.data) and np.array_equal(first.target, second.target)

    # base_url= replaces the official addresses.
    requests.clear()
    fetch(tmp_path / "other", base_url=base_url.rstrip("/"))
    assert sorted(requests) == sorted("/" + n for n in names)


@pytest.mark.parametrize("dataset", sorted(FETCHERS))
def test_fetchers_keep_no_file_after_a_checksum_mismatch(dataset, tmp_path, http_server, monkeypatch):
    base_url, served, _ = http_server
    files = official_files(tmp_path)
    for name, data in files.items():
        (served / name).write_bytes(data)
    fetch, names, _ = FETCHERS[dataset]
    wrong = {name: data + b"corrupt" for name, data in files.items() if name == names[0]}
    patch_remotes(monkeypatch, {**files, **wrong}, lambda name: (base_url + name,))
    home = tmp_path / "home"
    with pytest.raises(OSError, match=f"could not download {names[0]}(.|\n)*md5 checksum [0-9a-f]{{32}}, expected"):
        fetch(home)
    assert os.listdir(home) == []


def test_fetchers_report_an_unreachable_server(tmp_path, monkeypatch):
    files = official_files(tmp_path)
    # A port nothing listens on (the server is closed before the call).
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    patch_remotes(monkeypatch, files, lambda name: (f"http://127.0.0.1:{port}/{name}",))
    with pytest.raises(OSError, match=f"could not download qm7.mat(.|\n)*127.0.0.1:{port}/qm7.mat"):
        fetch_qm7(tmp_path / "home")
    assert os.listdir(tmp_path / "home") == []


@pytest.mark.parametrize("dataset", sorted(FETCHERS))
def test_fetchers_without_download_name_the_missing_files(dataset, tmp_path):
    fetch, names, _ = FETCHERS[dataset]
    with pytest.raises(OSError, match=f"{fetch.__name__} needs the official files") as info:
        fetch(tmp_path, download_if_missing=False)
    for name in names:
        assert name in str(info.value)
    assert str(tmp_path) in str(info.value) and "download_if_missing=True" in str(info.value)


def test_an_unreadable_converted_copy_is_rebuilt(tmp_path):
    files, arrays = mnist_files(np.random.default_rng(0))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.warns(UserWarning, match="ignoring unreadable"):
        mnist = fetch_mnist(tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(mnist.data, arrays["x_train"])
    with np.load(tmp_path / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["y_test"], arrays["y_test"])


def test_a_read_only_data_home_still_serves_the_official_files(tmp_path, monkeypatch):
    files, arrays = mnist_files(np.random.default_rng(0))
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.warns(UserWarning, match="could not cache the converted copy"):
        mnist = fetch_mnist(tmp_path, download_if_missing=False, subset="test")
    np.testing.assert_array_equal(mnist.target, arrays["y_test"])
    assert not (tmp_path / "mnist.npz").exists()
