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


def test_copies_are_the_image_its_mirror_and_their_translations(example):
    assert example.copies() == [(False, 0, 0), (True, 0, 0)]
    plan = example.copies(2)
    assert len(plan) == 10 and len(set(plan)) == 10 and plan[:2] == example.copies()
    assert {(dy, dx) for _, dy, dx in plan} == {(0, 0), (0, 2), (0, -2), (2, 0), (-2, 0)}


def test_translation_moves_content_and_reflects_the_border(example):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    right = example.translate(images, 0, 2)
    np.testing.assert_array_equal(right[:, :, 2:], images[:, :, :-2])
    # Reflection without repeating the edge column: columns 2, 1 then 0.
    np.testing.assert_array_equal(right[:, :, :2], images[:, :, [2, 1]])
    up = example.translate(images, -4, 0)
    np.testing.assert_array_equal(up[:, :-4], images[:, 4:])
    np.testing.assert_array_equal(up[:, -4:], images[:, [-2, -3, -4, -5]])
    assert example.translate(images, 0, 0) is images


def test_mirror_then_translate(example):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    copy = example.make_copy(images, True, 0, 2)
    np.testing.assert_array_equal(copy[:, :, 2:], images[:, :, ::-1][:, :, :-2])


def test_featurised_copies_are_copy_major_and_match_direct_transforms(example):
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(5, 32, 32, 3), dtype=np.uint8)
    features = example.make_features(J=3, n_jobs=1).fit(images[:1])
    # A chunk smaller than the images, so the chunked writes are exercised.
    Z = example.featurise_copies(features, images, 2, "test", chunk=2)
    assert Z.shape == (50, 3 * 217 * 16) and Z.dtype == np.float32
    for c, (mirror, dy, dx) in enumerate(example.copies(2)):
        expected = features.transform(example.make_copy(images, mirror, dy, dx))
        np.testing.assert_allclose(Z[c * 5: (c + 1) * 5], expected, rtol=1e-6, atol=1e-6)
    # The translated copies are new coefficients, not the originals again.
    assert not np.allclose(Z[10:15], Z[:5], atol=1e-3)


def test_fine_features_append_the_first_order_maps_one_scale_finer(example):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(3, 32, 32, 3), dtype=np.uint8)
    coarse = example.make_features(J=3, n_jobs=1).fit(images[:1]).transform(images)
    fine = example.make_features(J=3, n_jobs=1, fine=True).fit(images[:1]).transform(images)
    # 3 channels x (1 + 2 x 8) first-order paths x 8 x 8 positions appended.
    assert fine.shape == (3, 10416 + 3 * 17 * 64) and fine.dtype == np.float32
    np.testing.assert_array_equal(fine[:, :10416], coarse)
    # Per channel, the finer low-pass map averaged over 2 x 2 cells tracks the
    # coarser one: both are local means of the same channel.
    low_fine = np.exp(fine[:, 10416:].reshape(3, 3, 17, 8, 8)[:, :, 0]) - 1e-3
    low_coarse = np.exp(coarse.reshape(3, 3, 217, 4, 4)[:, :, 0]) - 1e-3
    pooled = low_fine.reshape(3, 3, 4, 2, 4, 2).mean(axis=(3, 5))
    assert np.corrcoef(pooled.ravel(), low_coarse.ravel())[0, 1] > 0.9


def test_feature_array_memory_map(example, tmp_path):
    out = example.feature_array(4, 3, tmp_path / "maps", "train")
    out[:] = 1.5
    out.flush()
    np.testing.assert_array_equal(np.load(tmp_path / "maps" / "train.npy"), np.full((4, 3), 1.5, np.float32))
    assert example.feature_array(4, 3, None, "train").shape == (4, 3)


def test_fit_score_averages_decisions_over_copies(example):
    class Fixed:
        """A head whose decision function is the input itself (two classes)."""

        classes_ = np.array([0, 1])

        def fit(self, X, y):
            return self

        def decision_function(self, X):
            return np.asarray(X, dtype=float)

    y = np.array([0, 1])
    # Copy 0 gets both wrong, the mirror image both right by a larger margin,
    # the third copy tips the first image back.
    Z = np.array([[0, 1], [1, 0], [5, 0], [0, 5], [0, 9], [0, 0]], dtype=float)
    result = example.fit_score(Fixed(), Z, y, Z, y, "fixed", n_copies=3)
    assert result == {"accuracy": 0.0, "flip_averaged": 1.0, "copies_averaged": 0.5}
    assert example.fit_score(Fixed(), Z, y, Z[:2], y, "fixed") == {"accuracy": 0.0}


def test_shift_out_of_range_is_refused(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--shift", "16", "--data-home", "/nonexistent"])
    assert "--shift=16" in capsys.readouterr().err


def test_fine_needs_two_scales(example, capsys):
    with pytest.raises(SystemExit):
        example.main(["--fine", "--J", "1", "--data-home", "/nonexistent"])
    assert "--fine" in capsys.readouterr().err


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


def test_block_scaler_matches_the_one_shot_scaler_and_works_in_place(example):
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(4)
    X = (rng.standard_normal((23, 5)) * [1, 10, 0.1, 3, 7] + [0, 5, -2, 100, 1]).astype(np.float32)
    scaler = example.BlockStandardScaler(copy=False)
    scaler.block_rows = 4  # several blocks and a ragged last one
    reference = StandardScaler().fit(X)
    Z = X.copy()
    assert scaler.fit_transform(Z) is Z  # standardised in place, no copy
    np.testing.assert_allclose(scaler.mean_, reference.mean_, rtol=1e-6)
    np.testing.assert_allclose(scaler.scale_, reference.scale_, rtol=1e-5)
    assert scaler.n_samples_seen_ == 23
    np.testing.assert_allclose(Z, reference.transform(X), rtol=1e-4, atol=1e-5)
    # A refit forgets the first fit's statistics, as StandardScaler.fit does.
    scaler.fit(X[:8] + 1)
    assert scaler.n_samples_seen_ == 8
    np.testing.assert_allclose(scaler.mean_, X[:8].mean(axis=0) + 1, rtol=1e-5)


def test_logistic_head_is_sklearn_logistic_regression_on_standardised_features(example):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(5)
    X = rng.standard_normal((120, 6)).astype(np.float32) * 4 + 3
    y = (X[:, 0] + X[:, 1] > 6).astype(int) + (X[:, 2] > 3)
    head = example.make_logistic_head(C=0.5, max_iter=500).fit(X.copy(), y)
    standardised = StandardScaler().fit_transform(X)
    reference = LogisticRegression(C=0.5, max_iter=500).fit(standardised, y)
    np.testing.assert_allclose(head[-1].coef_, reference.coef_, rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(head.decision_function(X.copy()), reference.decision_function(standardised),
                               rtol=2e-3, atol=1e-3)
    # Weaker penalty, larger weights: C is the inverse penalty.
    weak = example.make_logistic_head(C=50.0, max_iter=500).fit(X.copy(), y)
    assert np.abs(weak[-1].coef_).sum() > np.abs(head[-1].coef_).sum()


def test_linear_head_follows_the_command_line(example):
    parser = example.make_parser()
    head, label = example.linear_head(parser.parse_args([]))
    assert label == "logistic C=0.001" and head[-1].C == 1e-3 and head[-1].max_iter == 300
    head, label = example.linear_head(parser.parse_args(["--linear-head", "ridge"]))
    assert label == "ridge alpha=10000" and head.alpha == 10000.0
    args = parser.parse_args(["--linear-head", "logistic", "--C", "0.01", "--max-iter", "50"])
    head, label = example.linear_head(args)
    assert label == "logistic C=0.01" and head[-1].C == 0.01 and head[-1].max_iter == 50
    head, label = example.linear_head(args, 3e-4)
    assert label == "logistic C=0.0003" and head[-1].C == 3e-4
    assert parser.parse_args(["--select", "--linear-head", "logistic"]).Cs == [3e-4, 1e-3, 3e-3]
    with pytest.raises(SystemExit):
        parser.parse_args(["--linear-head", "svm"])


def test_select_compares_logistic_penalties_on_held_out_training_images(example, monkeypatch):
    rng = np.random.default_rng(6)
    n = 5012
    y = np.arange(n) % 2
    images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    images[y == 1, :16] = 255  # bright top half: an easy class for any head
    args = example.make_parser().parse_args(["--select", "--heads", "linear", "--linear-head", "logistic",
                                             "--Cs", "1e-3", "1", "--n-jobs", "1", "--max-iter", "50"])
    # Featurising 5,000 held-out images is the slow part; a cheap feature map keeps the test short.
    monkeypatch.setattr(example, "featurise_all",
                        lambda features, X, args, label, name: np.concatenate(
                            [X.reshape(len(X), -1)[:, ::97], X[:, :, ::-1].reshape(len(X), -1)[:, ::97]]
                        ).astype(np.float32))
    results = example.select(images, y, args)
    assert [label for _, label in results] == ["logistic C=0.001", "logistic C=1"]
    assert all(accuracy == 1.0 for accuracy, _ in results)
