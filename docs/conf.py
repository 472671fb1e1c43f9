"""Sphinx configuration for skscatter (build: ``pip install -e .[docs]`` then
``python -m sphinx -b html docs docs/_build/html``)."""

import skscatter

project = "skscatter"
author = "skscatter developers"
release = version = skscatter.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
numpydoc_show_class_members = False
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "joblib": ("https://joblib.readthedocs.io/en/stable", None),
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "doc_module": "skscatter",
    # plot_* run during the build; long_* (real datasets) and gpu_* are only rendered.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"long_|gpu_",
}
