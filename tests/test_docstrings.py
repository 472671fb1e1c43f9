"""numpydoc validation of every public docstring.

The public API is ``skscatter.__all__`` plus the ``__all__`` of the public
subpackages; for classes, also the public methods they define (methods
inherited from scikit-learn are scikit-learn's to document).  Skipped when
numpydoc is not installed (it comes with the ``docs`` extra).
"""

import importlib
import inspect

import pytest

validate = pytest.importorskip("numpydoc.validate").validate

PUBLIC_MODULES = [
    "skscatter",
    "skscatter.datasets",
    "skscatter.parallel",
    "skscatter.harmonic",
    "skscatter.linear_model",
    "skscatter.metrics",
    "skscatter.patches",
    "skscatter.scattering",
    "skscatter.soap",
    "skscatter.structures",
    "skscatter.synthesis",
]

# Checks left out, and why:
# - SA01 (no See Also section), ES01 (no extended summary): optional
#   sections; short helpers and methods say all in their summary, and the
#   user guide links related objects.
# - RT02 (Returns line holds only a type): we name what is returned
#   (``X_new : ndarray of shape ...``), as scikit-learn does.
IGNORED = {"SA01", "ES01", "RT02"}
# Methods are shown in their class's example (EX01: no Examples section).
IGNORED_FOR_METHODS = IGNORED | {"EX01"}


def public_functions_and_methods():
    """Import paths of every public class, function and method, with whether it is a method."""
    seen = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None)
        if names is None:  # a module without __all__: what it defines without a leading underscore
            names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None) == name]
        for attr in names:
            obj = getattr(module, attr)
            if not callable(obj):
                continue
            path = f"{obj.__module__}.{obj.__qualname__}"
            seen[path] = False
            if inspect.isclass(obj):
                for method, value in vars(obj).items():
                    if not method.startswith("_") and callable(value):
                        seen[f"{path}.{method}"] = True
    return sorted(seen.items())


PUBLIC = public_functions_and_methods()


def test_public_api_is_found():
    # The walk must see the estimators and their methods, or every
    # parametrised case below would pass vacuously.
    paths = {path for path, _ in PUBLIC}
    assert "skscatter.soap._descriptor.SOAPDescriptor.transform_atoms" in paths
    assert "skscatter.scattering._transformer.ScatteringTransformer.get_feature_names_out" in paths
    assert "skscatter.metrics.knn_intrinsic_dimension" in paths


@pytest.mark.parametrize("path, is_method", PUBLIC, ids=[path for path, _ in PUBLIC])
def test_docstring_is_valid(path, is_method):
    ignored = IGNORED_FOR_METHODS if is_method else IGNORED
    errors = [f"{code}: {message}" for code, message in validate(path)["errors"] if code not in ignored]
    assert not errors, f"{path}:\n" + "\n".join(errors)
