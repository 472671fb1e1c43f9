"""WhitenedPatchKNNEncoder in the contract suite."""

import numpy as np

from skscatter import WhitenedPatchKNNEncoder

from ..registry import Spec
from .images import image_hostile_inputs


def colour_images(rng, n=6, size=8):
    return rng.normal(size=(n, size, size, 3))


SPEC = Spec(
    cls=WhitenedPatchKNNEncoder,
    params=dict(patch_size=3, n_patches=16, n_neighbors=4, random_state=0),
    make_X=colour_images,
    input_kind="images",
    alternatives=dict(),
    sklearn_params=[
        dict(patch_size=1, n_patches=2, n_neighbors=1, random_state=0),
        dict(patch_size=1, n_patches=2, n_neighbors=1, whitening_reg=None, negative=False, backend="numpy", random_state=0),
    ],
    hostile=image_hostile_inputs(colour_images(np.random.default_rng(0))),
    backends=("numpy", "numba"),
    rtol=0.0,
)
