"""skscatter: invariant representations as scikit-learn transformers.

Wavelet scattering of signals and images, whitened-patch encodings of images; SOAP and solid
harmonic scattering of molecules; all usable in a
:class:`sklearn.pipeline.Pipeline`.
"""

from ._config import config_context, get_config, set_config
from .harmonic import SolidHarmonicScattering, solid_harmonic_scattering_3d
from .patches import WhitenedPatchKNNEncoder
from .scattering import Scattering1DTransformer, ScatteringTransformer
from .soap import SOAPDescriptor, SOAPSumKernel
from .structures import SpeciesCounts
from .synthesis import ScatteringSpectra

__version__ = "0.1.0.dev0"

__all__ = [
    "SOAPDescriptor",
    "SOAPSumKernel",
    "Scattering1DTransformer",
    "ScatteringSpectra",
    "ScatteringTransformer",
    "SolidHarmonicScattering",
    "SpeciesCounts",
    "WhitenedPatchKNNEncoder",
    "config_context",
    "get_config",
    "set_config",
    "solid_harmonic_scattering_3d",
    "__version__",
]
