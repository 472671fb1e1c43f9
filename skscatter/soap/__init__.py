"""SOAP descriptors of atomic environments (Bartók, Kondor and Csányi, 2013)."""

from ._basis import gto_basis
from ._descriptor import SOAPDescriptor

__all__ = ["SOAPDescriptor", "gto_basis"]
