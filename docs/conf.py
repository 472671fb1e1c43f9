"""Sphinx configuration for skscatter.

Build: ``pip install -e ".[docs]"`` then
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

The build is offline by default: the intersphinx inventories of Python,
NumPy, SciPy, scikit-learn and joblib are fetched only when
``SKSCATTER_DOCS_INTERSPHINX=1``, so that a machine without internet access
(CI here) builds with warnings as errors; without them, references to those
projects render as plain code.
"""

import os
import sys
from pathlib import Path

import skscatter

# recorded_figures.py (the long examples' figures) sits beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "skscatter"
author = "skscatter developers"
copyright = "2026, skscatter developers"
release = version = skscatter.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]
autosummary_generate = True
# The class template (_templates/autosummary/class.rst) lists the methods;
# numpydoc's own member tables would list them a second time.
numpydoc_show_class_members = False
# Entries that numpydoc cannot resolve are plain text, not dead links.
numpydoc_xref_param_type = False
autodoc_default_options = {"members": True, "inherited-members": False}
templates_path = ["_templates"]
exclude_patterns = ["_build", "benchmarks/*.json", "recorded/*.json"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}

if os.environ.get("SKSCATTER_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable", None),
    }

# Every cross-reference must resolve (-n): a reference to a private module
# or a renamed function is an error, not dead text.  Without the
# inventories, references to the other projects cannot resolve and are
# left as plain code.
nitpicky = True
nitpick_ignore_regex = [
    # numpydoc parameter types written in words ("array-like of shape ...").
    (r"py:.*", r"(array-like|ndarray|of|shape|default|optional|callable|or|None|True|False)"),
]
if "sphinx.ext.intersphinx" not in extensions:
    nitpick_ignore_regex.append((r"py:.*", r"(sklearn|joblib|numpy|scipy|ase|dask|distributed|cupy|tqdm)(\..*)?"))

# Figures of docs/benchmarks.rst are drawn at build time from the result
# files in docs/benchmarks/ (``.. plot::`` directives); those of the long
# examples' pages from docs/recorded/ by ``plot_recorded`` (imported below
# from recorded_figures.py, which finds its files by its own location: the
# directives in the generated auto_examples/*.rst run in that folder).
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_pre_code = """
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from recorded_figures import plot_recorded


def plot_runs(name, field="ratio_to_peer", configs=None, xlabel=None):
    # One bar per run and configuration, from docs/benchmarks/<name>.json
    # (written by asv_benchmarks/<name>.py --json, or transcribed).
    record = json.loads(Path("benchmarks", name + ".json").read_text())
    runs = record["runs"]
    configs = configs or [c for c in runs[0]["results"] if runs[0]["results"][c].get(field)]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(configs) * len(runs) ** 0.5 + 1.2))
    height = 0.8 / len(runs)
    for k, run in enumerate(runs):
        values = [run["results"].get(c, {}).get(field) or 0.0 for c in configs]
        ax.barh(np.arange(len(configs)) + k * height, values, height, label=run["label"])
    ax.set_yticks(np.arange(len(configs)) + 0.4 - height / 2, configs, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel or (record["unit"] if field == "rate" else "speed-up over the peer, same run"))
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
"""

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "doc_module": "skscatter",
    # Only plot_* run during the build (seconds, data shipped with
    # scikit-learn or made by skscatter); long_* need the real datasets and
    # hours of CPU, so they are rendered, with the output recorded in their
    # text, but not executed.
    "filename_pattern": r"/plot_",
    # _recorded.py is the long examples' --json helper, not an example.
    "ignore_pattern": r"__init__\.py|gpu_|_recorded\.py",
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
}


def _skip_metadata_requests(app, what, name, obj, skip, options):
    # scikit-learn generates set_{method}_request for methods with extra
    # keyword arguments (e.g. inverse_transform's max_iter); they belong to
    # its metadata routing, documented there, not to our API.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
