"""Figures of the long examples, drawn at build time from ``docs/recorded/<example>.json``.

The files are written by ``python examples/long_<name>.py ... --json
docs/recorded/long_<name>.json`` (``examples/_recorded.py`` documents the
layout) or transcribed from the examples' recorded output.  ``docs/conf.py``
imports :func:`plot_recorded` into the ``.. plot::`` directives' namespace;
the directives sit in the examples' "Recorded output" sections.
"""

import json
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

RECORDED = Path(__file__).resolve().parent / "recorded"
# A curve of one or two points is a figure of nothing: those stay in the text.
MIN_CURVE_POINTS = 3


def load_recorded(name, folder=None):
    """The record of example ``name`` (e.g. ``"long_qm9_soap"``)."""
    return json.loads((Path(folder or RECORDED) / f"{name}.json").read_text())


def _plain_log_ticks(axis, values):
    # Log axes label the recorded sizes themselves (1000, 2000, ...), not powers of ten.
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())
    axis.set_ticks(sorted(set(values)))


def _wrap(text, width=40):
    return "\n".join(textwrap.wrap(text, width))


def plot_learning_curves(record, ax):
    """Held-out error against the training-set size, log-x; curves with fewer than 3 points are left out."""
    spec = record["learning_curves"]
    sizes = []
    for label, curve in spec["curves"].items():
        if len(curve["n_train"]) < MIN_CURVE_POINTS:
            continue
        ax.plot(curve["n_train"], curve["value"], "o-", label=label)
        sizes += curve["n_train"]
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis, sizes)
    ax.set_xlabel(f"{spec['x']} (log scale)")
    ax.set_ylabel(_wrap(f"{spec['metric']} ({spec['unit']})"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_selection(record, ax):
    """Held-out score of each setting; the chosen one filled in red.

    Rows that all vary one numeric parameter (``x``) are drawn as lines
    against it on a log axis, one per ``group``; other grids as one labelled
    row per setting.
    """
    spec = record["selection"]
    rows = spec["rows"]
    chosen = spec.get("chosen")
    # Accuracies are stored as recorded (fractions) and drawn in per cent.
    scale, unit = (100.0, "%") if spec["unit"] == "fraction" else (1.0, spec["unit"])
    if all(r.get("x") is not None for r in rows):
        groups = {}
        for r in rows:
            groups.setdefault(r.get("group") or "", []).append(r)
        for group, members in groups.items():
            x = [r["x"] for r in members]
            ax.plot(x, [scale * r["value"] for r in members], "o-", label=group or None)
        for r in rows:
            if r["label"] == chosen:
                ax.plot(r["x"], scale * r["value"], "*", color="tab:red", markersize=14, label=f"chosen: {chosen}")
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis, [r["x"] for r in rows])
        ax.set_xlabel(f"{spec['parameter']} (log scale)")
        ax.set_ylabel(_wrap(f"{spec['metric']} ({unit})"))
        ax.legend(fontsize=8)
    else:
        y = np.arange(len(rows))
        values = [scale * r["value"] for r in rows]
        colors = ["tab:red" if r["label"] == chosen else "tab:blue" for r in rows]
        error = spec.get("standard_error")
        ax.errorbar(values, y, xerr=None if error is None else scale * error, fmt="none", ecolor="0.7")
        ax.scatter(values, y, c=colors, zorder=3)
        ax.set_yticks(y, [r["label"] for r in rows], fontsize=8)
        ax.invert_yaxis()
        note = "\nbars: one binomial standard error" if error is not None else ""
        ax.set_xlabel(f"{spec['metric']} ({unit}){note}")
    ax.grid(alpha=0.3)
    ax.set_title(_wrap(spec["split"], 60), fontsize=9)


def plot_throughput(record, axes):
    """One panel of horizontal bars per task: items per second of each configuration."""
    tasks = record["throughput"]["tasks"]
    for ax, (task, spec) in zip(np.atleast_1d(axes), tasks.items()):
        configs = list(spec["runs"])
        rates = [spec["runs"][c]["rate"] for c in configs]
        ax.barh(np.arange(len(configs)), rates, color="tab:blue")
        ax.set_yticks(np.arange(len(configs)), configs, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(spec["unit"])
        items = spec["unit"].split("/")[0]
        ax.set_title(f"{task}\n({spec['n']:,} {items})", fontsize=9)
        ax.grid(axis="x", alpha=0.3)


def plot_recorded(name, kind, folder=None):
    """Draw the ``kind`` series (``"learning_curves"``, ``"selection"`` or ``"throughput"``) of example ``name``.

    Returns the figure; the caption under it is the record's command and date.
    """
    record = load_recorded(name, folder)
    if kind not in record:
        raise ValueError(f"{name}.json has no {kind!r} series; it has {[k for k in record if k in _DRAW]}.")
    if kind == "throughput":
        n = len(record["throughput"]["tasks"])
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 2.8))
    elif kind == "selection" and not all(r.get("x") is not None for r in record["selection"]["rows"]):
        fig, axes = plt.subplots(figsize=(8, 0.32 * len(record["selection"]["rows"]) + 1.8))
    else:
        fig, axes = plt.subplots(figsize=(6, 3.8))
    _DRAW[kind](record, axes)
    commit = f", commit {record['commit']}" if record.get("commit") else ""
    caption = textwrap.wrap(f"{record['date']}{commit}: {record['command']}", width=int(19 * fig.get_figwidth()))
    fig.text(0.01, 0.005, "\n".join(caption), fontsize=6, color="0.4", va="bottom")
    # Room for the caption: about 0.1 inch per line of 6-point text.
    fig.tight_layout(rect=(0, min(0.4, 0.11 * len(caption) / fig.get_figheight() + 0.01), 1, 1))
    return fig


_DRAW = {"learning_curves": plot_learning_curves, "selection": plot_selection, "throughput": plot_throughput}
