"""The support kernels of the scattering-spectra statistics: twins agree, and bad operands are refused before indexing."""

import numpy as np
import pytest

from skscatter._kernels.fourier import get_fourier_ops


def _operands(rng, dtype=np.complex128):
    rows = (rng.normal(size=(3, 20)) + 1j * rng.normal(size=(3, 20))).astype(dtype)
    support = np.array([0, 4, 5, 19], dtype=np.intp)
    scale = rng.random(4).astype(rows.real.dtype)
    return rows, support, scale


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_gather_scatter_and_gram_against_fancy_indexing(backend, dtype):
    ops = get_fourier_ops(backend)
    rng = np.random.default_rng(0)
    rows, support, scale = _operands(rng, dtype)
    out = np.empty((3, 4), dtype=dtype)
    ops.gather_support(rows, support, scale, out)
    np.testing.assert_array_equal(out, rows[:, support] * scale)
    acc = rows.copy()
    ops.scatter_add_support(acc, support, out, scale)
    expected = rows.copy()
    expected[:, support] += out * scale
    np.testing.assert_allclose(acc, expected, rtol=1e-6 if dtype == np.complex64 else 1e-15)
    gram = ops.gram(out[None])
    np.testing.assert_allclose(gram[0], out @ out.conj().T, rtol=1e-5 if dtype == np.complex64 else 1e-13)
    np.testing.assert_allclose(gram[0], gram[0].conj().T, rtol=0, atol=1e-6 * np.abs(gram).max())


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize(
    "change",
    [
        dict(support=np.array([0, 4, 5, 20])),  # past the end: never read out of bounds
        dict(support=np.array([-1, 4, 5, 6])),
        dict(scale=np.ones(3)),
        dict(out=np.empty((3, 5), dtype=np.complex128)),
        dict(out=np.empty((3, 4), dtype=np.complex64)),
        dict(rows=np.ones((3, 20))),
    ],
    ids=["index_past_end", "negative_index", "scale_length", "out_shape", "out_dtype", "real_rows"],
)
def test_bad_operands_are_refused(backend, change):
    ops = get_fourier_ops(backend)
    rows, support, scale = _operands(np.random.default_rng(1))
    args = {**dict(rows=rows, support=support, scale=scale, out=np.empty((3, 4), dtype=np.complex128)), **change}
    with pytest.raises(ValueError, match="Inconsistent support operands"):
        ops.gather_support(args["rows"], args["support"], args["scale"], args["out"])
    with pytest.raises(ValueError, match="Inconsistent support operands"):
        ops.scatter_add_support(args["rows"], args["support"], args["out"], args["scale"])


def test_gram_refuses_real_input():
    with pytest.raises(ValueError, match="gram needs a complex"):
        get_fourier_ops("numba").gram(np.ones((1, 2, 3)))
