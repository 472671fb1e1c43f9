"""Linear models fitted on features too large to copy (float16 codes, memory maps)."""

from ._block_ridge import BlockRidgeClassifier

__all__ = ["BlockRidgeClassifier"]
