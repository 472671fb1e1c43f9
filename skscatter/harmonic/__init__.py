"""3D solid harmonic wavelet scattering (Eickenberg et al., 2017, 2018)."""

from ._core import scattering_3d_layout, solid_harmonic_scattering_3d
from ._transformer import SolidHarmonicScattering

__all__ = ["SolidHarmonicScattering", "scattering_3d_layout", "solid_harmonic_scattering_3d"]
