"""
Synthesising textures and turbulence from scattering statistics
===============================================================

A field -- a texture, a turbulent flow -- is modelled by a few statistics,
and new samples are drawn by moving white noise until its statistics match
those of an example (a microcanonical maximum-entropy model). Three models,
from the weakest:

* **Gaussian**: the example's power spectrum, with random Fourier phases
  (:func:`skscatter.synthesis.gaussian_synthesis`);
* **moments**: the first and second moments of the wavelet coefficients,
  :math:`\\langle|x \\star \\psi_\\lambda|\\rangle` and
  :math:`\\langle|x \\star \\psi_\\lambda|^2\\rangle`;
* **spectra**: the scattering spectra of Cheng et al. (2024), which add the
  phase and envelope correlations across scales
  (:class:`skscatter.ScatteringSpectra`).

Each sample is compared with the example on statistics that none of the
three models fits directly: the power spectrum (the Gaussian model's own),
the histogram of pixel values (Wasserstein-1 distance, in units of the
example's standard deviation) and the kurtosis of the increments :math:`x(p + \\ell) - x(p)`
at lags 1, 2 and 4, which measure intermittency. A fresh sample of the same
field (another crop of the texture, another run of the flow) gives the floor:
how much two true samples differ.

The fields are the textures that ship with scikit-image and a 2D vorticity
field from the small Navier--Stokes solver :func:`skscatter.datasets.make_turbulence`.
The gallery runs at 64 x 64 pixels (``J=3``) to build quickly; set the
environment variable ``SKSCATTER_SYNTHESIS_SIZE=256`` for the full size
(``J=5``), whose table is in the user guide. Needs matplotlib and
scikit-image (``pip install skscatter[examples]``).

No scattering statistic fixes the histogram of pixel values. The moments and
spectra columns are drawn without any histogram constraint
(``init="gaussian", histogram_weight=0.0``), so their histogram distance
measures what the statistics alone keep. The last column is
:func:`~skscatter.synthesis.synthesize`'s default: the spectra model with
the examples' histogram of pixel values added to the loss
(``histogram_weight=0.1``, a squared 2-Wasserstein term, from
``init="marginal"``), whose histogram distance is fitted rather than
predicted; the user guide compares it with a fresh sample at full size.
"""

# %%
# The fields: an example and a fresh sample of each
# -------------------------------------------------
import os
import time

import matplotlib.pyplot as plt
import numpy as np
from skimage import data

from skscatter.datasets import make_turbulence
from skscatter.synthesis import (
    gaussian_synthesis,
    histogram_distance,
    increment_kurtosis,
    power_spectrum_error,
    synthesize,
)

SIZE = int(os.environ.get("SKSCATTER_SYNTHESIS_SIZE", 64))
J = int(np.log2(SIZE)) - 3
MAX_ITER = 300


def crop(image, row, col):
    """A 256 x 256 crop of a 512 x 512 texture, averaged down to SIZE x SIZE."""
    block = image[row : row + 256, col : col + 256].astype(float)
    k = 256 // SIZE
    return block.reshape(SIZE, k, SIZE, k).mean(axis=(1, 3))


fields = {}
for name in ("brick", "grass", "gravel"):
    image = getattr(data, name)()
    fields[name] = (crop(image, 0, 0), crop(image, 256, 256))
vorticity = make_turbulence(2, SIZE, random_state=0)
fields["turbulence"] = (vorticity[0], vorticity[1])

# %%
# Synthesis with the three models
# -------------------------------
plain = dict(init="gaussian", histogram_weight=0.0)  # the statistics alone
runs = {"moments": dict(model="moments", **plain), "spectra": dict(model="spectra", **plain), "spectra+hist": {}}
samples, timings = {}, {}
for name, (example, _) in fields.items():
    samples[name] = {"Gaussian": gaussian_synthesis(example, random_state=0)[0]}
    for model, options in runs.items():
        start = time.perf_counter()
        sample, error = synthesize(example, J=J, L=8, max_iter=MAX_ITER, random_state=0, return_error=True, **options)
        timings[name, model] = (time.perf_counter() - start, error[0])
        samples[name][model] = sample[0]
        print(f"{name:10s} {model:12s} statistics error {error[0]:.1e} in {timings[name, model][0]:.1f} s")

# %%
# What each model keeps
# ---------------------
# Power-spectrum error (RMS of the log ratio of the radial spectra),
# histogram distance, and the mean absolute difference of the increments'
# excess kurtosis at lags 1, 2, 4; the fresh sample is the floor. The
# turbulence has exactly no power above a third of the sampling frequency
# (the solver's dealiasing) and the scattering models fix only the power of
# each wavelet band, so their samples put a little power there, which the log
# ratio counts in full.
lags = (1, 2, 4)


def scores(x, example):
    _, k_x = increment_kurtosis(x, lags=lags)
    _, k_e = increment_kurtosis(example, lags=lags)
    return (
        power_spectrum_error(x, example),
        histogram_distance(x, example) / example.std(),
        float(np.mean(np.abs(k_x - k_e))),
    )


print(f"\n{'field':10s} {'model':12s} {'spectrum':>9s} {'histogram':>10s} {'kurtosis':>9s}")
table = {}
for name, (example, fresh) in fields.items():
    for model, x in [("fresh", fresh), *samples[name].items()]:
        table[name, model] = scores(x, example)
        print(f"{name:10s} {model:12s} {table[name, model][0]:9.3f} {table[name, model][1]:10.3f} {table[name, model][2]:9.2f}")

# %%
# The pictures
# ------------
columns = ["example", "fresh", "Gaussian", "moments", "spectra", "spectra+hist"]
fig, axes = plt.subplots(len(fields), len(columns), figsize=(2.2 * len(columns), 2.2 * len(fields)))
for row, (name, (example, fresh)) in enumerate(fields.items()):
    pictures = [example, fresh, *(samples[name][m] for m in columns[2:])]
    low, high = np.percentile(example, [1, 99])
    for col, picture in enumerate(pictures):
        ax = axes[row, col]
        ax.imshow(picture, cmap="RdBu_r" if name == "turbulence" else "gray", vmin=low, vmax=high)
        ax.set_axis_off()
        if row == 0:
            ax.set_title(columns[col], fontsize=9)
    axes[row, 0].text(-0.1, 0.5, name, transform=axes[row, 0].transAxes, rotation=90, va="center", ha="right")
fig.suptitle(f"Samples with the statistics of each example ({SIZE} x {SIZE}, J={J}, L=8)")
fig.tight_layout()
plt.show()
