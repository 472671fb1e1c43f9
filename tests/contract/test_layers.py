"""The layering of the package, read from its import statements.

estimator -> method core -> one dispatcher in ``_kernels/`` -> numba / cupy
twins.  ``_kernels`` is a leaf (it imports nothing of skscatter but
itself, ``_backend`` and ``_config``); everything else reaches kernels only
through the public dispatcher modules of ``_kernels`` (no underscore);
``utils`` serves every method and imports none.
"""

import ast
from pathlib import Path

import pytest

import skscatter

PACKAGE = Path(skscatter.__file__).parent
METHOD_PACKAGES = ("scattering", "patches", "soap", "harmonic", "structures")


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Absolute names of the skscatter modules (or module attributes) a file imports."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith("skscatter")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.startswith("skscatter"):
                # "from . import _x" imports the module _x: keep the name.
                out += [f"{origin}.{a.name}" for a in node.names]
    return module, out


MODULES = dict(_imports(p) for p in sorted(PACKAGE.rglob("*.py")))


def _is_private_kernel(name):
    parts = name.split(".")
    return len(parts) >= 3 and parts[1] == "_kernels" and parts[2].startswith("_")


def test_the_import_graph_was_read():
    assert "skscatter._kernels.knn" in MODULES and "skscatter.scattering._transformer" in MODULES
    assert any(name.startswith("skscatter._kernels") for name in MODULES["skscatter.patches._encoder"])


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("skscatter._kernels")))
def test_kernels_import_no_method_package(module):
    allowed = ("skscatter._kernels", "skscatter._backend", "skscatter._config")
    bad = [name for name in MODULES[module] if not name.startswith(allowed)]
    assert not bad, f"{module} imports {bad}: _kernels is a leaf; pass what the kernels need as arrays"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("skscatter._kernels")))
def test_nothing_outside_kernels_imports_a_private_kernel_module(module):
    bad = [name for name in MODULES[module] if _is_private_kernel(name)]
    assert not bad, f"{module} imports {bad}: go through the dispatcher in skscatter._kernels"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(("skscatter.utils", "skscatter._"))))
def test_shared_modules_import_no_method_package(module):
    if module.startswith("skscatter._kernels"):
        return
    bad = [n for n in MODULES[module] if n.split(".")[1] in METHOD_PACKAGES]
    assert not bad, f"{module} imports {bad}: shared code may not depend on a method"


def test_the_layer_rules_fail_on_a_violation():
    # The checks above must be able to fail: a back-arrow and a private
    # import, written the ways the package writes imports, are caught.
    assert _is_private_kernel("skscatter._kernels._soap_numba.power_spectrum")
    assert not _is_private_kernel("skscatter._kernels.soap.power_spectrum")
    fake = PACKAGE / "_kernels" / "fourier.py"
    module, _ = _imports(fake)
    assert module == "skscatter._kernels.fourier"


def _compares_backend_with_auto(tree):
    def is_backend(node):
        return (isinstance(node, ast.Name) and node.id == "backend") or (
            isinstance(node, ast.Attribute) and node.attr == "backend"
        )

    def is_auto(node):
        return isinstance(node, ast.Constant) and node.value == "auto"

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(is_backend, sides)) and any(map(is_auto, sides)):
                return node.lineno
    return None


@pytest.mark.parametrize(
    "path", sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_backend.py"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_only_the_resolver_interprets_backend_auto(path):
    line = _compares_backend_with_auto(ast.parse(path.read_text()))
    assert line is None, f"{path}:{line} interprets backend='auto' itself; call skscatter._backend.resolve_backend"


def test_the_auto_rule_catches_a_comparison():
    assert _compares_backend_with_auto(ast.parse("x = 'numba' if self.backend == 'auto' else self.backend"))
    assert not _compares_backend_with_auto(ast.parse("x = self.method == 'auto'"))
