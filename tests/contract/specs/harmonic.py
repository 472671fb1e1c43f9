"""SolidHarmonicScattering in the contract suite."""

from skscatter import SolidHarmonicScattering

from ..registry import Spec
from .soap import molecules

SPEC = Spec(
    cls=SolidHarmonicScattering,
    params=dict(J=1, L=2, sigma=1.5, integral_powers=(0.5, 1.0, 2.0), channels=("nuclear", "valence")),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(),
    backends=("numpy", "numba"),
    rtol=1e-10,
)
