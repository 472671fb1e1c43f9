"""The cupy code path of the statistics and of synthesis: on the CPU with a fake cupy, and on a real GPU when present."""

import numpy as np
import pytest

from skscatter import ScatteringSpectra
from skscatter.synthesis import synthesize


def _images(seed, n=3, size=16, channels=2):
    return np.random.default_rng(seed).normal(size=(n, size, size, channels))


def test_spectra_cupy_path_computes_the_same_function(fake_cupy):
    from skscatter.synthesis import _spectra

    _spectra._PLAN_COPIES.clear()
    X = _images(0)
    expected = ScatteringSpectra(J=2, L=3, backend="numba").fit_transform(X)
    est = ScatteringSpectra(J=2, L=3, backend="cupy").fit(X)
    got = est.transform(X)
    assert type(got) is np.ndarray
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    on_device = est.transform(fake_cupy.asarray(X))
    assert isinstance(on_device, fake_cupy.ndarray)
    # Plans are copied to the device once per grid, dtype and device, not per call.
    assert len(_spectra._PLAN_COPIES) == 1


# The histogram term's gradient jumps where two pixels swap ranks, so
# rounding differences between the paths grow faster along the descent: a
# shorter run with it.
@pytest.mark.parametrize("histogram_weight, max_iter", [(0.0, 40), (1.0, 10)])
def test_synthesis_cupy_path_draws_the_same_sample(fake_cupy, histogram_weight, max_iter):
    example = np.abs(np.random.default_rng(1).normal(size=(16, 16))) ** 2
    kwargs = dict(J=2, L=4, max_iter=max_iter, random_state=0, return_error=True, dtype=np.float64,
                  histogram_weight=histogram_weight)
    cpu, cpu_error = synthesize(example, backend="numba", **kwargs)
    gpu, gpu_error = synthesize(example, backend="cupy", **kwargs)
    assert type(gpu) is np.ndarray
    np.testing.assert_allclose(gpu, cpu, rtol=1e-6, atol=1e-9 * np.abs(cpu).max())
    np.testing.assert_allclose(gpu_error, cpu_error, rtol=1e-5)


@pytest.mark.gpu
def test_spectra_and_synthesis_on_the_gpu_match_the_cpu():
    X = _images(2, size=32)
    cpu = ScatteringSpectra(J=3, L=4, backend="numba").fit_transform(X)
    gpu = ScatteringSpectra(J=3, L=4, backend="cupy").fit_transform(X)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-8, atol=1e-10)
    example = np.abs(np.random.default_rng(3).normal(size=(32, 32))) ** 2
    _, cpu_error = synthesize(example, J=2, L=4, max_iter=200, random_state=0, return_error=True, backend="numba")
    _, gpu_error = synthesize(example, J=2, L=4, max_iter=200, random_state=0, return_error=True, backend="cupy")
    assert cpu_error[0] < 1e-2 and gpu_error[0] < 1e-2
