"""The small JSON result file that the comparison scripts write with ``--json PATH``.

Each run records what ran (the command line, the script's settings), when
and where (date, git commit, CPU count), and one entry per configuration
with the rate it measured (and its speed-up over the peer of the same run);
runs of one comparison accumulate in one file.  ``docs/benchmarks.rst`` draws its
figures from such files in ``docs/benchmarks/``; records transcribed from
earlier runs carry the same fields, with ``provenance`` saying where the
figures were taken from.
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


def git_commit():
    """The repository's HEAD commit, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip()


def write_result_file(path, *, benchmark, settings, unit, results, label=None, argv=None):
    """Add one run's results to the JSON file ``path`` and return the file's record.

    The file holds ``{"benchmark", "unit", "runs": [...]}``; a run already
    there is kept, so one file collects the runs of one comparison (for
    instance alternated runs of two versions).  ``results`` maps a
    configuration name to a dict with ``"rate"`` (in ``unit``, larger is
    faster) and, where the peer ran in the same process, ``"ratio_to_peer"``
    (the peer's time over ours); other measured values may sit beside them.
    """
    argv = sys.argv if argv is None else argv
    path = Path(path)
    record = json.loads(path.read_text()) if path.exists() else {"benchmark": benchmark, "unit": unit, "runs": []}
    if record.get("benchmark") != benchmark or record.get("unit") != unit:
        raise ValueError(
            f"{path} holds {record.get('benchmark')!r} results in {record.get('unit')!r}, not {benchmark!r} in {unit!r}; "
            "give another --json path."
        )
    commit = git_commit()
    record["runs"].append(
        {
            "label": label or f"commit {commit}",
            "command": "python " + " ".join(shlex.quote(a) for a in argv),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "commit": commit,
            "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()},
            "provenance": "written by the script at the end of the run",
            "settings": settings,
            "results": results,
        }
    )
    path.write_text(json.dumps(record, indent=1) + "\n")
    return record
