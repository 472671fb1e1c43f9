"""The building blocks of ``examples/long_cifar10_scattering.py`` on a few synthetic images."""

import pickle

import numpy as np
import pytest


@pytest.fixture
def example(load_example):
    return load_example("long_cifar10_scattering")


def test_yuv_of_grey_levels_has_no_chroma(example):
    levels = np.array([0, 64, 255], dtype=np.uint8)
    images = np.broadcast_to(levels[:, None, None, None], (3, 32, 32, 3))
    yuv = example.to_yuv(images)
    assert yuv.dtype == np.float32 and yuv.shape == (3, 32, 32, 3)
    np.testing.assert_allclose(yuv[..., 0], np.broadcast_to(levels[:, None, None] / 255.0, (3, 32, 32)), rtol=1e-5)
    # The published matrix's U row sums to 1e-5, not exactly 0.
    np.testing.assert_allclose(yuv[..., 1:], 0.0, atol=2e-5)


def test_yuv_of_pure_red(example):
    red = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    red[..., 0] = 255
    np.testing.assert_allclose(example.to_yuv(red)[0, 0, 0], [0.299, -0.14713, 0.615], rtol=1e-5)


def test_upsampling_doubles_the_side_and_keeps_a_constant(example):
    images = np.full((2, 32, 32, 3), 100, dtype=np.uint8)
    up = example.to_yuv(images, upsample=2)
    assert up.shape == (2, 64, 64, 3)
    np.testing.assert_allclose(up, example.to_yuv(images)[:, :1, :1].repeat(64, 1).repeat(64, 2), atol=1e-6)


def test_flips_mirror_columns_and_repeat_labels(example):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    y = np.arange(4)
    flipped, y2 = example.with_flips(images, y)
    assert flipped.shape == (8, 32, 32, 3)
    np.testing.assert_array_equal(flipped[4:, :, 0], images[:, :, -1])
    np.testing.assert_array_equal(y2, np.r_[y, y])


def test_pipeline_features_pickle_and_heads_fit(example):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 32, 32, 3), dtype=np.uint8)
    y = np.repeat(np.arange(4), 10)
    # Class-dependent brightness so that both heads have something to learn.
    images = np.clip(images // 2 + 30 * y[:, None, None, None], 0, 255).astype(np.uint8)
    features = example.make_features(J=3, n_jobs=1).fit(images[:1])
    Z = features.transform(images)
    assert Z.shape == (40, 3 * 217 * 16) and np.isfinite(Z).all()
    restored = pickle.loads(pickle.dumps(features))
    np.testing.assert_array_equal(restored.transform(images[:3]), Z[:3])
    linear = example.make_linear_head(alpha=1.0).fit(Z, y)
    assert linear.score(Z, y) == 1.0
    kernel = example.make_kernel_head(Z.shape[1], alpha=1e-3, n_components=40).fit(Z.copy(), y)
    assert kernel.score(Z.copy(), y) >= 0.95
