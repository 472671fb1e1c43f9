"""ScatteringSpectra in the contract suite."""

import numpy as np
from hypothesis import strategies as st

from skscatter.synthesis import ScatteringSpectra

from ..registry import Hostile, Invariance, Memory, Spec
from .images import colour_images, image_hostile_inputs, permuted_samples


def _scale_dependent(est):
    """Masks of the features that scale with the field (the means) and that shift by log c**2 (the log powers)."""
    names = est.get_feature_names_out()
    means = np.array([n.startswith("mean_") for n in names])
    logs = np.array([(n.startswith(("low_", "power_")) and not n.endswith("_imag") and n.split("_")[1] == n.split("_")[2])
                     for n in names])
    return means, logs


def _rescaled(Y, est, c):
    means, logs = _scale_dependent(est)
    Y = Y.copy()
    Y[:, means] *= c
    Y[:, logs] += 2 * np.log(c)
    return Y


class _Scaled:
    """``expected`` for a positive scaling ``c``: means times ``c``, log powers plus ``log c**2``, the rest unchanged."""

    def __init__(self, c):
        self.c = c

    def __call__(self, Y):
        est = ScatteringSpectra(**SPEC.params).fit(colour_images(np.random.default_rng(0), n=2))
        return _rescaled(Y, est, self.c)


@st.composite
def _scaled_images(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    c = draw(st.sampled_from([1e-3, 0.37, 2.0, 13.0, 1e3]))
    X = colour_images(np.random.default_rng(seed), n=2)
    return X, c * X, _Scaled(c)


@st.composite
def _quarter_turns(draw):
    # The isotropic reduction averages over rotations by multiples of pi / L;
    # a quarter turn of a square grid is one of them exactly for an even L.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = colour_images(rng, n=2)
    k = draw(st.integers(1, 3))
    return X, np.rot90(X, k, axes=(1, 2)).copy(), lambda Y: Y


@st.composite
def _translated_images(draw):
    # The statistics are averages over a periodic grid: a circular shift of
    # the images changes none of them.
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = colour_images(rng, n=2)
    dy, dx = draw(st.integers(0, 7)), draw(st.integers(0, 7))
    return X, np.roll(X, (dy, dx), axis=(1, 2)), lambda Y: Y


def _huge_values(out, est, bad):
    # Products of values near 1e300 overflow float64: the fields are scaled
    # by a power of two first, and the result is the rescaled features.
    expected = _rescaled(est.transform(bad / 2.0**1000), est, 2.0**1000)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


SPEC = Spec(
    cls=ScatteringSpectra,
    params=dict(J=2, L=2),
    make_X=colour_images,
    input_kind="images",
    alternatives=dict(J=1, L=3, shape=(8, 8), n_channels=3, channel_layout="first", reduction="isotropic"),
    sklearn_params=[dict(J=1, L=2), dict(J=1, L=1, backend="numpy")],
    hostile=image_hostile_inputs(colour_images(np.random.default_rng(0)))
    + [
        Hostile("J_too_large", lambda X, r: X, "fit", params=dict(J=4), match="J=4 is too large.*use J <= 3"),
        Hostile("L_zero", lambda X, r: X, "fit", params=dict(L=0), match="'L' parameter"),
        Hostile("huge_values", lambda X, r: X * 2.0**1000, "fit_transform", error=None, check=_huge_values),
        Hostile(
            "constant_images",
            lambda X, r: np.ones_like(X),
            "fit_transform",
            error=None,
            check=lambda out, est, bad: np.testing.assert_array_equal(np.isfinite(out), True),
        ),
    ],
    invariances=[
        Invariance("sample_order", permuted_samples(2, 4), rtol=1e-13),
        Invariance("circular_translation", _translated_images(), rtol=1e-9),
        Invariance("positive_scaling", _scaled_images(), rtol=1e-9),
        Invariance("quarter_turn", _quarter_turns(), rtol=1e-12, params=dict(reduction="isotropic")),
    ],
    backends=("numpy", "numba"),
    rtol=1e-12,
    memory=Memory(make=lambda n, rng: colour_images(rng, n=n, size=16), n_small=8, n_large=64, working_memory=4.0),
)
