"""Time skscatter against kymatio 0.3 on the same images, back to back.

kymatio 0.3.0 does not import with SciPy >= 1.17, so it lives in its own
virtual environment, created once from the repository root::

    python3.11 -m venv .kymatio-venv
    .kymatio-venv/bin/pip install kymatio==0.3.0 "scipy<1.17" numpy torch

(torch is optional: without it the kymatio-torch row is skipped; pip may pick
a large CUDA build, which runs on the CPU all the same.)  Then, from the
repository root, with skscatter's own environment::

    .venv/bin/python asv_benchmarks/compare_kymatio.py            # 32x32 table
    .venv/bin/python asv_benchmarks/compare_kymatio.py --filters-224

``--kymatio-python PATH`` (or the SKSCATTER_KYMATIO_PYTHON environment
variable) points at another kymatio interpreter.  Without kymatio the script
still times skscatter, says how to create the environment and exits 0.

Every configuration runs in a fresh worker process (this script with
``--worker``); kymatio is only ever imported by the kymatio interpreter.  The
parent writes seeded random float32 images to a temporary ``.npy`` file that
every worker reads, and compares the outputs the workers save.

What the numbers mean:

* ``s/1000 img``: median wall time of one full transform over ``--repeats``
  runs, after one untimed warm-up run (numba compilation, kymatio's filters
  and caches are excluded), scaled to 1000 images; ``img/s`` is its inverse.
* ``vs kym-np`` / ``vs kym-torch``: this row's throughput divided by kymatio's
  numpy (resp. torch, CPU) frontend; above 1 means faster than kymatio.
* ``build s``: median of 3 filter constructions, each from scratch: kymatio's
  ``Scattering2D`` constructor; for skscatter ``fit`` (or ``filter_bank`` with
  ``--filters-224``) after clearing the process-level filter caches.
* ``max/min``: slowest over fastest timed run; far above 1 means a noisy
  machine (another process on the cores), so rerun before trusting the row.
* ``peak MiB``: the worker's peak resident memory (``ru_maxrss``); ``+MiB``:
  its rise over the peak after imports and data loading (this includes
  numba's compilation and kymatio's filter construction during warm-up);
  ``transform MiB``: the peak rise during the timed transforms alone, above
  the memory held before them (Linux: the peak mark is reset after warm-up
  through ``/proc/self/clear_refs``).
* ``equal``: ``np.allclose(out, ref, rtol=1e-4, atol=1e-6)`` against kymatio's
  numpy output (torch's when numpy did not run), with the largest relative
  difference ``|out - ref| / max(|ref|, 1e-6)``.
"""

import argparse
import json
import os
import resource
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
BUILD_REPEATS = 3
# name -> (side, options); the side decides which interpreter runs the worker.
CONFIGS = {
    "skscatter-numba-all": ("ours", {"backend": "numba", "n_jobs": -1}),
    "skscatter-numba-1": ("ours", {"backend": "numba", "n_jobs": 1}),
    "skscatter-numpy-all": ("ours", {"backend": "numpy", "n_jobs": -1}),
    "kymatio-numpy": ("kymatio", {"frontend": "numpy"}),
    "kymatio-torch": ("kymatio", {"frontend": "torch"}),
    # The scikit-learn frontend: the same numpy computation behind a
    # transformer, with scikit-learn imported (needs scikit-learn in the
    # kymatio venv; skipped with an error line otherwise).
    "kymatio-sklearn": ("kymatio", {"frontend": "sklearn"}),
}
FILTER_CONFIGS = {"skscatter-filter_bank": ("ours", {}), **{k: CONFIGS[k] for k in ("kymatio-numpy", "kymatio-torch")}}
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


def setup_ours(opts, args, shape, channels):
    """Import skscatter; return (build, clear_caches, run, threads) for one configuration."""
    import joblib

    from skscatter import ScatteringTransformer
    from skscatter.scattering import _filter_bank as fb

    if opts.get("backend") == "numba":
        import numba  # noqa: F401  (skscatter imports it lazily; count it in the baseline)

    def clear_caches():
        fb._filter_bank_float64.cache_clear()
        fb.filter_bank.cache_clear()

    if args.build_only:
        M, N = fb.padded_shape(shape, args.J)
        return (lambda x: fb.filter_bank(M, N, args.J, args.L)), clear_caches, None, "-"
    est = ScatteringTransformer(
        J=args.J, L=args.L, max_order=2, shape=shape, n_channels=channels if channels > 1 else None,
        channel_layout="first", backend=opts["backend"], n_jobs=opts["n_jobs"],
    )
    # Grey images go in flat, (n, H*W), as a scikit-learn pipeline passes them.
    prepare = (lambda x: x.reshape(len(x), -1)) if channels == 1 else (lambda x: x)
    build = lambda x: est.fit(prepare(x))  # noqa: E731
    run = lambda fitted, x: fitted.transform(prepare(x))  # noqa: E731
    return build, clear_caches, run, joblib.effective_n_jobs(opts["n_jobs"])


def setup_kymatio(opts, args, shape, channels):
    """Import kymatio's frontend; return (build, clear_caches, run, threads) like :func:`setup_ours`."""
    if opts["frontend"] == "torch":
        import torch
        from kymatio.torch import Scattering2D

        run = lambda S, x: S(torch.from_numpy(x)).numpy()  # noqa: E731
        threads = torch.get_num_threads()
    elif opts["frontend"] == "sklearn":
        from kymatio.sklearn import Scattering2D

        # Flattened (n, H*W) rows in, (n, n_features) out, as in a Pipeline.
        run = lambda S, x: S.transform(x.reshape(len(x), -1))  # noqa: E731
        threads = "1"
    else:
        from kymatio.numpy import Scattering2D

        run = lambda S, x: S(x)  # noqa: E731
        threads = "1"  # scipy.fft without workers, element-wise NumPy
    build = lambda x: Scattering2D(J=args.J, shape=shape, L=args.L, max_order=2)  # noqa: E731
    return build, None, run, threads


# (module to import, distribution whose version is reported) for each side.
PROBES = {
    "ours": [("skscatter", "skscatter"), ("numpy", "numpy"), ("scipy", "scipy"), ("numba", "numba")],
    "kymatio": [("kymatio.numpy", "kymatio"), ("numpy", "numpy"), ("scipy", "scipy"), ("torch", "torch"),
                ("sklearn", "scikit-learn")],
}
# The distribution a kymatio configuration needs besides kymatio itself.
NEEDS = {"kymatio-numpy": "kymatio", "kymatio-torch": "torch", "kymatio-sklearn": "scikit-learn"}


def probe_versions(side):
    """Versions of the packages one side uses (None where a package does not import)."""
    import importlib
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


def worker(args):
    """Time one configuration in this process and print its results as one JSON line."""
    if args.worker.startswith("probe-"):
        print(RESULT_PREFIX + json.dumps(probe_versions(args.worker[len("probe-"):])))
        return
    side, opts = {**CONFIGS, **FILTER_CONFIGS}[args.worker]
    shape, channels = (args.size, args.size), 3 if args.colour else 1
    build, clear_caches, run, threads = (setup_ours if side == "ours" else setup_kymatio)(opts, args, shape, channels)
    x = np.load(args.input) if args.input else None
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {"threads": threads}
    times, fitted = time_calls(lambda: build(x), BUILD_REPEATS, before=clear_caches)
    result.update(build_s=statistics.median(times), spread=max(times) / min(times))
    if not args.build_only:
        run(fitted, x)  # warm-up: JIT compilation, lazily built filters
        # Memory of the transform alone: reset the peak after the warm-up.
        before = status_kib("VmRSS") if reset_peak_rss() else None
        times, out = time_calls(lambda: run(fitted, x), args.repeats)
        if before is not None:
            result["transform_mib"] = (status_kib("VmHWM") - before) / 1024
        result.update(transform_s=statistics.median(times), spread=max(times) / min(times))
        np.save(args.output, np.asarray(out).reshape(len(x), -1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.update(peak_mib=peak / 1024, delta_mib=(peak - baseline) / 1024)
    print(RESULT_PREFIX + json.dumps(result))


def worker_flags(args):
    """The command-line flags that pass the problem size on to a worker."""
    flags = ["--J", str(args.J), "--L", str(args.L), "--size", str(args.size), "--repeats", str(args.repeats)]
    return flags + ["--colour"] * args.colour + ["--build-only"] * args.build_only


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
            '    .kymatio-venv/bin/pip install kymatio==0.3.0 "scipy<1.17" numpy torch\n'
            "or point --kymatio-python / SKSCATTER_KYMATIO_PYTHON at one.")
    if not Path(python).exists():
        return None, hint
    versions = call_worker(python, "probe-kymatio")
    if "error" in versions or not versions.get("kymatio"):
        return None, hint + f"\n({versions.get('error') or versions.get('kymatio_error')})"
    return versions, ""


def compare(outputs, reference):
    """Return the text of the equality column for each configuration's saved output."""
    ref = np.load(outputs[reference]) if reference else None
    column = {}
    for name, path in outputs.items():
        out = np.load(path)
        if ref is None or name == reference or out.shape != ref.shape:
            column[name] = "no ref" if ref is None else "ref" if name == reference else f"SHAPE {out.shape}"
            continue
        rel = float(np.max(np.abs(out - ref) / np.maximum(np.abs(ref), ATOL)))
        ok = np.allclose(out, ref, rtol=RTOL, atol=ATOL)
        column[name] = f"{'ok' if ok else 'FAIL'} (rel {rel:.1e})"
    return column


def ratio(theirs, ours):
    """``theirs / ours`` formatted as a speed-up, or '-' when either is missing."""
    return f"{theirs / ours:.2f}x" if theirs and ours else "-"


def report(results, equal, n, build_only):
    """Print the results table, any worker errors and the RATIOS summary lines."""
    key = "build_s" if build_only else "transform_s"
    kym = {k: results.get(k, {}).get(key) for k in ("kymatio-numpy", "kymatio-torch")}
    columns = [("config", lambda k, r: k), ("threads", lambda k, r: str(r["threads"])),
               ("build s", lambda k, r: f"{r['build_s']:.4f}")]
    if not build_only:
        columns += [("s/1000 img", lambda k, r: f"{r[key] * 1000 / n:.3f}"), ("img/s", lambda k, r: f"{n / r[key]:.0f}")]
    columns += [("vs kym-np", lambda k, r: ratio(kym["kymatio-numpy"], r[key])),
                ("vs kym-torch", lambda k, r: ratio(kym["kymatio-torch"], r[key])),
                ("max/min", lambda k, r: f"{r['spread']:.2f}"), ("peak MiB", lambda k, r: f"{r['peak_mib']:.0f}"), ("+MiB", lambda k, r: f"{r['delta_mib']:.0f}")]
    if not build_only:
        columns.append(("transform MiB", lambda k, r: f"{r['transform_mib']:.0f}" if "transform_mib" in r else "-"))
        columns.append(("equal", lambda k, r: equal.get(k, "-")))
    done = {k: r for k, r in results.items() if "error" not in r}
    rows = [[title for title, _ in columns]] + [[cell(k, r) for _, cell in columns] for k, r in done.items()]
    widths = [max(map(len, column)) for column in zip(*rows)]
    for row in rows:
        print("  ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip())
    for name, r in results.items():
        if "error" in r:
            print(f"{name}: ERROR {r['error']}")
    what = "filter build" if build_only else "throughput"
    for name, r in done.items():
        if name.startswith("skscatter"):
            line = (f"RATIOS {name}: {what} {ratio(kym['kymatio-numpy'], r[key])} vs kymatio-numpy, "
                    f"{ratio(kym['kymatio-torch'], r[key])} vs kymatio-torch")
            if not build_only:
                kym_build = results.get("kymatio-numpy", {}).get("build_s")
                line += f"; build (fit) {ratio(kym_build, r['build_s'])} vs kymatio-numpy constructor"
            print(line)


def write_json(args, results, equal):
    """The run as a result file (``result_file.py``): rate per configuration, images/s or filter builds/s."""
    from result_file import write_result_file

    key = "build_s" if args.build_only else "transform_s"
    per_call = 1 if args.build_only else args.n_images
    peer = results.get("kymatio-numpy", {}).get(key)
    rows = {
        name: {**r, "rate": per_call / r[key], "ratio_to_peer": peer / r[key] if peer else None, "equal": equal.get(name)}
        for name, r in results.items()
        if "error" not in r and r.get(key)
    }
    settings = {k: getattr(args, k) for k in ("n_images", "size", "J", "L", "colour", "repeats", "seed", "build_only")}
    write_result_file(args.json, benchmark="compare_kymatio", settings=settings,
                      unit="filter banks/s" if args.build_only else "img/s", results=rows)


def main(argv=None):
    """Parse arguments; run as a worker, or run every selected configuration and report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-images", type=int, default=1000, help="images per transform (default 1000)")
    parser.add_argument("--size", type=int, default=32, help="image height and width (default 32)")
    parser.add_argument("--J", type=int, default=2)
    parser.add_argument("--L", type=int, default=8)
    parser.add_argument("--colour", action="store_true", help="3-channel images, (n, 3, H, W)")
    parser.add_argument("--repeats", type=int, default=5, help="timed transforms per configuration")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--filters-224", action="store_true", help="time filter construction only, 224x224 J=3 L=8")
    parser.add_argument("--kymatio-python", help="default: $SKSCATTER_KYMATIO_PYTHON, else .kymatio-venv/bin/python",
                        default=os.environ.get("SKSCATTER_KYMATIO_PYTHON", str(DEFAULT_KYMATIO_PYTHON)))
    parser.add_argument("--seed", type=int, default=0, help="seed of the random images")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results to this JSON file")
    for internal in ("--worker", "--input", "--output"):  # worker mode
        parser.add_argument(internal, help=argparse.SUPPRESS)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    args.kymatio_python = os.path.abspath(args.kymatio_python)  # workers run from the repo root

    if args.filters_224:
        args.size, args.J, args.L, args.build_only = 224, 3, 8, True
    configs = FILTER_CONFIGS if args.build_only else {k: CONFIGS[k] for k in args.configs}
    kym_versions, message = kymatio_status(args.kymatio_python)
    ours_versions = call_worker(sys.executable, "probe-ours")
    print(f"cpus={os.cpu_count()} size={args.size} J={args.J} L={args.L} colour={args.colour} "
          + ("(filters only)" if args.build_only else f"n_images={args.n_images} repeats={args.repeats}"))
    print("ours:   ", {k: v for k, v in ours_versions.items() if not k.endswith("_error")})
    print("kymatio:", {k: v for k, v in kym_versions.items() if not k.endswith("_error")} if kym_versions else message)

    results, outputs = {}, {}
    with tempfile.TemporaryDirectory(prefix="skscatter-bench-") as tmp:
        flags = worker_flags(args)
        if not args.build_only:
            rng = np.random.default_rng(args.seed)
            lead = (args.n_images, 3) if args.colour else (args.n_images,)
            np.save(Path(tmp) / "input.npy", rng.random((*lead, args.size, args.size), dtype=np.float32))
            flags += ["--input", str(Path(tmp) / "input.npy")]
        for name, (side, _) in configs.items():
            if side == "kymatio" and not (kym_versions and kym_versions.get("kymatio") and kym_versions.get(NEEDS[name])):
                print(f"{name}: skipped, {NEEDS[name]} is not available in the kymatio environment")
                continue
            python = sys.executable if side == "ours" else args.kymatio_python
            out_path = Path(tmp) / f"{name}.npy"
            print(f"running {name} ...", flush=True)
            results[name] = call_worker(python, name, [*flags, "--output", str(out_path)])
            if out_path.exists():
                outputs[name] = out_path
        reference = next((k for k in ("kymatio-numpy", "kymatio-torch") if k in outputs), None)
        equal = compare(outputs, reference) if outputs else {}
    print()
    report(results, equal, args.n_images, args.build_only)
    if args.json:
        write_json(args, results, equal)
    failed = any("error" in r for r in results.values()) or any("FAIL" in e or "SHAPE" in e for e in equal.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
