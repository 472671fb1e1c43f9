"""Sequences of atomic structures as estimator input (see :func:`check_structures`)."""

from ._composition import SpeciesCounts
from ._input import (
    Structure,
    StructureInputMixin,
    check_species,
    check_structures,
    coincident_atoms_error,
    structures_from_padded,
)

__all__ = [
    "SpeciesCounts",
    "Structure",
    "StructureInputMixin",
    "check_species",
    "check_structures",
    "coincident_atoms_error",
    "structures_from_padded",
]
