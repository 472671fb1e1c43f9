import pickle

import numpy as np
import pytest

from skscatter.datasets import fetch_cifar10, fetch_mnist
from tests.datasets._archives import CIFAR_NAMES, cifar_archive, idx_gz, mnist_files


def write(folder, files):
    for name, data in files.items():
        (folder / name).write_bytes(data)


def test_fetch_mnist_reads_the_idx_files_and_caches_a_converted_copy(tmp_path):
    files, arrays = mnist_files(np.random.default_rng(0))
    write(tmp_path, files)
    train = fetch_mnist(tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(train.data, arrays["x_train"])
    np.testing.assert_array_equal(train.target, arrays["y_train"])
    assert train.data.dtype == np.uint8 and train.data.shape == (6, 28, 28)
    assert train.target_names == [str(d) for d in range(10)] and "MNIST" in train.DESCR

    # The converted copy has the shared mnist.npz layout and serves later calls without the IDX files.
    with np.load(tmp_path / "mnist.npz") as npz:
        assert sorted(npz.files) == ["x_test", "x_train", "y_test", "y_train"]
    for name in files:
        (tmp_path / name).unlink()
    X, y = fetch_mnist(tmp_path, download_if_missing=False, subset="test", return_X_y=True)
    np.testing.assert_array_equal(X, arrays["x_test"])
    np.testing.assert_array_equal(y, arrays["y_test"])
    everything = fetch_mnist(tmp_path, download_if_missing=False, subset="all")
    np.testing.assert_array_equal(everything.data, np.concatenate([arrays["x_train"], arrays["x_test"]]))


def test_fetch_mnist_rejects_a_file_that_is_not_idx(tmp_path):
    files, _ = mnist_files(np.random.default_rng(0))
    files["t10k-labels-idx1-ubyte.gz"] = idx_gz(np.zeros((2, 3), dtype=np.uint8))  # 2D where labels are 1D
    write(tmp_path, files)
    with pytest.raises(ValueError, match="not an IDX file of 1-D"):
        fetch_mnist(tmp_path, download_if_missing=False)
    assert not (tmp_path / "mnist.npz").exists()


def test_fetch_mnist_rejects_a_bad_subset(tmp_path):
    with pytest.raises(ValueError, match="subset='validation'.*'train', 'test' or 'all'"):
        fetch_mnist(tmp_path, subset="validation")


def test_fetch_cifar10_reads_the_python_batches_channel_last(tmp_path):
    archive, raw = cifar_archive(np.random.default_rng(1))
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(archive)
    train = fetch_cifar10(tmp_path, download_if_missing=False)
    rows, labels = raw["train"]
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    # Row layout: 1024 red, 1024 green, 1024 blue, each row-major 32 x 32.
    i, y, x, c = 7, 3, 30, 2
    assert train.data[i, y, x, c] == rows[i, c * 1024 + y * 32 + x]
    np.testing.assert_array_equal(train.data.transpose(0, 3, 1, 2).reshape(10, 3072), rows)
    np.testing.assert_array_equal(train.target, labels)
    assert train.target_names == CIFAR_NAMES

    (tmp_path / "cifar-10-python.tar.gz").unlink()
    test = fetch_cifar10(tmp_path, download_if_missing=False, subset="test")
    np.testing.assert_array_equal(test.data.transpose(0, 3, 1, 2).reshape(2, 3072), raw["test"][0])
    with np.load(tmp_path / "cifar10.npz") as npz:
        assert npz["class_names"].dtype == np.dtype("<U10")
        assert sorted(npz.files) == ["class_names", "x_test", "x_train", "y_test", "y_train"]


class _Sneaky:
    def __reduce__(self):
        return (print, ("this must not run",))


def test_fetch_cifar10_refuses_a_batch_that_would_run_code(tmp_path, capsys):
    archive, _ = cifar_archive(np.random.default_rng(2), extra={b"payload": _Sneaky()})
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(archive)
    with pytest.raises(pickle.UnpicklingError, match=r"may not refer to (__builtin__|builtins)\.print"):
        fetch_cifar10(tmp_path, download_if_missing=False)
    assert "must not run" not in capsys.readouterr().out
