import os
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.fft
from hypothesis import HealthCheck, settings

from skscatter._backend import cupy_available

REPO = Path(__file__).resolve().parents[1]

# Hypothesis profiles: "ci" (the default) keeps the suite to minutes; run
# "thorough" on demand (SKSCATTER_HYPOTHESIS_PROFILE=thorough, or pytest
# --hypothesis-profile=thorough) for 1,000 examples per property.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("ci", max_examples=20, deadline=None, derandomize=True, suppress_health_check=_SLOW_OK)
settings.register_profile("thorough", max_examples=1000, deadline=None, suppress_health_check=_SLOW_OK)
settings.load_profile(os.environ.get("SKSCATTER_HYPOTHESIS_PROFILE", "ci"))


def shared_data_dir():
    """../shared/data beside the repository, or $SKSCATTER_DATA."""
    return Path(os.environ.get("SKSCATTER_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set SKSCATTER_DATA)")
    return path


@pytest.fixture
def global_random_seed():
    """A fixed seed by default; SKSCATTER_TESTS_SEED changes it."""
    return int(os.environ.get("SKSCATTER_TESTS_SEED", "42"))


def pytest_collection_modifyitems(config, items):
    if cupy_available():
        return
    skip = pytest.mark.skip(reason="needs cupy and a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _print_options():
    with np.printoptions(precision=4, suppress=True):
        yield


@pytest.fixture
def plans(monkeypatch):
    """Every ExecutionPlan that transforms run during the test, recorded in order."""
    from skscatter.utils._parallel import ExecutionPlan

    seen = []
    run = ExecutionPlan.run

    def recording_run(self, *args, **kwargs):
        seen.append(self)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(ExecutionPlan, "run", recording_run)
    return seen


# -- a cupy stand-in computing with NumPy on the CPU (the GPU code paths without a GPU)


class _FakeDeviceArray(np.ndarray):
    """Stands for cupy.ndarray: a NumPy array that must be fetched with .get()."""

    def get(self):
        return np.asarray(self).copy()


class _FakeDevice:
    id = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install modules named cupy / cupyx.scipy.fft that compute with NumPy on the CPU."""
    cupy = types.ModuleType("cupy")
    cupy.__getattr__ = lambda name: getattr(np, name)
    cupy.ndarray = _FakeDeviceArray
    # A copy, as a transfer to the device is.
    cupy.asarray = lambda a, dtype=None: np.array(a, dtype=dtype).view(_FakeDeviceArray)
    cupy.empty = lambda *args, **kwargs: np.empty(*args, **kwargs).view(_FakeDeviceArray)
    cupy.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1, memGetInfo=lambda: (2**30, 2**31)),
        Device=lambda *args: _FakeDevice(),
    )
    cupyx = types.ModuleType("cupyx")
    cupyx_scipy = types.ModuleType("cupyx.scipy")
    cupyx_scipy.fft = scipy.fft
    cupyx.scipy = cupyx_scipy
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    monkeypatch.setitem(sys.modules, "cupyx.scipy", cupyx_scipy)
    monkeypatch.setitem(sys.modules, "cupyx.scipy.fft", scipy.fft)
    monkeypatch.delenv("SKSCATTER_DISABLE_CUPY", raising=False)
    from skscatter.scattering import _filter_bank

    _filter_bank._DEVICE_BANKS.clear()
    yield cupy
    _filter_bank._DEVICE_BANKS.clear()
