"""Linear models fitted on features too large to copy (float16 codes, memory maps)."""

from ._block_ridge import BlockRidgeClassifier
from ._factored import FactoredLinearClassifier

__all__ = ["BlockRidgeClassifier", "FactoredLinearClassifier"]
