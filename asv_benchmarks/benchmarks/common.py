"""Shared benchmark machinery, in the manner of scikit-learn's asv suite.

The profile (``fast`` or ``regular``) and the thread counts come from
``config.json`` beside this file; the environment variables
``SKSBENCH_PROFILE`` and ``SKSBENCH_N_JOBS`` (comma-separated) override them.
"""

import json
import os
from pathlib import Path


def get_config():
    """Return ``(profile, n_jobs_vals)``."""
    with open(Path(__file__).with_name("config.json")) as f:
        config = json.load(f)
    profile = os.environ.get("SKSBENCH_PROFILE", config["profile"])
    n_jobs = os.environ.get("SKSBENCH_N_JOBS")
    n_jobs_vals = [int(v) for v in n_jobs.split(",")] if n_jobs else config["n_jobs_vals"]
    return profile, n_jobs_vals


PROFILE, N_JOBS_VALS = get_config()


class Benchmark:
    """Timer settings shared by every benchmark: few, long repeats on a noisy machine."""

    timer = __import__("timeit").default_timer
    processes = 1
    repeat = (3, 10, 60.0)
    number = 1
    timeout = 600
