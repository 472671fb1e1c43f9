"""Helpers of ``examples/plot_ucr_scattering.py`` (rectified channels, candidate ranking, averaged ridges) on small synthetic data."""

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")


@pytest.fixture
def example(load_example, monkeypatch):
    # Without aeon the example defines its helpers and skips the UCR runs.
    monkeypatch.setitem(sys.modules, "aeon", None)
    return load_example("plot_ucr_scattering")


def test_each_channel_is_followed_by_its_parts(example):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 2, 30))
    rect = example.RectifiedChannels(quantiles=(0.25, 0.75)).fit(X)
    for c in range(2):
        np.testing.assert_allclose(rect.levels_[c], np.quantile(X[:, c], [0.25, 0.75]))
    out = rect.transform(X)
    assert out.shape == (5, 2 * (1 + 2 + 2), 30)
    for c in range(2):
        group = out[:, 5 * c : 5 * (c + 1)]
        np.testing.assert_array_equal(group[:, 0], X[:, c])
        np.testing.assert_allclose(group[:, 1], np.maximum(X[:, c] - rect.levels_[c, 0], 0))
        np.testing.assert_allclose(group[:, 2], np.maximum(X[:, c] - rect.levels_[c, 1], 0))
        step = np.diff(X[:, c], axis=-1, prepend=X[:, c, :1])
        np.testing.assert_allclose(group[:, 3], np.maximum(step, 0))
        np.testing.assert_allclose(group[:, 4], np.maximum(-step, 0))


def test_a_step_up_and_a_step_down_differ(example):
    # The modulus of a wavelet transform cannot tell these apart; the rises and falls can.
    up = np.repeat([0.0, 1.0], 16)[None, None]
    down = up[..., ::-1].copy()
    rect = example.RectifiedChannels().fit(np.concatenate([up, down]))
    rises_up, rises_down = rect.transform(up)[0, -2], rect.transform(down)[0, -2]
    assert rises_up.sum() == 1.0 and rises_down.sum() == 0.0


def test_other_channel_counts_are_refused(example):
    rect = example.RectifiedChannels().fit(np.zeros((3, 2, 10)))
    with pytest.raises(ValueError, match=r"\(n_series, 2, length\)"):
        rect.transform(np.zeros((3, 3, 10)))
    with pytest.raises(ValueError, match="n_series, n_channels, length"):
        example.RectifiedChannels().fit(np.zeros((3, 10)))


def test_ranking_keeps_the_listing_order_in_ties(example):
    late = np.nextafter(0.9, 1.0)  # as the same fold accuracies summed in another order may give
    scores = {"a": 0.8, "b": 0.9, "c": late, "d": 0.95, "e": 1 / 3}
    assert example.ranked_candidates(scores) == ["d", "b", "c", "a", "e"]


@pytest.mark.parametrize("n_classes", [2, 4])
def test_one_ridge_averaged_alone_predicts_as_it_does(example, n_classes):
    rng = np.random.default_rng(n_classes)
    X = rng.standard_normal((60, 8))
    y = np.array(["cat", "dog", "eel", "fox"])[: n_classes][np.argmax(X[:, :n_classes], axis=1)]
    model = example.ridge().fit(X[:40], y[:40])
    np.testing.assert_array_equal(example.averaged_decision([model], [X[40:]]), model.predict(X[40:]))


def test_averaging_follows_the_more_confident_ridge(example):
    # Two ridges on different features of the same series: where they
    # disagree, the average sides with the larger decision value.
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b", "c"], 20)
    onehot = (y[:, None] == np.array(["a", "b", "c"])).astype(float)
    F1 = onehot + 0.3 * rng.standard_normal((60, 3))
    F2 = onehot[:, ::-1] + 0.3 * rng.standard_normal((60, 3))
    models = [example.ridge().fit(F, y) for F in (F1, F2)]
    tests = [rng.standard_normal((25, 3)), rng.standard_normal((25, 3))]
    d1, d2 = (m.decision_function(T) for m, T in zip(models, tests))
    expected = models[0].classes_[np.argmax(d1 + d2, axis=1)]
    got = example.averaged_decision(models, tests)
    np.testing.assert_array_equal(got, expected)
    assert np.any(got != models[0].predict(tests[0])) and np.any(got != models[1].predict(tests[1]))


def test_shared_transforms_give_each_candidates_own_features(example):
    # candidate_features runs each distinct scattering once and shares it;
    # every candidate must still get what its own pipeline computes.
    rng = np.random.default_rng(1)
    X_fit, X_new = rng.standard_normal((6, 2, 64)), rng.standard_normal((3, 2, 64))
    labels = list(example.candidates(64, pool="rectified"))
    assert len(labels) == 20
    shared = example.candidate_features(labels, X_fit, [X_fit, X_new])
    for label in labels:
        pipeline = example.scattering_features(*example.candidates(64, pool="rectified")[label], X_fit)
        for X, got in zip((X_fit, X_new), shared[label]):
            np.testing.assert_allclose(got, pipeline.transform(X), rtol=1e-12, atol=1e-12, err_msg=label)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_rectified_channels_keep_float32(example, dtype):
    X = np.arange(2 * 3 * 8).reshape(2, 3, 8).astype(dtype)
    out = example.RectifiedChannels().fit(X).transform(X)
    assert out.dtype == (np.float32 if dtype == np.float32 else np.float64)
    np.testing.assert_allclose(out[:, 0], X[:, 0])


def test_acsf1_phases_puts_every_fourth_sample_in_a_channel(monkeypatch):
    # The diagnostic of asv_benchmarks/ucr_acsf1_phases.py: sample 4 t + r goes to channel r, the tail is dropped.
    import importlib.util
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "asv_benchmarks"
    monkeypatch.syspath_prepend(str(folder))  # as when run as a script, beside ucr_ensemble_select
    spec = importlib.util.spec_from_file_location("ucr_acsf1_phases", folder / "ucr_acsf1_phases.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    X = np.arange(2 * 1 * 10, dtype=np.float32).reshape(2, 1, 10)
    out = script.phases(X)
    assert out.shape == (2, 4, 2) and out.dtype == np.float32
    for r in range(4):
        np.testing.assert_array_equal(out[:, r], X[:, 0, r:8:4])
