"""Whitened-patch encodings of images."""

from ._encoder import WhitenedPatchKNNEncoder

__all__ = ["WhitenedPatchKNNEncoder"]
