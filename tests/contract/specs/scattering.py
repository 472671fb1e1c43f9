"""ScatteringTransformer in the contract suite: the worked example of a spec."""

import numpy as np
from hypothesis import strategies as st

from skscatter import ScatteringTransformer

from ..registry import Hostile, Invariance, Memory, Spec
from .images import colour_images, image_hostile_inputs, permuted_samples


def _float64_reference(out, est, bad):
    # Near the top of float32's range: computed in float64 and returned in
    # float32 when it fits there, never inf, NaN or a wrong value.
    expected = est.transform(bad.astype(np.float64))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


@st.composite
def _scaled_images(draw):
    # Every operation is positively homogeneous: S(c x) = c S(x) for c > 0.
    seed = draw(st.integers(0, 2**32 - 1))
    c = draw(st.floats(1e-3, 1e3))
    X = colour_images(np.random.default_rng(seed), n=2)
    return X, c * X, lambda Y: c * Y


SPEC = Spec(
    cls=ScatteringTransformer,
    params=dict(J=2, L=4),
    make_X=colour_images,
    input_kind="images",
    alternatives=dict(
        J=1,
        L=2,
        max_order=1,
        second_order="roto-translation",
        shape=(8, 8),
        n_channels=3,
        channel_layout="first",
        output="mean",
        log=True,
        log_eps=1e-2,
    ),
    sklearn_params=[dict(J=1), dict(J=1, L=3, backend="numpy"), dict(J=1, output="mean", log=True)],
    hostile=image_hostile_inputs(colour_images(np.random.default_rng(0)))
    + [
        Hostile("verbose_negative_after_fit", lambda X, r: X, "transform", after_fit=dict(verbose=-1), match="'verbose' parameter"),
        Hostile("J_true", lambda X, r: X, "fit", params=dict(J=True), match="'J' parameter.*int.*Got True"),
        Hostile("J_too_large", lambda X, r: X, "fit", params=dict(J=4), match="J=4 is too large.*use J <= 3"),
        Hostile(
            "roto_translation_few_orientations",
            lambda X, r: X,
            "fit",
            params=dict(L=2, second_order="roto-translation"),
            match="second_order='roto-translation'.*L=2.*use L >= 4",
        ),
        Hostile(
            "float32_near_overflow",
            lambda X, r: (X * 1e37).astype(np.float32),
            "fit_transform",
            error=None,
            check=_float64_reference,
        ),
        Hostile(
            "float64_beyond_range",
            lambda X, r: np.full_like(X, 1.5e308),
            "fit_transform",
            match="overflowed float64.*rescale X",
        ),
    ],
    invariances=[
        Invariance("sample_order", permuted_samples(2, 5), rtol=1e-13),
        Invariance("positive_scaling", _scaled_images(), rtol=1e-12),
    ],
    backends=("numpy", "numba"),
    rtol=1e-12,
    memory=Memory(make=lambda n, rng: colour_images(rng, n=n, size=16), n_small=8, n_large=256),
)
