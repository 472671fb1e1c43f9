"""Parameters the common-check suite uses for each public estimator.

sklearn's checks feed tiny images (1 x 2 up to 1 x 10 pixels); ``J=1`` is the
largest scale such images admit (``J=2`` needs 4 pixels along one axis and is
rejected with a clear error, tested separately), and patches must be 1 pixel.
"""

from ..harmonic import SolidHarmonicScattering
from ..patches import WhitenedPatchKNNEncoder
from ..scattering import ScatteringTransformer
from ..soap import SOAPDescriptor, SOAPSumKernel
from ..structures import SpeciesCounts

INIT_PARAMS = {
    ScatteringTransformer: [dict(J=1), dict(J=1, L=3, backend="numpy"), dict(J=1, output="mean", log=True)],
    # Patches of one pixel: the checks' images are as small as 1 x 2.
    WhitenedPatchKNNEncoder: [
        dict(patch_size=1, n_patches=2, n_neighbors=1, random_state=0),
        dict(patch_size=1, n_patches=2, n_neighbors=1, whitening_reg=None, negative=False, backend="numpy", random_state=0),
    ],
}


# Estimators whose X is a sequence of structures: sklearn's checks feed arrays,
# so only its data-free checks apply (tests/test_common.py); their data
# behaviour is tested in their own modules.
STRUCTURE_ESTIMATORS = (SOAPDescriptor, SOAPSumKernel, SolidHarmonicScattering, SpeciesCounts)


def estimators_to_check():
    """Yield an instance of each public estimator for each parameter set."""
    for cls, param_sets in INIT_PARAMS.items():
        for params in param_sets:
            yield cls(**params)
