"""The project's shared npz files are converted copies: a data_home holding them needs no official file."""

import numpy as np
import pytest

from skscatter.datasets import fetch_cifar10, fetch_mnist, fetch_qm7, fetch_qm9
from skscatter.datasets._molecules import _parse_qm9_xyz
from tests.datasets._archives import METHANE


@pytest.fixture(scope="module")
def shared(data_dir):
    return data_dir


def test_fetch_mnist_from_the_shared_copy(shared):
    train = fetch_mnist(shared, download_if_missing=False)
    test = fetch_mnist(shared, download_if_missing=False, subset="test")
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.target[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert test.target[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(test.target).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    with np.load(shared / "mnist.npz") as npz:
        np.testing.assert_array_equal(test.data[-3:], npz["x_test"][-3:])


def test_fetch_cifar10_from_the_shared_copy(shared):
    test = fetch_cifar10(shared, download_if_missing=False, subset="test")
    assert test.data.shape == (10000, 32, 32, 3) and test.data.dtype == np.uint8
    assert [test.target_names[t] for t in test.target[:5]] == ["cat", "ship", "ship", "airplane", "frog"]
    assert np.bincount(test.target).tolist() == [1000] * 10
    np.testing.assert_allclose(test.data.reshape(-1, 3).mean(axis=0), [126.025, 123.709, 114.854], atol=1e-3)


def test_fetch_qm7_from_the_shared_copy(shared):
    qm7 = fetch_qm7(shared, download_if_missing=False)
    assert len(qm7.data) == 7165 and qm7.folds is None and qm7.cv is None
    np.testing.assert_allclose(qm7.target[:4], [-417.96, -712.42, -564.21, -404.88], atol=0.01)
    numbers, positions = qm7.data[0]  # methane
    assert numbers.tolist() == [6, 1, 1, 1, 1]
    np.testing.assert_allclose(np.linalg.norm(positions[1:] - positions[0], axis=1), 1.092, atol=1e-3)


def test_fetch_qm9_from_the_shared_copy_matches_the_official_xyz(shared):
    qm9 = fetch_qm9(shared, download_if_missing=False, target=["U0", "U0_atom"])
    assert len(qm9.data) == 130831 and qm9.index[0] == 1 and qm9.smiles is None
    with np.load(shared / "qm9.npz") as npz:
        assert not np.isin(npz["uncharacterized"], qm9.index).any()
    # Molecule 1 as the official file writes it, through this package's parser.
    index, numbers, positions, props, _ = _parse_qm9_xyz(METHANE, "dsgdb9nsd_000001.xyz")
    assert index == 1 and qm9.data[0][0].tolist() == numbers
    np.testing.assert_array_equal(qm9.data[0][1], np.float32(positions))
    assert qm9.target[0, 0] == props[10] and qm9.target[0, 1] == pytest.approx(-396.0, abs=0.05)
