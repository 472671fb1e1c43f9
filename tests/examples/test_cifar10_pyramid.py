"""``encode(..., flips=True)`` of ``examples/long_cifar10_pyramid.py`` on a few random images."""

import numpy as np

from skscatter import WhitenedPatchKNNEncoder


def test_flip_averaged_features_ignore_a_flip(load_example):
    example = load_example("long_cifar10_pyramid")
    rng = np.random.default_rng(0)
    X = rng.random((6, 16, 16, 3), dtype=np.float32)
    encoder = WhitenedPatchKNNEncoder(patch_size=3, n_patches=16, n_neighbors=0.4, pooling="pyramid", grid_size=2,
                                      random_state=0, n_jobs=1).fit(X)
    plain = example.encode(encoder, X, chunk=4).astype(np.float32)
    mirrored = example.encode(encoder, X[:, :, ::-1], chunk=4).astype(np.float32)
    averaged = example.encode(encoder, X, chunk=4, flips=True)
    assert averaged.dtype == np.float16 and averaged.shape == plain.shape
    # The encoding itself sees the flip, the mean of both does not.
    assert np.abs(plain - mirrored).max() > 0.05
    np.testing.assert_array_equal(averaged, example.encode(encoder, X[:, :, ::-1], chunk=4, flips=True))
    np.testing.assert_allclose(averaged, (plain + mirrored) / 2, atol=2e-3)
