"""Scattering statistics of fields and the synthesis of new fields from them.

:class:`ScatteringSpectra` summarises an image (a texture, a turbulent field)
by its scattering-spectra statistics; :func:`synthesize` draws new fields
with the statistics of examples, by moving white noise with exact gradients.
"""

from ._synthesize import synthesis_statistics_names, synthesize
from ._transformer import ScatteringSpectra

__all__ = ["ScatteringSpectra", "synthesize", "synthesis_statistics_names"]
