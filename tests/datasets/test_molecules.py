import numpy as np
import pytest

from skscatter.datasets import fetch_qm7, fetch_qm9
from skscatter.datasets._molecules import BOHR, QM9_TARGETS
from skscatter.structures import check_structures
from tests.datasets._archives import qm7_mat, qm9_files


def test_fetch_qm7_reads_qm7_mat_in_angstrom_with_the_official_folds(tmp_path):
    ref = qm7_mat(tmp_path / "qm7.mat", np.random.default_rng(0))
    qm7 = fetch_qm7(tmp_path, download_if_missing=False)
    assert len(qm7.data) == 10 and qm7.target_names == ["T"] and "kcal/mol" in qm7.DESCR
    np.testing.assert_array_equal(qm7.n_atoms, ref["n_atoms"])
    for i, (numbers, positions) in enumerate(qm7.data):
        k = ref["n_atoms"][i]
        np.testing.assert_array_equal(numbers, ref["Z"][i, :k])
        np.testing.assert_allclose(positions, ref["R"][i, :k] * BOHR, rtol=1e-6)
    np.testing.assert_array_equal(qm7.positions[ref["Z"] == 0], 0.0)
    np.testing.assert_array_equal(qm7.target, ref["T"])
    np.testing.assert_array_equal(qm7.folds, ref["P"])
    for (train, test), fold in zip(qm7.cv, ref["P"]):
        np.testing.assert_array_equal(test, np.sort(fold))
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(10))
    assert len(check_structures(qm7.data)) == 10  # what the estimators take

    # The converted copy (shared qm7.npz layout plus P) serves the next call without qm7.mat.
    (tmp_path / "qm7.mat").unlink()
    again = fetch_qm7(tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(again.folds, ref["P"])
    np.testing.assert_array_equal(again.positions, qm7.positions)
    with np.load(tmp_path / "qm7.npz") as npz:
        assert {npz[k].dtype.str for k in ("Z", "R", "T", "n_atoms")} == {"|i1", "<f4"}


def test_fetch_qm7_reads_one_based_folds_and_rejects_folds_that_are_no_partition(tmp_path):
    import scipy.io

    ref = qm7_mat(tmp_path / "qm7.mat", np.random.default_rng(1))
    mat = scipy.io.loadmat(tmp_path / "qm7.mat")
    scipy.io.savemat(tmp_path / "qm7.mat", {**{k: mat[k] for k in "XRZT"}, "P": mat["P"] + 1})
    np.testing.assert_array_equal(fetch_qm7(tmp_path, download_if_missing=False).folds, ref["P"])

    (tmp_path / "qm7.npz").unlink()
    P = mat["P"].copy()
    P[0, 0] = P[0, 1]
    scipy.io.savemat(tmp_path / "qm7.mat", {**{k: mat[k] for k in "XRZT"}, "P": P})
    with pytest.raises(ValueError, match="folds P that are not a partition of the 10 molecules"):
        fetch_qm7(tmp_path, download_if_missing=False)


def test_fetch_qm7_without_folds_from_a_copy_that_has_none(tmp_path):
    Z = np.array([[6, 1, 1, 1, 1, 0], [8, 1, 1, 0, 0, 0]], dtype=np.int8)
    R = np.random.default_rng(0).normal(size=(2, 6, 3)).astype(np.float32)
    np.savez(tmp_path / "qm7.npz", Z=Z, R=R, T=np.array([-400.0, -300.0], dtype=np.float32), n_atoms=[5, 3])
    qm7 = fetch_qm7(tmp_path, download_if_missing=False)
    assert qm7.folds is None and qm7.cv is None
    assert [len(z) for z, _ in qm7.data] == [5, 3]
    data, target = fetch_qm7(tmp_path, return_X_y=True)
    np.testing.assert_array_equal(target, [-400.0, -300.0])


def test_fetch_qm7_rejects_a_mat_file_that_is_not_qm7(tmp_path):
    import scipy.io

    scipy.io.savemat(tmp_path / "qm7.mat", {"Z": np.zeros((2, 23))})
    with pytest.raises(ValueError, match=r"lacks the arrays \['R', 'T', 'P'\]"):
        fetch_qm7(tmp_path, download_if_missing=False)


def write(folder, files):
    for name, data in files.items():
        (folder / name).write_bytes(data)


def test_fetch_qm9_parses_the_xyz_archive_and_leaves_out_the_uncharacterized(tmp_path):
    write(tmp_path, qm9_files(uncharacterized=(3,)))
    qm9 = fetch_qm9(tmp_path, download_if_missing=False, target=["U0_atom", "A", "U0"])
    np.testing.assert_array_equal(qm9.index, [1, 2, 4])  # sorted, molecule 3 left out
    assert qm9.target.shape == (3, 3) and qm9.target_names == ["U0_atom", "A", "U0"]
    numbers, positions = qm9.data[0]
    np.testing.assert_array_equal(numbers, [6, 1, 1, 1, 1])
    np.testing.assert_allclose(positions[1], [0.002150416, -0.0060313176, 0.0019761204], rtol=1e-6)
    # U0_atom of methane: (U0 - U0(C) - 4 U0(H)) x 627.509
    np.testing.assert_allclose(qm9.target[0], [(-40.47893 + 37.846772 + 4 * 0.500273) * 627.509, 157.7118, -40.47893])
    assert qm9.target[2, 1] == pytest.approx(2.1997e-6)  # written 2.1997*^-6
    assert qm9.smiles.tolist() == ["C", "N", "C#C"]
    assert qm9.numbers.shape == (3, 29) and qm9.positions.shape == (3, 29, 3) and qm9.n_atoms.tolist() == [5, 4, 4]
    assert qm9.data[1][1][0, 2] == pytest.approx(6.2e-5)

    everything = fetch_qm9(tmp_path, download_if_missing=False, include_uncharacterized=True, target="gap")
    np.testing.assert_array_equal(everything.index, [1, 2, 3, 4])
    assert everything.target.shape == (4,) and everything.target[2] == pytest.approx(0.3615)
    assert everything.data[2][1][0, 2] == pytest.approx(-2.1997e-6)

    # Converted copies serve every target without the official files; the layout is that of the shared qm9.npz.
    for name in ("dsgdb9nsd.xyz.tar.bz2", "uncharacterized.txt"):
        (tmp_path / name).unlink()
    with np.load(tmp_path / "qm9.npz") as npz:
        assert set(npz.files) >= {"Z", "R", "n_atoms", "index", "U0", "U0_atom", "uncharacterized", *QM9_TARGETS}
        assert npz["Z"].dtype == np.int8 and npz["R"].dtype == np.float32 and npz["index"].dtype == np.int32
        np.testing.assert_array_equal(npz["uncharacterized"], [3])
    X, y = fetch_qm9(tmp_path, download_if_missing=False, target="Cv", return_X_y=True, include_uncharacterized=True)
    np.testing.assert_allclose(y, [6.469, 6.316, 6.002, 8.574])


def test_fetch_qm9_from_a_copy_without_the_asked_property_needs_the_official_files(tmp_path):
    Z = np.array([[6, 1, 1, 1, 1]], dtype=np.int8)
    np.savez(tmp_path / "qm9.npz", Z=Z, R=np.zeros((1, 5, 3), np.float32), n_atoms=np.int8([5]), index=np.int32([1]),
             U0=[-40.47893], U0_atom=[-396.0], uncharacterized=np.int32([3]))
    assert fetch_qm9(tmp_path, download_if_missing=False).target.tolist() == [-396.0]
    assert fetch_qm9(tmp_path, download_if_missing=False).smiles is None
    with pytest.raises(OSError, match="dsgdb9nsd.xyz.tar.bz2.*\n.*uncharacterized.txt"):
        fetch_qm9(tmp_path, download_if_missing=False, target="gap")


@pytest.mark.parametrize("target", ["energy", ["U0", "u0"], [], 3])
def test_fetch_qm9_rejects_an_unknown_target(tmp_path, target):
    with pytest.raises(ValueError, match="target=.* is not supported; use one or a list of"):
        fetch_qm9(tmp_path, target=target)


def test_fetch_qm9_rejects_a_file_that_is_not_qm9_xyz(tmp_path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        data = b"3\nnot a gdb line\n"
        info = tarfile.TarInfo("dsgdb9nsd_000007.xyz")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    files = qm9_files()
    files["dsgdb9nsd.xyz.tar.bz2"] = buffer.getvalue()
    write(tmp_path, files)
    with pytest.raises(ValueError, match="dsgdb9nsd_000007.xyz is not a QM9 xyz file"):
        fetch_qm9(tmp_path, download_if_missing=False)
