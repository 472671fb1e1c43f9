"""SOAP descriptors of atomic environments (Bartók, Kondor and Csányi, 2013)."""

from ._basis import gto_basis, polynomial_basis
from ._descriptor import SOAPDescriptor
from ._kernel import SOAPSumKernel

__all__ = ["SOAPDescriptor", "SOAPSumKernel", "gto_basis", "polynomial_basis"]
