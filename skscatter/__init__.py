"""skscatter: invariant representations as scikit-learn transformers.

Wavelet scattering of images, with more representations (whitened patch
encodings, SOAP, solid-harmonic scattering) to come, all usable in a
:class:`sklearn.pipeline.Pipeline`.
"""

from ._config import config_context, get_config, set_config
from .scattering import ScatteringTransformer

__version__ = "0.1.0.dev0"

__all__ = ["ScatteringTransformer", "config_context", "get_config", "set_config", "__version__"]
