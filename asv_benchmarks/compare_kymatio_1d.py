"""Time Scattering1DTransformer against kymatio 0.3's Scattering1D on the same signals, back to back.

kymatio 0.3.0 does not import with SciPy >= 1.15, so it lives in its own
virtual environment, created once from the repository root::

    python3.11 -m venv .kymatio-venv
    .kymatio-venv/bin/pip install kymatio==0.3.0 "scipy<1.15" "numpy<2.1" torch

(torch is optional: without it the kymatio-torch row is skipped.)  Then,
from the repository root, with skscatter's own environment::

    .venv/bin/python asv_benchmarks/compare_kymatio_1d.py              # 1000 x 4096, J=8, Q=8
    .venv/bin/python asv_benchmarks/compare_kymatio_1d.py --n 200 --repeats 3 --json run.json

``--kymatio-python PATH`` (or the SKSCATTER_KYMATIO_PYTHON environment
variable) points at another kymatio interpreter.  Without kymatio the script
still times skscatter, says how to create the environment and exits 0.

Every configuration runs in a fresh worker process (this script with
``--worker``); kymatio is only ever imported by the kymatio interpreter.  The
parent writes seeded standard-normal float32 signals to a temporary ``.npy``
file that every worker reads, and compares the outputs the workers save.

What the numbers mean:

* ``s/1000 sig``: median wall time of one full transform over ``--repeats``
  runs, after one untimed warm-up transform of the first 64 signals (numba
  compilation and filter conversion are excluded; kymatio has nothing left
  to build after its constructor), scaled to 1000 signals; ``sig/s`` is its
  inverse.
* ``vs kym-np`` / ``vs kym-torch``: this row's throughput divided by kymatio's
  numpy (resp. torch, CPU, ``torch.set_num_threads(2)``) frontend in the
  same run; above 1 means faster than kymatio.
* ``build s``: median of 21 constructions from scratch: kymatio's
  ``Scattering1D`` constructor (parameters, padding, filters); skscatter's
  ``fit`` on all the signals after ``morlet_1d_bank.cache_clear()``, which
  also validates them (a finiteness pass over the whole input, which
  kymatio's constructor never sees).
* ``bank s``: median of 21 filter banks alone, from scratch: kymatio's
  ``scattering_filter_factory`` at its padded length; skscatter's
  ``morlet_1d_bank`` (which also plans the padding) after ``cache_clear()``.
  ``conv s``: skscatter only, the conversion of that bank into the kernels'
  layout (float32 values and band windows), which the first transform does
  once per bank.
* ``max/min``: slowest over fastest timed transform; far above 1 means a
  noisy machine (another process on the cores), so rerun before trusting it.
* ``peak MiB``: the worker's peak resident memory (``ru_maxrss``);
  ``transform MiB``: the peak rise during the timed transforms alone above
  the memory held before them (Linux: the peak mark is reset after the
  warm-up through ``/proc/self/clear_refs``); it includes the output array.
* ``equal``: every run checks each output against kymatio's numpy output
  (torch's when numpy did not run).  skscatter sums the aliased copies of a
  filter applied after a decimation, kymatio 0.3 averages them, so
  skscatter's coefficients are first divided by ``2**k1`` (order 1) or
  ``2**(2 k1 + k2)`` (order 2), the decimations read from ``meta_``; then
  ``np.allclose(out, ref, rtol=1e-4, atol=1e-6)``, with the largest
  relative difference ``|out - ref| / max(|ref|, 1e-6)``.

A second table shows skscatter's memory at several input sizes
(``--memory-sizes``, numba backend, a fresh worker per size, one untimed
warm-up transform of 64 signals, then one transform of all of them):
``transform MiB`` is the peak rise during that transform above the memory
held before it (which keeps what the warm-up's temporaries left to the
allocator), ``above output MiB`` the same less the output array, and
``working MiB`` the worker's peak resident memory less its memory after the
imports, the input and the output: compiled kernels, filters and the
batches' temporaries.  It stays flat when the input grows, because the
signals are scattered in batches of at most 256.
"""

import argparse
import datetime
import importlib
import json
import math
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.measure import reset_peak_rss, status_kib

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KYMATIO_PYTHON = REPO_ROOT / ".kymatio-venv" / "bin" / "python"
RTOL, ATOL = 1e-4, 1e-6
BUILD_REPEATS = 21
WARM_UP_SIGNALS = 64
TORCH_THREADS = 2
# name -> (side, options); the side decides which interpreter runs the worker.
CONFIGS = {
    "skscatter-numba-all": ("ours", {"backend": "numba", "n_jobs": -1}),
    "skscatter-numba-1": ("ours", {"backend": "numba", "n_jobs": 1}),
    "skscatter-numpy-all": ("ours", {"backend": "numpy", "n_jobs": -1}),
    "kymatio-numpy": ("kymatio", {"frontend": "numpy"}),
    "kymatio-torch": ("kymatio", {"frontend": "torch"}),
}
MEMORY_CONFIGS = ("skscatter-numba-all", "skscatter-numba-1")
RESULT_PREFIX = "RESULT "


def time_calls(fn, repeats, before=None):
    """Wall times of ``fn()`` over ``repeats`` calls (``before()`` runs untimed first), and the last result."""
    times, result = [], None
    for _ in range(repeats):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def kymatio_scale(est):
    """Per-path divisor from skscatter's coefficients to kymatio 0.3's (aliased copies averaged, not summed)."""
    meta = est.meta_
    log2_T, over = int(math.floor(math.log2(est.T_))), est.oversampling
    order = meta["order"]
    j = np.nan_to_num(meta["j"])
    k1 = np.where(order >= 1, np.maximum(np.minimum(j[:, 0], log2_T) - over, 0), 0)
    k2 = np.where(order == 2, np.maximum(np.minimum(j[:, 1], log2_T) - k1 - over, 0), 0)
    return np.where(order == 2, 2.0 ** (2 * k1 + k2), 2.0**k1)


def setup_ours(opts, args):
    """Import skscatter; return (build, bank, clear_caches, run, convert, threads) for one configuration."""
    import joblib

    from skscatter import Scattering1DTransformer
    from skscatter._kernels.fourier import get_fourier_ops
    from skscatter.scattering import _morlet_1d

    if opts["backend"] == "numba":
        # skscatter imports numba lazily: count it in the baseline.
        importlib.import_module("numba")

    def clear_caches():
        _morlet_1d.morlet_1d_bank.cache_clear()
        _morlet_1d._CONVERTED.clear()

    def convert(est, dtype):
        # What the first transform does once per bank: values in the
        # kernels' dtype and layout (band windows for numba).
        bank = _morlet_1d.morlet_1d_bank(est.signal_length_, est.J, *est.Q_, est.T_, est.oversampling)
        _morlet_1d._CONVERTED.clear()
        start = time.perf_counter()
        _morlet_1d.filters_for(get_fourier_ops(opts["backend"], 1), bank, dtype)
        return time.perf_counter() - start

    est = Scattering1DTransformer(
        J=args.J, Q=args.Q, max_order=args.max_order, backend=opts["backend"], n_jobs=opts["n_jobs"]
    )
    build = lambda x: est.fit(x)  # noqa: E731
    bank = lambda x: _morlet_1d.morlet_1d_bank(x.shape[-1], args.J, args.Q, 1, 2**args.J, 0)  # noqa: E731

    def run(fitted, x):
        # kymatio's layout and magnitudes: (n, paths, time), divided per path.
        out = fitted.transform(x).reshape(len(x), fitted.n_paths_, fitted.output_length_)
        return out, kymatio_scale(fitted)

    return build, bank, clear_caches, run, convert, joblib.effective_n_jobs(opts["n_jobs"])


def setup_kymatio(opts, args):
    """Import kymatio's frontend; return (build, bank, clear_caches, run, convert, threads) like :func:`setup_ours`."""
    if opts["frontend"] == "torch":
        import torch
        from kymatio.torch import Scattering1D

        torch.set_num_threads(TORCH_THREADS)
        run = lambda S, x: (S(torch.from_numpy(x)).numpy(), None)  # noqa: E731
        threads = torch.get_num_threads()
    else:
        from kymatio.numpy import Scattering1D

        run = lambda S, x: (S(x), None)  # noqa: E731
        threads = "1"  # one FFT at a time, element-wise NumPy
    from kymatio.scattering1d.filter_bank import scattering_filter_factory

    build = lambda x: Scattering1D(J=args.J, shape=x.shape[-1], Q=args.Q, max_order=args.max_order)  # noqa: E731

    def bank(x):
        # The filters of the constructor alone, at the padded length it chose.
        S = bank.scattering = getattr(bank, "scattering", None) or build(x)
        return scattering_filter_factory(S._N_padded, S.J, S.Q, S.T, r_psi=S.r_psi, sigma0=S.sigma0, alpha=S.alpha)

    return build, bank, None, run, None, threads


PROBES = {
    "ours": [("skscatter", "skscatter"), ("numpy", "numpy"), ("scipy", "scipy"), ("numba", "numba")],
    "kymatio": [("kymatio.numpy", "kymatio"), ("numpy", "numpy"), ("scipy", "scipy"), ("torch", "torch")],
}
NEEDS = {"kymatio-numpy": "kymatio", "kymatio-torch": "torch"}


def probe_versions(side):
    """Versions of the packages one side uses (None where a package does not import)."""
    import importlib.metadata

    versions = {"python": sys.version.split()[0]}
    for module, dist in PROBES[side]:
        try:
            importlib.import_module(module)
            versions[dist] = importlib.metadata.version(dist)
        except Exception as exc:  # ImportError, or kymatio failing on a too-new SciPy
            versions[dist] = None
            versions[dist + "_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return versions


def memory_worker(args):
    """Peak memory of one skscatter transform of ``--memory-n`` signals, above the memory held before it."""
    from skscatter import Scattering1DTransformer

    _, opts = CONFIGS[args.worker]
    base = status_kib("VmRSS")  # after the imports, before any signal exists
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.memory_n, args.length), dtype=np.float32)
    est = Scattering1DTransformer(J=args.J, Q=args.Q, max_order=args.max_order, **opts).fit(x[:1])
    est.transform(x[:WARM_UP_SIGNALS])  # compilation and filter conversion
    before = status_kib("VmRSS") if reset_peak_rss() else None
    out = est.transform(x)
    result = {"n": args.memory_n, "input_mib": x.nbytes / 2**20, "output_mib": out.nbytes / 2**20}
    if before is not None:
        result["transform_mib"] = (status_kib("VmHWM") - before) / 1024
    if base is not None:
        # Everything the process ever held beyond its imports, input and
        # output: compiled kernels, filters, and the batches' temporaries.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["working_mib"] = peak - base / 1024 - result["input_mib"] - result["output_mib"]
    print(RESULT_PREFIX + json.dumps(result))


def worker(args):
    """Time one configuration in this process and print its results as one JSON line."""
    if args.worker.startswith("probe-"):
        print(RESULT_PREFIX + json.dumps(probe_versions(args.worker[len("probe-"):])))
        return
    if args.memory_n:
        return memory_worker(args)
    side, opts = CONFIGS[args.worker]
    build, bank, clear_caches, run, convert, threads = (setup_ours if side == "ours" else setup_kymatio)(opts, args)
    x = np.load(args.input)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"threads": threads}
    times, fitted = time_calls(lambda: build(x), BUILD_REPEATS, before=clear_caches)
    result.update(build_s=statistics.median(times))
    bank(x)  # kymatio: its padded length, from one constructor outside the timing
    result["bank_s"] = statistics.median(time_calls(lambda: bank(x), BUILD_REPEATS, before=clear_caches)[0])
    if convert is not None:
        result["convert_s"] = statistics.median(convert(fitted, x.dtype) for _ in range(BUILD_REPEATS))
    run(fitted, x[:WARM_UP_SIGNALS])  # warm-up: JIT compilation, filters in the kernels' layout
    # Memory of the transform alone: reset the peak after the warm-up.
    before = status_kib("VmRSS") if reset_peak_rss() else None
    times, (out, scale) = time_calls(lambda: run(fitted, x), args.repeats)
    if before is not None:
        result["transform_mib"] = (status_kib("VmHWM") - before) / 1024
    result.update(transform_s=statistics.median(times), spread=max(times) / min(times))
    out = np.asarray(out, dtype=np.float64)
    if scale is not None:
        out = out / scale[None, :, None]
    np.save(args.output, out)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.update(peak_mib=peak / 1024, delta_mib=(peak - baseline) / 1024)
    print(RESULT_PREFIX + json.dumps(result))


def worker_flags(args):
    """The command-line flags that pass the problem size on to a worker."""
    return ["--J", str(args.J), "--Q", str(args.Q), "--max-order", str(args.max_order), "--length",
            str(args.length), "--repeats", str(args.repeats), "--seed", str(args.seed)]


def call_worker(python, name, flags=()):
    """Run this script as a worker under ``python``; return its JSON result or {"error": ...}."""
    cmd = [str(python), str(Path(__file__).resolve()), "--worker", name, *flags]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    except OSError as exc:
        return {"error": str(exc)}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"worker exited {proc.returncode}: {tail}"}


def kymatio_status(python):
    """Return (versions or None, message) for the kymatio interpreter."""
    hint = (f"kymatio environment not usable at {python}. Create it from {REPO_ROOT} with:\n"
            "    python3.11 -m venv .kymatio-venv\n"
            '    .kymatio-venv/bin/pip install kymatio==0.3.0 "scipy<1.15" "numpy<2.1" torch\n'
            "or point --kymatio-python / SKSCATTER_KYMATIO_PYTHON at one.")
    if not Path(python).exists():
        return None, hint
    versions = call_worker(python, "probe-kymatio")
    if "error" in versions or not versions.get("kymatio"):
        return None, hint + f"\n({versions.get('error') or versions.get('kymatio_error')})"
    return versions, ""


def compare(outputs, reference):
    """Return ``{name: (text, ok, max_rel)}``, the equality column for each configuration's saved output."""
    ref = np.load(outputs[reference]) if reference else None
    column = {}
    for name, path in outputs.items():
        out = np.load(path)
        if ref is None or name == reference:
            column[name] = ("no ref" if ref is None else "ref", True, None)
        elif out.shape != ref.shape:
            column[name] = (f"SHAPE {out.shape} vs {ref.shape}", False, None)
        else:
            rel = float(np.max(np.abs(out - ref) / np.maximum(np.abs(ref), ATOL)))
            ok = bool(np.allclose(out, ref, rtol=RTOL, atol=ATOL))
            column[name] = (f"{'ok' if ok else 'FAIL'} (rel {rel:.1e})", ok, rel)
    return column


def ratio(theirs, ours):
    """``theirs / ours`` as a float, or None when either is missing."""
    return theirs / ours if theirs and ours else None


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def print_table(rows):
    widths = [max(map(len, column)) for column in zip(*rows)]
    for row in rows:
        print("  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip())


def table_rows(results, equal, n):
    """One flat dict per configuration that ran: what the table prints and the JSON file holds."""
    kym = {k: results.get(k, {}).get("transform_s") for k in ("kymatio-numpy", "kymatio-torch")}
    kym_build = {k: results.get(k, {}).get("build_s") for k in ("kymatio-numpy", "kymatio-torch")}
    kym_bank = results.get("kymatio-numpy", {}).get("bank_s")
    rows = []
    for name, r in results.items():
        if "error" in r:
            continue
        text, ok, rel = equal.get(name, ("-", True, None))
        rows.append({
            "config": name, "threads": r["threads"], "build_s": r["build_s"], "bank_s": r.get("bank_s"),
            "convert_s": r.get("convert_s"),
            "transform_s": r["transform_s"], "s_per_1000": r["transform_s"] * 1000 / n, "rate": n / r["transform_s"],
            "unit": "signals/s", "ratio_to_peer": ratio(kym["kymatio-numpy"], r["transform_s"]),
            "ratio_to_torch": ratio(kym["kymatio-torch"], r["transform_s"]),
            "build_ratio_to_peer": ratio(kym_build["kymatio-numpy"], r["build_s"]),
            "bank_ratio_to_peer": ratio(kym_bank, r.get("bank_s")),
            "bank_ratio_to_constructor": ratio(kym_build["kymatio-numpy"], r.get("bank_s")),
            "spread": r["spread"], "peak_mib": r["peak_mib"], "delta_mib": r["delta_mib"],
            "transform_mib": r.get("transform_mib"), "equal": text, "equal_ok": ok, "max_rel": rel,
        })
    return rows


def report(results, rows, memory):
    """Print the results table, any worker errors, the memory table and the RATIOS summary lines."""
    header = ["config", "threads", "build s", "bank s", "conv s", "s/1000 sig", "sig/s", "vs kym-np", "vs kym-torch",
              "max/min", "peak MiB", "+MiB", "transform MiB", "equal"]
    lines = [header] + [[
        r["config"], str(r["threads"]), f"{r['build_s']:.4f}", "-" if r["bank_s"] is None else f"{r['bank_s']:.4f}",
        "-" if r["convert_s"] is None else f"{r['convert_s']:.4f}", f"{r['s_per_1000']:.3f}", f"{r['rate']:.0f}",
        fmt_ratio(r["ratio_to_peer"]), fmt_ratio(r["ratio_to_torch"]), f"{r['spread']:.2f}", f"{r['peak_mib']:.0f}",
        f"{r['delta_mib']:.0f}", "-" if r["transform_mib"] is None else f"{r['transform_mib']:.0f}", r["equal"],
    ] for r in rows]
    print_table(lines)
    for name, r in results.items():
        if "error" in r:
            print(f"{name}: ERROR {r['error']}")
    if memory:
        print()
        lines = [["config", "signals", "input MiB", "output MiB", "transform MiB", "above output MiB", "working MiB"]]
        for m in memory:
            if "error" in m:
                print(f"{m['config']} n={m['n']}: ERROR {m['error']}")
                continue
            rise = m.get("transform_mib")
            lines.append([m["config"], str(m["n"]), f"{m['input_mib']:.1f}", f"{m['output_mib']:.1f}",
                          "-" if rise is None else f"{rise:.1f}",
                          "-" if rise is None else f"{rise - m['output_mib']:.1f}",
                          f"{m['working_mib']:.1f}" if "working_mib" in m else "-"])
        print_table(lines)
    for r in rows:
        if r["config"].startswith("skscatter"):
            print(f"RATIOS {r['config']}: throughput {fmt_ratio(r['ratio_to_peer'])} vs kymatio-numpy, "
                  f"{fmt_ratio(r['ratio_to_torch'])} vs kymatio-torch; build (fit) "
                  f"{fmt_ratio(r['build_ratio_to_peer'])} vs kymatio-numpy constructor; filter bank "
                  f"{fmt_ratio(r['bank_ratio_to_peer'])} vs kymatio's scattering_filter_factory, "
                  f"{fmt_ratio(r['bank_ratio_to_constructor'])} vs its constructor")


def main(argv=None):
    """Parse arguments; run as a worker, or run every selected configuration and report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="signals per transform (default 1000)")
    parser.add_argument("--length", type=int, default=4096, help="samples per signal (default 4096)")
    parser.add_argument("--J", type=int, default=8)
    parser.add_argument("--Q", type=int, default=8)
    parser.add_argument("--max-order", type=int, default=2, choices=(1, 2))
    parser.add_argument("--repeats", type=int, default=3, help="timed transforms per configuration (default 3)")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[250, 1000, 4000],
                        help="signal counts of the memory table (none to skip it)")
    parser.add_argument("--kymatio-python", help="default: $SKSCATTER_KYMATIO_PYTHON, else .kymatio-venv/bin/python",
                        default=os.environ.get("SKSCATTER_KYMATIO_PYTHON", str(DEFAULT_KYMATIO_PYTHON)))
    parser.add_argument("--seed", type=int, default=0, help="seed of the random signals")
    parser.add_argument("--json", metavar="PATH", help="also write the tables to this JSON file")
    for internal in ("--worker", "--input", "--output"):  # worker mode
        parser.add_argument(internal, help=argparse.SUPPRESS)
    parser.add_argument("--memory-n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    args.kymatio_python = os.path.abspath(args.kymatio_python)  # workers run from the repo root

    kym_versions, message = kymatio_status(args.kymatio_python)
    ours_versions = call_worker(sys.executable, "probe-ours")
    print(f"cpus={os.cpu_count()} n={args.n} length={args.length} J={args.J} Q={args.Q} "
          f"max_order={args.max_order} repeats={args.repeats} load={os.getloadavg()[0]:.2f}")
    print("ours:   ", {k: v for k, v in ours_versions.items() if not k.endswith("_error")})
    print("kymatio:", {k: v for k, v in kym_versions.items() if not k.endswith("_error")} if kym_versions else message)

    results, outputs, memory = {}, {}, []
    with tempfile.TemporaryDirectory(prefix="skscatter-bench-") as tmp:
        flags = worker_flags(args)
        rng = np.random.default_rng(args.seed)
        np.save(Path(tmp) / "input.npy", rng.standard_normal((args.n, args.length), dtype=np.float32))
        for name in args.configs:
            side = CONFIGS[name][0]
            if side == "kymatio" and not (kym_versions and kym_versions.get(NEEDS[name])):
                print(f"{name}: skipped, {NEEDS[name]} is not available in the kymatio environment")
                continue
            python = sys.executable if side == "ours" else args.kymatio_python
            out_path = Path(tmp) / f"{name}.npy"
            print(f"running {name} ...", flush=True)
            results[name] = call_worker(python, name, [*flags, "--input", str(Path(tmp) / "input.npy"),
                                                       "--output", str(out_path)])
            if out_path.exists():
                outputs[name] = out_path
        reference = next((k for k in ("kymatio-numpy", "kymatio-torch") if k in outputs), None)
        equal = compare(outputs, reference) if outputs else {}
    for name in MEMORY_CONFIGS:
        for n in args.memory_sizes:
            print(f"memory {name} n={n} ...", flush=True)
            memory.append({"config": name, "n": n, **call_worker(sys.executable, name, [*flags, "--memory-n", str(n)])})
    print()
    rows = table_rows(results, equal, args.n)
    report(results, rows, memory)
    if args.json:
        record = {
            "benchmark": "compare_kymatio_1d",
            "command": "python " + " ".join(shlex.quote(a) for a in sys.argv),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()},
            "settings": {k: getattr(args, k) for k in ("n", "length", "J", "Q", "max_order", "repeats", "seed")},
            "versions": {"ours": ours_versions, "kymatio": kym_versions},
            "rows": rows,
            "memory": memory,
        }
        Path(args.json).write_text(json.dumps(record, indent=1) + "\n")
    failed = any("error" in r for r in results.values()) or not all(r["equal_ok"] for r in rows)
    return 1 if failed or any("error" in m for m in memory) else 0


if __name__ == "__main__":
    sys.exit(main())
