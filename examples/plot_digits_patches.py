"""
Whitened patches and their nearest atoms on digits
==================================================

:class:`~skscatter.WhitenedPatchKNNEncoder` (Thiry et al., 2021) encodes
every small patch of an image by which atoms of a patch dictionary are its
nearest neighbours after whitening, then averages these codes over image
regions.  Here it feeds a linear classifier on scikit-learn's 8x8 digits,
and we look at the whitened dictionary and at the dimensionality of the
patches.

Run it as a script (``python examples/plot_digits_patches.py``); it needs
matplotlib.
"""

# %%
# A pipeline: patch encoding, standardisation, logistic regression
# ---------------------------------------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import WhitenedPatchKNNEncoder
from skscatter.metrics import covariance_dimension, knn_intrinsic_dimension
from skscatter.patches._extraction import extract_patches

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)

encoder = WhitenedPatchKNNEncoder(patch_size=3, n_patches=128, n_neighbors=0.4, shape=(8, 8), grid_size=2, random_state=0)
pipe = Pipeline([("patches", encoder), ("scaler", StandardScaler()), ("classifier", LogisticRegression(max_iter=2000))])
start = time.perf_counter()
pipe.fit(X_train, y_train)
print(f"fit in {time.perf_counter() - start:.2f} s, test accuracy {pipe.score(X_test, y_test):.4f}, "
      f"{len(encoder.get_feature_names_out())} features")

# %%
# The dictionary, raw and whitened
# --------------------------------
# Atoms are training patches.  Whitening flattens the patch spectrum, so
# that edges and textures weigh as much as the mean intensity.
atoms = encoder.dictionary_[:24]
whitened = (atoms - encoder.mean_) @ encoder.whitening_
fig, axes = plt.subplots(2, 24, figsize=(12, 1.3))
for k in range(24):
    axes[0, k].imshow(atoms[k].reshape(3, 3), cmap="gray_r")
    axes[1, k].imshow(whitened[k].reshape(3, 3), cmap="RdBu_r")
for ax in axes.ravel():
    ax.set_axis_off()
fig.suptitle("atoms (top) and whitened atoms (bottom)")

# %%
# How many dimensions do the patches occupy?
# ------------------------------------------
# Whitened 3x3 patches live in R^9; their covariance spectrum is flat by
# construction, while nearest-neighbour distances see fewer local dimensions.
patches = extract_patches(X_train.reshape(-1, 8, 8, 1), 3).reshape(-1, 9)
patches = patches[np.random.default_rng(0).choice(len(patches), 5000, replace=False)]
white = (patches - encoder.mean_) @ encoder.whitening_
print(f"covariance dimension: raw {covariance_dimension(patches):.2f}, whitened {covariance_dimension(white):.2f}")
print(f"nearest-neighbour dimension of whitened patches: {knn_intrinsic_dimension(white, 10):.2f}")
plt.show()
