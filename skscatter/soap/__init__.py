"""SOAP descriptors of atomic environments (Bartók, Kondor and Csányi, 2013)."""

from ._basis import gto_basis, gto_radial_functions, polynomial_basis, polynomial_radial_functions
from ._descriptor import SOAPDescriptor
from ._kernel import SOAPSumKernel

__all__ = [
    "SOAPDescriptor",
    "SOAPSumKernel",
    "gto_basis",
    "gto_radial_functions",
    "polynomial_basis",
    "polynomial_radial_functions",
]
