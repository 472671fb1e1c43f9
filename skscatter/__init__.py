"""skscatter: invariant representations as scikit-learn transformers.

Wavelet scattering and whitened-patch encodings of images, with molecular
representations (SOAP, solid-harmonic scattering) to come, all usable in a
:class:`sklearn.pipeline.Pipeline`.
"""

from ._config import config_context, get_config, set_config
from .patches import WhitenedPatchKNNEncoder
from .scattering import ScatteringTransformer

__version__ = "0.1.0.dev0"

__all__ = ["ScatteringTransformer", "WhitenedPatchKNNEncoder", "config_context", "get_config", "set_config", "__version__"]
