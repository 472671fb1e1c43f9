"""``RectifiedChannels`` of ``examples/plot_ucr_scattering.py`` on small synthetic series."""

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
