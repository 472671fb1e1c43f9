"""skscatter: invariant representations as scikit-learn transformers.

Wavelet scattering and whitened-patch encodings of images and solid harmonic
scattering of molecules (SOAP to come), all usable in a
:class:`sklearn.pipeline.Pipeline`.
"""

from ._config import config_context, get_config, set_config
from .harmonic import SolidHarmonicScattering, solid_harmonic_scattering_3d
from .patches import WhitenedPatchKNNEncoder
from .scattering import ScatteringTransformer

__version__ = "0.1.0.dev0"

__all__ = [
    "ScatteringTransformer",
    "SolidHarmonicScattering",
    "WhitenedPatchKNNEncoder",
    "solid_harmonic_scattering_3d",
    "config_context", "get_config", "set_config", "__version__"]
