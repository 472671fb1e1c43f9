import os
from pathlib import Path

import numpy as np
import pytest
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
