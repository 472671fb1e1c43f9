"""
Inverting the scattering transform
==================================

``ScatteringTransformer.inverse_transform`` looks for an image whose
scattering coefficients equal given ones: starting from white noise, L-BFGS
moves the image along the exact gradient of the squared coefficient error
(``ScatteringTransformer.vjp``, the adjoint of every step of the transform).

Scattering keeps the local averages of wavelet-modulus maps and drops their
phase, and it is invariant to translations smaller than ``2**J`` pixels: the
answer is *one* image of the set that shares the coefficients.  For small
``J`` that set is small and the reconstruction looks like the original; as
``J`` grows it keeps the textures and edges but not their exact placement.

Run it as a script (``python examples/plot_scattering_inverse.py``); it needs
matplotlib (``pip install skscatter[examples]``).
"""

# %%
# Digits: ``J=1`` on 8x8 images
# ------------------------------
# 9 paths x 16 positions = 144 coefficients for 64 pixels.  The loss is not
# convex; ``inverse_transform`` restarts from fresh noise until the
# coefficient error is tiny (``n_restarts``).
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits, load_sample_image

from skscatter import ScatteringTransformer


def relative_error(est, X_hat, S):
    return np.linalg.norm(est.transform(X_hat) - S, axis=1) / np.linalg.norm(S, axis=1)


digits = load_digits().data[:4] / 16
scattering = ScatteringTransformer(J=1, L=8, shape=(8, 8)).fit(digits)
S = scattering.transform(digits)
start = time.perf_counter()
digits_hat = scattering.inverse_transform(S, random_state=0)
elapsed = time.perf_counter() - start
errors = relative_error(scattering, digits_hat, S)
print(f"digits, J=1: relative coefficient error {', '.join(f'{e:.1e}' for e in errors)} ({elapsed:.1f} s)")

fig, axes = plt.subplots(2, 4, figsize=(7, 3.6))
for i in range(4):
    axes[0, i].imshow(digits[i].reshape(8, 8), cmap="gray_r")
    axes[1, i].imshow(digits_hat[i].reshape(8, 8), cmap="gray_r")
    axes[1, i].set_title(f"error {errors[i]:.0e}", fontsize=8)
for ax in axes.ravel():
    ax.set_axis_off()
axes[0, 0].set_title("original", fontsize=8, loc="left")
fig.suptitle("Digits and images with the same scattering coefficients (J=1)")
fig.tight_layout()

# %%
# A natural image at J = 1, 2, 3
# ------------------------------
# A 32x32 grey crop of scikit-learn's sample photograph.  Each
# reconstruction gets 500 L-BFGS iterations from one noise start, a budget
# for the docs rather than convergence: the error reached is printed.
photo = load_sample_image("china.jpg").mean(axis=2)
crop = photo[100:292:6, 150:342:6] / 255.0

fig, axes = plt.subplots(1, 4, figsize=(9, 2.8))
axes[0].imshow(crop, cmap="gray")
axes[0].set_title("original", fontsize=9)
for ax, J in zip(axes[1:], (1, 2, 3)):
    est = ScatteringTransformer(J=J, L=8).fit(crop[None])
    S = est.transform(crop[None])
    start = time.perf_counter()
    crop_hat = est.inverse_transform(S, max_iter=500, n_restarts=1, random_state=0)
    elapsed = time.perf_counter() - start
    error = relative_error(est, crop_hat, S)[0]
    print(f"photo crop, J={J}: {S.shape[1]} coefficients, relative error {error:.1e} ({elapsed:.1f} s)")
    ax.imshow(crop_hat.reshape(32, 32), cmap="gray")
    ax.set_title(f"J={J}, error {error:.0e}", fontsize=9)
for ax in axes:
    ax.set_axis_off()
fig.tight_layout()
plt.show()
