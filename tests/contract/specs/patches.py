"""WhitenedPatchKNNEncoder in the contract suite."""

import numpy as np
from hypothesis import strategies as st

from skscatter import WhitenedPatchKNNEncoder

from ..registry import Hostile, Invariance, Memory, Spec
from .images import colour_images, image_hostile_inputs, permuted_samples


def _scaled_to(top, dtype=np.float32):
    """Images rescaled so that max |x| = top, in ``dtype``."""
    return lambda X, r: (X / np.abs(X).max() * top).astype(dtype)


def _float64_reference(out, est, bad):
    # Computed in float32 where float32 holds it, else in float64 and
    # returned in float32: the codes of the float64 computation either way.
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, est.transform(bad.astype(np.float64)), rtol=0, atol=1e-6)


def _float32_rows(top):
    """float32 images near the top of the range and the same images at a normal scale, in one input."""
    return lambda X, r: np.concatenate([_scaled_to(top)(X, r), X.astype(np.float32)])


@st.composite
def _selected_rows(draw):
    # Each image is encoded on its own: repeating or dropping images (in
    # any batch) gives the rows of the repeated or kept images.
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = colour_images(rng, n=draw(st.integers(4, 7)))
    rows = rng.integers(0, len(X), size=draw(st.integers(1, 12)))
    return X, X[rows], lambda Y: Y[rows]


_X = colour_images(np.random.default_rng(0))
_N_POSITIONS = len(_X) * 6 * 6  # 3 x 3 patches of 8 x 8 images

SPEC = Spec(
    cls=WhitenedPatchKNNEncoder,
    params=dict(patch_size=3, n_patches=16, n_neighbors=4, random_state=0),
    make_X=colour_images,
    input_kind="images",
    alternatives=dict(
        patch_size=2,
        n_patches=8,
        n_neighbors=0.5,
        whitening_reg=None,
        negative=False,
        query_scale=5.0,
        stride=2,
        pooling="pyramid",
        grid_size=3,
        pool_size=2,
        pool_stride=2,
        shape=(8, 8),
        n_channels=3,
        channel_layout="first",
        dictionary="kmeans",
        random_state=1,
    ),
    sklearn_params=[
        dict(patch_size=1, n_patches=2, n_neighbors=1, random_state=0),
        dict(patch_size=1, n_patches=2, n_neighbors=1, whitening_reg=None, negative=False, backend="numpy", random_state=0),
    ],
    hostile=image_hostile_inputs(_X)
    + [
        Hostile("patch_size_true", lambda X, r: X, "fit", params=dict(patch_size=True), match="'patch_size' parameter.*Got True"),
        Hostile("n_neighbors_true", lambda X, r: X, "fit", params=dict(n_neighbors=True), match="'n_neighbors' parameter.*Got True"),
        Hostile(
            "patch_larger_than_images",
            lambda X, r: X,
            "fit",
            params=dict(patch_size=9),
            match=r"patch_size=9 is larger than the images, of shape \(8, 8\); use patch_size <= 8",
        ),
        Hostile(
            "n_patches_above_positions",
            lambda X, r: X,
            "fit",
            params=dict(n_patches=_N_POSITIONS + 1),
            match=f"n_patches={_N_POSITIONS + 1} exceeds the {_N_POSITIONS} patch positions.*lower n_patches",
        ),
        Hostile(
            "n_neighbors_all_atoms",
            lambda X, r: X,
            "fit",
            params=dict(n_neighbors=16),
            match=r"K=16 nearest atoms, but K must be in .* \[1, 15\]; change n_neighbors",
        ),
        Hostile(
            "n_neighbors_fraction_gives_zero",
            lambda X, r: X,
            "fit",
            params=dict(n_neighbors=0.01),
            match=r"n_neighbors=0.01 gives K=0 nearest atoms.*change n_neighbors",
        ),
        Hostile(
            "n_neighbors_above_n_patches",
            lambda X, r: X,
            "fit",
            params=dict(n_neighbors=40),
            match=r"K=40 nearest atoms, but K must be in",
        ),
        # float32 near the top of its range: the codes of the float64 computation.
        Hostile("float32_near_overflow", _scaled_to(1e37), "fit_transform", error=None, check=_float64_reference),
        Hostile("float32_top_of_range", _scaled_to(3.4e38), "fit_transform", error=None, check=_float64_reference),
        Hostile(
            "float32_top_of_range_unwhitened",
            _scaled_to(1e25),
            "fit_transform",
            params=dict(whitening_reg=None),
            error=None,
            check=_float64_reference,
        ),
        Hostile("float32_tiny", _scaled_to(1e-30), "fit_transform", error=None, check=_float64_reference),
        # Huge and normal images in one batch: each is computed as on its own.
        Hostile("float32_mixed_scales", _float32_rows(3.4e38), "fit_transform", error=None, check=_float64_reference),
        Hostile(
            "float32_near_overflow_after_fit", _scaled_to(3.4e38), "transform", error=None, check=_float64_reference
        ),
        Hostile(
            "float64_beyond_range", _scaled_to(1e307, np.float64), "fit_transform", match="overflowed float64.*rescale X"
        ),
        Hostile(
            "float64_beyond_range_after_fit",
            _scaled_to(1e308, np.float64),
            "transform",
            match="encoding of X overflowed float64.*rescale X",
        ),
    ],
    invariances=[
        Invariance("sample_order", permuted_samples(4, 7), rtol=0.0),
        Invariance("selected_rows", _selected_rows(), rtol=0.0),
    ],
    backends=("numpy", "numba"),
    rtol=0.0,
    memory=Memory(make=lambda n, rng: colour_images(rng, n=n, size=16), n_small=32, n_large=256),
)
