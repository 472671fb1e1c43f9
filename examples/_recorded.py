"""The small JSON result file that the long examples write with ``--json PATH``.

Not an example: a helper that ``long_*.py`` import (the documentation build
skips it).  One file holds one run of one example: what ran (the command
line and the example's settings), when and where (date, the git commit
at the start of the run, CPU count), the scalar results, and the series the documentation draws:

``learning_curves``
    ``{"x", "metric", "unit", "curves": {label: {"n_train": [...], "value": [...]}}}``
``selection``
    ``{"metric", "unit", "split", "parameter", "rows": [{"label", "value", "x", "group"}], "chosen"}``
    (``x`` and ``group`` only where the rows vary one numeric parameter)
``throughput``
    ``{"tasks": {task: {"unit", "n", "runs": {configuration: {"seconds", "rate"}}}}}``

The figures of the long examples' pages are drawn from these files in
``docs/recorded/`` when the documentation is built
(``docs/recorded_figures.py``), so running an example with
``--json docs/recorded/<example>.json`` refreshes its figure.  The files
committed there were transcribed from the examples' recorded output; their
``provenance`` field says from where.
"""

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SERIES = ("learning_curves", "selection", "throughput")


def git_commit():
    """The repository's HEAD commit, ``+dirty`` if tracked files differ from it; None outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                                 capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if changed else "")


# The code that runs is the code of the commit at the start: a long run
# outlives commits made beside it, so the commit is read when the example
# imports this module, not when it writes its record.
COMMIT_AT_START = git_commit()


def write_recorded(path, example, *, settings, results, argv=None, **series):
    """Write one run of ``example`` to the JSON file ``path`` (replacing it) and return the record.

    ``settings`` are the run's parameters, ``results`` its scalar results
    (a flat dict of numbers or strings); ``series`` may hold
    ``learning_curves``, ``selection`` and ``throughput`` in the layouts of
    the module docstring.  ``argv`` are the example's arguments
    (``sys.argv[1:]`` when None, as when run as a script); the command is
    recorded as ``python examples/<example>.py ARGS``.  A run replaces the
    file: the figure shows the latest run, and the file's history is the
    repository's.
    """
    unknown = set(series) - set(SERIES)
    if unknown:
        raise ValueError(f"write_recorded got series {sorted(unknown)}; the documented ones are {list(SERIES)}.")
    argv = sys.argv[1:] if argv is None else argv
    record = {
        "example": example,
        "command": " ".join(["python", f"examples/{example}.py", *(shlex.quote(str(a)) for a in argv)]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "commit": COMMIT_AT_START,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
        "provenance": "written by the example at the end of the run (--json)",
        "settings": settings,
        "results": results,
    }
    record.update({name: value for name, value in series.items() if value is not None})
    Path(path).write_text(json.dumps(record, indent=1) + "\n")
    return record
