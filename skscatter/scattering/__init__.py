"""Wavelet scattering of images."""

from ._transformer import ScatteringTransformer

__all__ = ["ScatteringTransformer"]
