"""Scattering statistics of fields and the synthesis of new fields from them.

:class:`~skscatter.ScatteringSpectra` summarises an image (a texture, a turbulent field)
by its scattering-spectra statistics; :func:`synthesize` draws new fields
with the statistics of examples, by moving white noise with exact gradients;
:func:`gaussian_synthesis` is the Gaussian baseline with the same power
spectrum, and :func:`power_spectrum_error`, :func:`histogram_distance` and
:func:`increment_kurtosis` compare fields.
"""

from ._field_stats import histogram_distance, increment_kurtosis, power_spectrum_error, radial_power_spectrum
from ._gaussian import gaussian_synthesis
from ._synthesize import synthesis_statistics_names, synthesize
from ._transformer import ScatteringSpectra

__all__ = [
    "ScatteringSpectra",
    "gaussian_synthesis",
    "histogram_distance",
    "increment_kurtosis",
    "power_spectrum_error",
    "radial_power_spectrum",
    "synthesis_statistics_names",
    "synthesize",
]
