"""
Scattering features of handwritten digits
==========================================

The 2D scattering transform builds translation-invariant, deformation-stable
features from a fixed bank of Morlet wavelets. Here it feeds a linear
classifier on scikit-learn's 8x8 digits, inside a plain ``Pipeline``, and we
look at the filters and at the features of one digit.

Run it as a script (``python examples/plot_digits_scattering.py``); it needs
matplotlib (``pip install skscatter[examples]``).
"""

# %%
# A pipeline: scattering, standardisation, logistic regression
# -------------------------------------------------------------
# ``J=1`` averages over 2x2 pixels, which is all an 8x8 image affords;
# ``L=8`` orientations.  The scattering transform has nothing to learn:
# ``fit`` only records the image layout and fetches the cached filters.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import ScatteringTransformer

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

pipe = Pipeline(
    [
        ("scattering", ScatteringTransformer(J=1, L=8, shape=(8, 8))),
        ("scaler", StandardScaler()),
        ("classifier", LogisticRegression(max_iter=2000)),
    ]
)
start = time.perf_counter()
pipe.fit(X_train, y_train)
print(f"fit in {time.perf_counter() - start:.2f} s, test accuracy {pipe.score(X_test, y_test):.4f}")

scattering = pipe.named_steps["scattering"]
print(f"{scattering.n_paths_} paths x {scattering.output_shape_} positions = "
      f"{len(scattering.get_feature_names_out())} features")

# %%
# The filter bank
# ---------------
# ``filters_`` holds the Fourier-domain filters of the padded grid.  Back in
# space, each wavelet is an oriented Gabor-like filter with zero mean;
# larger ``j`` means a wider filter tuned to a lower frequency.  We build a
# J=3 bank on a 32x32 image to see three scales.
bank = ScatteringTransformer(J=3, L=8, shape=(32, 32)).fit(np.zeros((1, 1024))).filters_
J, L = bank.J, bank.L
fig, axes = plt.subplots(J, L + 1, figsize=(1.4 * (L + 1), 1.5 * J))
for j in range(J):
    for theta in range(L):
        psi = np.fft.fftshift(np.fft.ifft2(bank.psi[0][j * L + theta]).real)[12:-12, 12:-12]
        limit = np.abs(psi).max()
        axes[j, theta].imshow(psi, cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[j, theta].set_title(f"j={j} θ={theta}", fontsize=7)
    axes[j, L].imshow(np.fft.fftshift(bank.psi[0][j * L]), cmap="viridis")
    axes[j, L].set_title(f"|ψ̂| j={j}, θ=0", fontsize=7)
for ax in axes.ravel():
    ax.set_axis_off()
fig.suptitle("Morlet wavelets in space (real part), and one in Fourier")
fig.tight_layout()

# %%
# Littlewood-Paley sum
# --------------------
# Adding the squared Fourier moduli of all filters (both orientations of
# each wavelet, since images are real) shows how the bank tiles the plane:
# close to 1 where the wavelets live, lower near the highest frequencies.
psi = bank.psi[0]
mirrored = np.roll(psi[:, ::-1, ::-1], 1, axis=(-2, -1))
lp = bank.phi[0] ** 2 + 0.5 * (psi**2 + mirrored**2).sum(axis=0)
fig, ax = plt.subplots(figsize=(4, 3.5))
image = ax.imshow(np.fft.fftshift(lp), extent=(-np.pi, np.pi, np.pi, -np.pi))
ax.set_title("Littlewood-Paley sum A(ω)")
fig.colorbar(image)

# %%
# Features of one digit
# ---------------------
# First-order coefficients: each 4x4 map is the energy of the digit in one
# orientation band, averaged over 2x2 pixels.
maps = scattering.transform(X_test[:1]).reshape(scattering.n_paths_, *scattering.output_shape_)
fig, axes = plt.subplots(1, L + 2, figsize=(1.3 * (L + 2), 1.6))
axes[0].imshow(X_test[0].reshape(8, 8), cmap="gray_r")
axes[0].set_title("digit", fontsize=8)
axes[1].imshow(maps[0], cmap="gray_r")
axes[1].set_title("S0", fontsize=8)
for theta in range(L):
    axes[theta + 2].imshow(maps[1 + theta], cmap="magma")
    axes[theta + 2].set_title(f"S1 θ={theta}", fontsize=8)
for ax in axes:
    ax.set_axis_off()
plt.show()
