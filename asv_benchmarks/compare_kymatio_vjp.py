"""Time ``ScatteringTransformer.vjp`` against its forward transform and kymatio's torch autograd, same run.

On the same seeded float32 images (default 1,000 grey 32x32, J=2, L=8) and
the same random cotangent ``w``, each round times, one after the other:

* ``forward``: skscatter's ``transform`` (numba backend);
* ``vjp``: skscatter's ``vjp(X, w)``, the gradient of ``<transform(X), w>``;
* ``kymatio fwd`` and ``kymatio fwd+bwd``: kymatio 0.3's torch frontend on
  the CPU, ``S(x)`` then ``S(x).backward(w)``, in a worker process of the
  kymatio interpreter that stays alive across rounds (kymatio 0.3 needs its
  own environment, see ``compare_kymatio.py``).

Each side makes one untimed warm-up call (numba compilation, kymatio's
filters).  Both sides get the same threads (``n_jobs`` and
``torch.set_num_threads``).  Printed: the median over ``--rounds`` of wall
and CPU (process) time of each step, and the median over rounds of the
ratios taken within a round (``vjp / forward``; ``kymatio fwd+bwd / vjp``:
above 1 means our gradient is faster), which a loaded machine disturbs less
than ratios of medians.  The kymatio gradient is checked against ours
(largest difference relative to the largest gradient entry).

From the repository root, with skscatter's environment::

    .venv/bin/python asv_benchmarks/compare_kymatio_vjp.py --threads 1
    .venv/bin/python asv_benchmarks/compare_kymatio_vjp.py --threads 2 --kymatio-python .kymatio-venv/bin/python

``--json PATH`` adds the run to a result file (``result_file.py``): images
per second (median wall time) of each step, and for ``vjp`` the ratio
``kymatio fwd+bwd / vjp`` as ``ratio_to_peer``.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_KYMATIO_PYTHON = REPO_ROOT / ".kymatio-venv" / "bin" / "python"

# Runs in the kymatio interpreter: reads "run" lines on stdin, answers with
# one JSON line of timings; the gradient of the last run is saved.
KYMATIO_WORKER = """
import json, sys, time
import numpy as np
import torch
from kymatio.torch import Scattering2D

x_path, w_path, grad_path, J, L, threads = sys.argv[1:7]
torch.set_num_threads(int(threads))
x = torch.from_numpy(np.load(x_path))
w = torch.from_numpy(np.load(w_path))
S = Scattering2D(J=int(J), shape=tuple(x.shape[1:]), L=int(L))
xs = x[:8].clone().requires_grad_(True)
S(xs).backward(w[:8].reshape(S(xs).shape))
print("ready", flush=True)
for line in sys.stdin:
    xr = x.clone().requires_grad_(True)
    w0, c0 = time.perf_counter(), time.process_time()
    y = S(xr)
    w1, c1 = time.perf_counter(), time.process_time()
    y.backward(w.reshape(y.shape))
    w2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({"kymatio fwd": [w1 - w0, c1 - c0], "kymatio fwd+bwd": [w2 - w0, c2 - c0]}), flush=True)
np.save(grad_path, xr.grad.numpy())
"""


def timed(fn):
    """(wall, CPU) seconds of ``fn()``."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return [time.perf_counter() - w0, time.process_time() - c0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="images")
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("-J", type=int, default=2)
    parser.add_argument("-L", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--kymatio-python",
        default=os.environ.get("SKSCATTER_KYMATIO_PYTHON", str(DEFAULT_KYMATIO_PYTHON)),
        help="interpreter with kymatio 0.3 and torch (the kymatio rows are skipped without it)",
    )
    parser.add_argument("--json", metavar="PATH", help="also add the run to this result file")
    parser.add_argument("--label", help="the run's label in the result file (default: its commit)")
    args = parser.parse_args()

    from skscatter import ScatteringTransformer

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.size, args.size), dtype=np.float32)
    est = ScatteringTransformer(J=args.J, L=args.L, shape=(args.size, args.size), backend="numba", n_jobs=args.threads)
    est.fit(X[:1])
    w = rng.standard_normal((args.n, est.transform(X[:1]).shape[1]), dtype=np.float32)
    est.transform(X[:8]), est.vjp(X[:8], w[:8])  # warm-up: numba compilation, filters

    kymatio = None
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, name) for name in ("x.npy", "w.npy", "grad.npy")]
        np.save(paths[0], X), np.save(paths[1], w)
        if Path(args.kymatio_python).exists():
            kymatio = subprocess.Popen(
                [args.kymatio_python, "-c", KYMATIO_WORKER, *paths, str(args.J), str(args.L), str(args.threads)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            assert kymatio.stdout.readline().strip() == "ready", "the kymatio worker failed to start"
        else:
            print(f"No kymatio interpreter at {args.kymatio_python}: skscatter rows only.")
        rounds = []
        for _ in range(args.rounds):
            row = {"forward": timed(lambda: est.transform(X))}
            row["vjp"] = timed(lambda: est.vjp(X, w))
            if kymatio is not None:
                kymatio.stdin.write("run\n")
                kymatio.stdin.flush()
                row.update(json.loads(kymatio.stdout.readline()))
            rounds.append(row)
        if kymatio is not None:
            kymatio.stdin.close()
            kymatio.wait()
            theirs = np.load(paths[2]).reshape(args.n, -1)
            ours = est.vjp(X, w).reshape(args.n, -1)

    print(f"{args.n} images {args.size}x{args.size}, J={args.J}, L={args.L}, float32, {args.threads} thread(s), "
          f"{args.rounds} rounds; medians")
    print(f"{'step':<18}{'wall s':>9}{'CPU s':>9}")
    for name in rounds[0]:
        wall, cpu = (statistics.median(r[name][i] for r in rounds) for i in (0, 1))
        print(f"{name:<18}{wall:>9.3f}{cpu:>9.3f}")
    ratios = {"vjp / forward": ("vjp", "forward")}
    if kymatio is not None:
        ratios["kymatio fwd+bwd / vjp"] = ("kymatio fwd+bwd", "vjp")
        ratios["kymatio fwd+bwd / (forward + vjp)"] = ("kymatio fwd+bwd", "forward", "vjp")
    within = {}
    for label, (num, *den) in ratios.items():
        within[label] = [
            statistics.median(r[num][i] / sum(r[d][i] for d in den) for r in rounds) for i in (0, 1)
        ]
        print(f"{label:<36} wall {within[label][0]:5.2f}   CPU {within[label][1]:5.2f}")
    error = None
    if kymatio is not None:
        error = float(np.abs(ours - theirs).max() / np.abs(theirs).max())
        print(f"gradient vs kymatio torch: max |ours - theirs| / max |theirs| = {error:.1e}")
    if args.json:
        from result_file import write_result_file

        results = {
            name: {"rate": args.n / statistics.median(r[name][0] for r in rounds),
                   "cpu_s": statistics.median(r[name][1] for r in rounds)}
            for name in rounds[0]
        }
        results["vjp"].update(
            ratio_to_peer=within.get("kymatio fwd+bwd / vjp", [None])[0],
            over_forward=within["vjp / forward"][0],
            max_relative_difference=error,
        )
        settings = {k: getattr(args, k) for k in ("n", "size", "J", "L", "threads", "rounds")}
        write_result_file(args.json, benchmark="compare_kymatio_vjp", settings=settings, unit="img/s",
                          results=results, label=args.label)


if __name__ == "__main__":
    sys.exit(main())
