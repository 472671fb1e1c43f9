"""Wavelet scattering of images (2D) and of signals and time series (1D)."""

from ._transformer import ScatteringTransformer
from ._transformer_1d import Scattering1DTransformer

__all__ = ["Scattering1DTransformer", "ScatteringTransformer"]
