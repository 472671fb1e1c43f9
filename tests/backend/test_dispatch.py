"""Backend dispatch: the cupy code path, exercised on the CPU with a fake cupy
module backed by NumPy, and on a real GPU when one is present."""


import numpy as np
import pytest

from skscatter import ScatteringTransformer
from skscatter._backend import resolve_backend
from skscatter.scattering import _filter_bank


def test_cupy_backend_path_computes_the_same_function(fake_cupy, global_random_seed):
    X = np.random.default_rng(global_random_seed).random((5, 3, 12, 20)).astype(np.float32)
    expected = ScatteringTransformer(J=2, L=4, channel_layout="first", backend="numba").fit_transform(X)
    est = ScatteringTransformer(J=2, L=4, channel_layout="first", backend="cupy").fit(X)
    got = est.transform(X)
    assert type(got) is np.ndarray and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)
    # Device filters are cached per (shape, J, L, dtype, device), not on the estimator.
    assert len(_filter_bank._DEVICE_BANKS) == 1
    assert "_device_cache" not in vars(est)


def test_device_input_is_transformed_on_its_device(fake_cupy, global_random_seed):
    X = np.random.default_rng(global_random_seed).random((4, 64))
    X_device = fake_cupy.asarray(X)
    assert resolve_backend("auto", X_device, owner="test") == "cupy"
    est = ScatteringTransformer(J=1).fit(X_device)
    np.testing.assert_allclose(est.transform(X_device), ScatteringTransformer(J=1).fit_transform(X), rtol=1e-10)
    with pytest.raises(ValueError, match=r"cupy array but ScatteringTransformer\(backend='numba'\)"):
        ScatteringTransformer(J=1, backend="numba").fit(X).transform(X_device)
    bad = X_device.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        est.transform(bad)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 2e-5), (np.float64, 1e-10)])
def test_gpu_matches_cpu(dtype, rtol, global_random_seed):
    import cupy

    X = np.random.default_rng(global_random_seed).random((6, 32 * 32 * 3)).astype(dtype)
    cpu = ScatteringTransformer(J=3, n_channels=3, backend="numba").fit_transform(X)
    gpu = ScatteringTransformer(J=3, n_channels=3, backend="cupy").fit_transform(X)
    np.testing.assert_allclose(gpu, cpu, rtol=rtol, atol=1e-6)
    on_device = ScatteringTransformer(J=3, n_channels=3).fit(X).transform(cupy.asarray(X))
    assert isinstance(on_device, cupy.ndarray)
    np.testing.assert_allclose(on_device.get(), cpu, rtol=rtol, atol=1e-6)



def test_patch_encoder_cupy_path_computes_the_same_function(fake_cupy, monkeypatch, global_random_seed):
    from skscatter import WhitenedPatchKNNEncoder
    from skscatter._kernels import _knn_cuda, _knn_xp, knn

    # The CUDA kernels need a GPU (tests/kernels/test_knn.py checks them
    # there); here their array-expression twin stands in, so that the
    # encoder's device plumbing (extraction by slices, transfers, batch
    # sizing, combine) runs on the CPU.
    def stand_in(H, offsets, scales, kth, pooling):
        pool = knn.pooling_dense(*pooling).astype(H.dtype)
        return _knn_xp.knn_pool(H, fake_cupy.asarray(offsets), scales, kth, pool, fake_cupy)

    monkeypatch.setattr(_knn_cuda, "knn_pool", stand_in)

    images = np.random.default_rng(global_random_seed).random((5, 10, 10, 3))
    for params in [dict(patch_size=3, n_patches=16, random_state=0),
                   dict(patch_size=2, n_patches=12, stride=2, pooling="pyramid", grid_size=2, random_state=0)]:
        expected = WhitenedPatchKNNEncoder(backend="numba", **params).fit_transform(images)
        est = WhitenedPatchKNNEncoder(backend="cupy", **params).fit(images)
        got = est.transform(images)
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, expected, atol=1e-12)
        on_device = est.transform(fake_cupy.asarray(images))
        assert isinstance(on_device, fake_cupy.ndarray)
        np.testing.assert_allclose(on_device, expected, atol=1e-12)
