"""SpeciesCounts in the contract suite."""

from skscatter import SpeciesCounts

from ..registry import Spec
from .soap import molecules

SPEC = Spec(
    cls=SpeciesCounts,
    params=dict(),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(species=(1, 6, 7, 8)),
)
