"""Small files in the official distribution formats, written by the tests."""

import gzip
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np
import scipy.io

from skscatter.datasets import _images, _molecules
from skscatter.datasets._base import RemoteFile


def md5(data):
    return "md5:" + hashlib.md5(data).hexdigest()


def idx_gz(array):
    """An IDX file (uint8 data), gzip-compressed, as MNIST's distribution files."""
    header = (0x800 + array.ndim).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def mnist_files(rng, n_train=6, n_test=4):
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    files = {
        "train-images-idx3-ubyte.gz": idx_gz(arrays["x_train"]),
        "train-labels-idx1-ubyte.gz": idx_gz(arrays["y_train"]),
        "t10k-images-idx3-ubyte.gz": idx_gz(arrays["x_test"]),
        "t10k-labels-idx1-ubyte.gz": idx_gz(arrays["y_test"]),
    }
    return files, arrays


def _tar(members, mode):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _py2_str(data):
    """A Python 2 ``str`` as its pickler writes it (SHORT_BINSTRING / BINSTRING)."""
    return b"U" + bytes([len(data)]) + data if len(data) < 256 else b"T" + struct.pack("<i", len(data)) + data


def _py2_int(n):
    return b"K" + bytes([n]) if 0 <= n < 256 else b"J" + struct.pack("<i", n)


def _py2_uint8_array(rows):
    """A uint8 ndarray as NumPy under Python 2 pickled it: numpy.core names, the bytes as a str."""
    dtype = (b"cnumpy\ndtype\n" + _py2_str(b"u1") + _py2_int(0) + _py2_int(1) + b"\x87R("
             + _py2_int(3) + _py2_str(b"|") + b"NNN" + _py2_int(-1) + _py2_int(-1) + _py2_int(0) + b"tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n" + _py2_int(0) + b"\x85" + _py2_str(b"b")
            + b"\x87R(" + _py2_int(1) + _py2_int(rows.shape[0]) + _py2_int(rows.shape[1]) + b"\x86" + dtype
            + b"\x89" + _py2_str(rows.tobytes()) + b"tb")


def cifar_batch(rows, labels, extra=None):
    """A batch as the python version stores it: a dict with str keys pickled by Python 2, rows channel-first.

    The pickle is written opcode by opcode, as Python 2's cPickle (protocol
    2) wrote the official batches; with ``extra`` (a dict) it is Python 3's
    pickle of the same dict plus ``extra``.
    """
    if extra is not None:
        return pickle.dumps({b"labels": [int(v) for v in labels], b"data": rows, **extra}, protocol=2)
    items = (_py2_str(b"batch_label") + _py2_str(b"training batch 1 of 5")
             + _py2_str(b"labels") + b"](" + b"".join(_py2_int(int(v)) for v in labels) + b"e"
             + _py2_str(b"data") + _py2_uint8_array(rows))
    return b"\x80\x02}(" + items + b"u."


def cifar_archive(rng, per_batch=2, extra=None):
    """cifar-10-python.tar.gz with tiny batches; returns (bytes, raw rows, labels) for train and test."""
    members, raw = {}, {"train": ([], []), "test": ([], [])}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        rows = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch)
        members[f"cifar-10-batches-py/{name}"] = cifar_batch(rows, labels, extra if name == "test_batch" else None)
        split = "test" if name == "test_batch" else "train"
        raw[split][0].append(rows)
        raw[split][1].append(labels)
    names = b"".join(_py2_str(n.encode()) for n in CIFAR_NAMES)
    members["cifar-10-batches-py/batches.meta"] = (
        b"\x80\x02}(" + _py2_str(b"num_cases_per_batch") + _py2_int(per_batch) + _py2_str(b"label_names") + b"]("
        + names + b"e" + _py2_str(b"num_vis") + _py2_int(3072) + b"u."
    )
    raw = {k: (np.concatenate(r), np.concatenate(y)) for k, (r, y) in raw.items()}
    return _tar(members, "w:gz"), raw


def qm7_mat(path, rng, n=10):
    """qm7.mat as quantum-machine.org ships it: Z float32 zero-padded to 23, R in Bohr, T (1, n), P (5, n / 5)."""
    n_atoms = rng.integers(3, 24, n)
    Z = np.zeros((n, 23), dtype=np.float32)
    R = np.zeros((n, 23, 3), dtype=np.float32)
    for i, k in enumerate(n_atoms):
        Z[i, :k] = rng.choice([1, 6, 7, 8, 16], k)
        R[i, :k] = rng.normal(scale=3.0, size=(k, 3))
    T = rng.normal(-1500, 200, (1, n)).astype(np.float32)
    P = rng.permutation(n).reshape(5, -1).astype(np.int64)
    scipy.io.savemat(path, {"X": np.zeros((n, 23, 23), dtype=np.float32), "R": R, "Z": Z, "T": T, "P": P})
    return {"Z": Z, "R": R, "T": T.ravel(), "P": P, "n_atoms": n_atoms}


# dsgdb9nsd_000001.xyz exactly as in the QM9 archive (tabs and all).
METHANE = (
    "5\n"
    "gdb 1\t157.7118\t157.70997\t157.70699\t0.\t13.21\t-0.3877\t0.1171\t0.5048\t35.3641\t0.044749\t"
    "-40.47893\t-40.476062\t-40.475117\t-40.498597\t6.469\t\n"
    "C\t-0.0126981359\t 1.0858041578\t 0.0080009958\t-0.535689\n"
    "H\t 0.002150416\t-0.0060313176\t 0.0019761204\t 0.133921\n"
    "H\t 1.0117308433\t 1.4637511618\t 0.0002765748\t 0.133922\n"
    "H\t-0.540815069\t 1.4475266138\t-0.8766437152\t 0.133923\n"
    "H\t-0.5238136345\t 1.4379326443\t 0.9063972942\t 0.133923\n"
    "1341.307\t1341.3284\t1341.365\t1562.6731\t1562.7453\t3038.3205\t3151.6034\t3151.6788\t3151.7078\n"
    "C\tC\t\n"
    "InChI=1S/CH4/h1H4\tInChI=1S/CH4/h1H4\n"
)


def qm9_xyz(index, symbols, positions, props, smiles):
    """A QM9-format xyz file; a value written as 'a*^b' exercises Mathematica's exponent notation."""
    lines = [str(len(symbols)), "gdb %d\t" % index + "\t".join(props) + "\t"]
    lines += ["%s\t%s\t%s\t%s\t0.0" % (s, *p) for s, p in zip(symbols, positions)]
    lines += ["100.0\t200.0", f"{smiles}\t{smiles}", "InChI=1S/x\tInChI=1S/x"]
    return "\n".join(lines) + "\n"


QM9_EXTRA = {
    # index: (symbols, positions as written, 15 properties as written, smiles)
    2: (["N", "H", "H", "H"], [("-0.04", "1.0", "6.2*^-5"), ("0.1", "0.0", "0.0"), ("1.0", "1.4", "0.0"),
                              ("-0.5", "1.4", "-0.8")],
        ["293.6", "293.5", "191.4", "1.6256", "9.46", "-0.2570", "0.0829", "0.3399", "26.1563", "0.034358",
         "-56.525887", "-56.523026", "-56.522082", "-56.544961", "6.316"], "N"),
    4: (["C", "C", "H", "H"], [("0.0", "0.0", "0.6"), ("0.0", "0.0", "-0.6"), ("0.0", "0.0", "1.66"),
                              ("0.0", "0.0", "-1.66")],
        ["2.1997*^-6", "35.6", "35.6", "0.", "16.28", "-0.2845", "0.0506", "0.3351", "59.5248", "0.026841",
         "-77.308427", "-77.305527", "-77.304583", "-77.327429", "8.574"], "C#C"),
    3: (["O", "H", "H"], [("-0.03", "0.6", "-2.1997*^-6"), ("0.8", "0.0", "0.0"), ("-0.8", "0.0", "0.0")],
        ["799.58812", "437.90386", "282.94545", "1.8511", "6.31", "-0.2928", "0.0687", "0.3615", "19.0002",
         "0.021375", "-76.404702", "-76.401867", "-76.400922", "-76.422349", "6.002"], "O"),
}

# The real file's layout: blank lines, prose (with numbers, not first on a line), a column
# header between rules of "=", one row per molecule led by its index, a closing rule.
_RULE = "=" * 158 + "\n"
UNCHARACTERIZED_HEAD = (
    "\n\n\n\nList of molecules among the 133885 GDB9 molecules for which the Corina generated Cartesian \n"
    "different SMILES and InChI strings when parsed through the program Openbabel.\n\n"
    + _RULE
    + "#   Index" + "GDB17 SMILES".rjust(39) + "SMILES for B3LYP XYZ".rjust(45) + "D_IJ".rjust(60) + "\n"
    + _RULE
)


def qm9_files(uncharacterized=(3,)):
    """dsgdb9nsd.xyz.tar.bz2 (molecules 1-4, stored out of order) and uncharacterized.txt."""
    members = {"dsgdb9nsd_000001.xyz": METHANE.encode()}
    for index, (symbols, positions, props, smiles) in QM9_EXTRA.items():
        members[f"dsgdb9nsd_{index:06d}.xyz"] = qm9_xyz(index, symbols, positions, props, smiles).encode()
    rows = "".join(f"{i:8d}{'O':>40}{'O':>45}{'[OH2]':>45}{1.5:>20}\n" for i in uncharacterized)
    text = UNCHARACTERIZED_HEAD + rows + _RULE
    return {"dsgdb9nsd.xyz.tar.bz2": _tar(members, "w:bz2"), "uncharacterized.txt": text.encode()}


def patch_remotes(monkeypatch, files, urls):
    """Point every fetcher's table of official files at ``urls(name)`` with the checksums of ``files``.

    ``files`` maps file names to their bytes; names it lacks keep a checksum
    no download can match.
    """

    def remote(r):
        checksum = md5(files[r.filename]) if r.filename in files else "md5:" + "0" * 32
        return RemoteFile(r.filename, tuple(urls(r.filename)), checksum)

    monkeypatch.setattr(_images, "MNIST_REMOTES", {k: remote(r) for k, r in _images.MNIST_REMOTES.items()})
    monkeypatch.setattr(_images, "CIFAR10_REMOTE", remote(_images.CIFAR10_REMOTE))
    monkeypatch.setattr(_molecules, "QM7_REMOTE", remote(_molecules.QM7_REMOTE))
    monkeypatch.setattr(_molecules, "QM9_REMOTES", tuple(remote(r) for r in _molecules.QM9_REMOTES))
