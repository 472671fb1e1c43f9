"""Import the long examples as modules, with ``examples/`` on the path for their ``_recorded`` helper."""

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def load_example(monkeypatch):
    """``load_example("long_qm9_soap")`` imports ``examples/long_qm9_soap.py`` for the test."""

    def load(name):
        # As when run as a script, whose folder is on sys.path.
        monkeypatch.syspath_prepend(str(EXAMPLES))
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        # Registered, so that pickle finds the example's functions by module name.
        monkeypatch.setitem(sys.modules, spec.name, module)
        spec.loader.exec_module(module)
        return module

    return load
