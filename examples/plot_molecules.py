"""
Molecules: densities, solid harmonic wavelets, SOAP radial bases, a learning curve
==================================================================================

What the molecule estimators look at, drawn from one small molecule
(ethanol), and how a SOAP regression of atomization energies improves with
more training molecules.

* :class:`~skscatter.SolidHarmonicScattering` turns a molecule into a
  density (a sum of Gaussians, one per atom, weighted by a charge channel)
  and filters it with solid harmonic wavelets, Gaussians times
  ``|u|^l Y_l^m``.
* :class:`~skscatter.SOAPDescriptor` expands each atom's neighbour density
  on radial functions times spherical harmonics; the radial functions are
  :func:`~skscatter.soap.gto_radial_functions` (dscribe's GTO basis, the
  default) or :func:`~skscatter.soap.polynomial_radial_functions` (Bartók's
  polynomials).

The learning curve uses QM7 when ``qm7.npz`` is found (``$SKSCATTER_DATA``
or ``../shared/data`` beside the repository); without it, a synthetic set of
distorted ethanol molecules with a pair-potential energy stands in, so the
example always runs in a few seconds.  It needs matplotlib.
"""

# %%
# One molecule as estimator input
# -------------------------------
# A structure is ``(atomic_numbers, positions)`` with positions in Ångström;
# ``ase.Atoms`` and dicts work as well.
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import sph_harm_y
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import SOAPDescriptor, SolidHarmonicScattering
from skscatter.soap import gto_basis, gto_radial_functions, polynomial_basis, polynomial_radial_functions
from skscatter.structures import structures_from_padded

numbers = np.array([6, 6, 8, 1, 1, 1, 1, 1, 1])
positions = np.array(
    [
        [-0.748, -0.015, 0.024],
        [0.558, 0.420, -0.650],
        [1.606, -0.394, -0.151],
        [-1.590, 0.547, -0.392],
        [-0.926, -1.081, -0.137],
        [-0.715, 0.160, 1.103],
        [0.524, 0.255, -1.732],
        [0.738, 1.484, -0.482],
        [1.454, -1.308, -0.450],
    ]
)
ethanol = (numbers, positions)

sh = SolidHarmonicScattering(J=2, L=3, sigma=2.0).fit([ethanol])
features = sh.transform([ethanol])
print(f"solid harmonic scattering: {features.shape[1]} invariants, e.g. {sh.get_feature_names_out()[:3]}")

# %%
# The nuclear density on a grid
# -----------------------------
# Each atom contributes a Gaussian weighted by its atomic number (the
# ``"nuclear"`` channel; ``"valence"`` and ``"core"`` split the electrons).
# Here, the density is summed on a 0.1 Å grid and shown in three planes
# through the centre of mass; the estimator builds its own grid, scaled so
# that the closest pair of atoms is 8.58 voxels apart.
sigma = 0.35  # Å, for the picture
axis = np.arange(-3.0, 3.0, 0.1)
gx, gy, gz = np.meshgrid(axis, axis, axis, indexing="ij")
centred = positions - positions.mean(axis=0)
density = np.zeros_like(gx)
for z, (x0, y0, z0) in zip(numbers, centred):
    density += z * np.exp(-((gx - x0) ** 2 + (gy - y0) ** 2 + (gz - z0) ** 2) / (2 * sigma**2))
density /= (2 * np.pi * sigma**2) ** 1.5
mid = len(axis) // 2
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
for ax, plane, title in zip(
    axes, (density[:, :, mid], density[:, mid, :], density[mid, :, :]), ("z = 0", "y = 0", "x = 0")
):
    ax.imshow(plane.T, origin="lower", extent=(axis[0], axis[-1], axis[0], axis[-1]), cmap="viridis")
    ax.set_title(f"nuclear density, {title}")
    ax.set_xlabel("Å")
fig.tight_layout()

# %%
# Solid harmonic wavelets
# -----------------------
# ``psi_{l,m}(u) = |u|^l Y_l^m(u / |u|) exp(-|u|^2 / (2 sigma^2))``, real
# parts in the plane ``y = 0``.  Degree ``l`` counts the sign changes around
# the origin; scale ``j`` widens the Gaussian by ``2**j``.  Summing the
# squared responses over ``m`` makes the first-order invariants blind to
# rotations.
ax_plane = np.linspace(-4, 4, 161)
px, pz = np.meshgrid(ax_plane, ax_plane, indexing="xy")
radius = np.hypot(px, pz)
polar = np.arccos(np.divide(pz, radius, out=np.ones_like(pz), where=radius > 0))
azimuth = np.where(px >= 0, 0.0, np.pi)
degrees = [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2), (3, 0), (3, 2)]
fig, axes = plt.subplots(2, len(degrees), figsize=(13, 3.6))
for row, j in enumerate((0, 1)):
    width = 1.0 * 2**j
    for ax, (l, m) in zip(axes[row], degrees):
        wave = radius**l * sph_harm_y(l, m, polar, azimuth).real * np.exp(-(radius**2) / (2 * width**2))
        limit = np.abs(wave).max()
        ax.imshow(wave, origin="lower", cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"j={j} l={l} m={m}", fontsize=8)
        ax.set_axis_off()
fig.suptitle("solid harmonic wavelets (plane y = 0)")

# %%
# SOAP radial basis functions
# ---------------------------
# The neighbour density of each atom is projected on ``g_nl(r) Y_lm``.  The
# GTO functions change with the degree ``l``; Bartók's polynomials are the
# same for every ``l`` and vanish smoothly at ``r_cut``.  Both are
# orthonormal with weight ``r^2``.
r_cut, n_max = 5.0, 6
r = np.linspace(0, 6, 600)
alphas, betas = gto_basis(r_cut, n_max, 2)
W = polynomial_basis(r_cut, n_max)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), sharey=True)
for ax, l in zip(axes[:2], (0, 2)):
    ax.plot(r, (gto_radial_functions(r, alphas, betas, l) * r).T)
    ax.set_title(f"GTO basis, l = {l}: r g_nl(r)")
axes[2].plot(r, (polynomial_radial_functions(r, r_cut, W) * r).T)
axes[2].set_title("polynomial basis: r g_n(r)")
for ax in axes:
    ax.axvline(r_cut, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("r (Å)")
fig.tight_layout()


# %%
# A learning curve
# ----------------
# Summed SOAP power spectra, standardised, then ``RidgeCV``: a sum of atomic
# energies linear in the power spectrum.  ``species=`` is given explicitly,
# so that every cross-validation fold describes the same elements.
def find_qm7():
    """``qm7.npz`` from ``$SKSCATTER_DATA`` or ``../shared/data`` beside the repository, or None."""
    try:
        here = Path(__file__).resolve().parent
    except NameError:  # run interactively
        here = Path.cwd()
    for root in (os.environ.get("SKSCATTER_DATA"), here.parent.parent / "shared" / "data"):
        if root and (Path(root) / "qm7.npz").is_file():
            return Path(root) / "qm7.npz"
    return None


def synthetic_set(n, rng):
    """Distorted ethanol molecules; energy a Morse sum over pairs (kcal/mol-like scale)."""
    structures, energies = [], []
    for _ in range(n):
        pos = positions + rng.normal(scale=0.12, size=positions.shape)
        d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)[np.triu_indices(len(pos), 1)]
        structures.append((numbers, pos))
        energies.append(100 * ((1 - np.exp(-1.5 * (d - 1.3))) ** 2 - 1).sum())
    return structures, np.array(energies)


rng = np.random.default_rng(0)
path = find_qm7()
if path is not None:
    data = np.load(path)
    pick = rng.permutation(len(data["T"]))[:1500]
    X_all = structures_from_padded(data["Z"][pick], data["R"][pick])
    y_all = data["T"][pick].astype(np.float64)
    species, label = [1, 6, 7, 8, 16], "QM7 atomization energy"
else:
    X_all, y_all = synthetic_set(1500, rng)
    species, label = [1, 6, 8], "synthetic ethanol set (qm7.npz not found)"
X_test, y_test = X_all[1000:], y_all[1000:]
sizes = [50, 100, 200, 400, 1000]
maes = []
for n in sizes:
    model = make_pipeline(
        SOAPDescriptor(species=species, r_cut=4.0, n_max=4, l_max=3, sigma=0.5),
        StandardScaler(),
        RidgeCV(alphas=10.0 ** np.arange(-4, 3)),
    )
    model.fit(X_all[:n], y_all[:n])
    maes.append(np.abs(model.predict(X_test) - y_test).mean())
    print(f"{n:5d} training molecules: held-out MAE {maes[-1]:.2f} kcal/mol")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.loglog(sizes, maes, "o-")
ax.set_xlabel("training molecules")
ax.set_ylabel("held-out MAE (kcal/mol)")
ax.set_title(label, fontsize=9)
fig.tight_layout()
plt.show()
