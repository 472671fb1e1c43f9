"""Learning curve of the CIFAR-10 scattering example's ridge head, on training images only.

The features are those of ``examples/long_cifar10_scattering.py`` (YUV, log
scattering at ``J=3``, with ``--fine`` the first-order maps at ``J=2``);
the head is its one-vs-all ridge on standardised coefficients
(``--linear-head ridge``, ``BlockRidgeClassifier(standardize=True)``).  The model is fitted on the
first ``n`` training images and their mirror images, for growing ``n`` up to
45,000, and scored on training images 45,000..49,999 (the test set is never
read): alone, and with the decision averaged over each image and its mirror
image.  Each ``n`` keeps its best penalty of ``--alphas``.

Only one pass over the images is needed: the ridge is solved from running
moments (the ``Moments`` of ``cifar10_scattering_select.py``), and the
moments of the first ``n`` images are a prefix of the pass.

    python asv_benchmarks/cifar10_scattering_learning_curve.py --fine --out curve.json \
        [--record docs/recorded/long_cifar10_scattering.json]

``--record`` puts the curve into the example's recorded run (the file its
``--json`` writes), which the documentation draws.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

from skscatter.datasets import fetch_cifar10

HERE = Path(__file__).resolve().parent
HELD = slice(45000, 50000)


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def add_to_record(path, spec, argv=None):
    """Set the ``learning_curves`` series of the recorded run in ``path`` and say where it came from."""
    record = json.loads(Path(path).read_text())
    argv = sys.argv[1:] if argv is None else argv
    record["learning_curves"] = spec
    note = f"learning_curves from python asv_benchmarks/{Path(__file__).name} {' '.join(argv)}"
    record["provenance"] = "; ".join(p for p in record.get("provenance", "").split("; ") if "learning_curves from" not in p)
    record["provenance"] += f"; {note}"
    Path(path).write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fine", action="store_true", help="as the example's --fine")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000, 20000, 45000])
    parser.add_argument("--alphas", type=float, nargs="+", default=[3e3, 1e4, 3e4])
    parser.add_argument("--chunk", type=int, default=2500, help="images per featurised block")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the curve (the recorded layout)")
    parser.add_argument("--record", type=Path, default=None,
                        help="also set the learning_curves series of this recorded run of the example")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent / "examples"))
    example = _load(HERE.parent / "examples" / "long_cifar10_scattering.py", "long_cifar10_scattering")
    select = _load(HERE / "cifar10_scattering_select.py", "cifar10_scattering_select")
    sizes = sorted(args.sizes)
    if sizes[-1] > HELD.start or any(n % args.chunk for n in sizes):
        raise ValueError(f"--sizes must be multiples of --chunk={args.chunk} up to {HELD.start}; got {sizes}.")

    start = time.perf_counter()
    X, y = fetch_cifar10(args.data_home or example.default_data_home(), subset="train", return_X_y=True)
    features = example.make_features(fine=args.fine).fit(X[:1])
    held = [features.transform(example.make_copy(X[HELD], mirror, 0, 0)) for mirror in (False, True)]
    y_held = y[HELD]
    moments, rows = None, []
    for s in range(0, sizes[-1], args.chunk):
        block = slice(s, s + args.chunk)
        for mirror in (False, True):
            Z = features.transform(example.make_copy(X[block], mirror, 0, 0))
            if moments is None:
                moments = select.Moments(Z.mean(axis=0))
            moments.add(Z, y[block])
        n = s + args.chunk
        if n not in sizes:
            continue
        best = None
        for alpha, (weights, intercept) in moments.solve(args.alphas).items():
            dec = [Z @ weights + intercept for Z in held]
            single = float(np.mean(dec[0].argmax(axis=1) == y_held))
            averaged = float(np.mean((dec[0] + dec[1]).argmax(axis=1) == y_held))
            print(f"  n={n:6d} (+ mirror images) alpha={alpha:g}: held-out {single:.4f}, "
                  f"flip-averaged {averaged:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
            if best is None or averaged > best["flip_averaged"]:
                best = {"n_train": n, "alpha": alpha, "held_out": single, "flip_averaged": averaged}
        rows.append(best)
    seconds = time.perf_counter() - start
    print(f"{len(held[0][0])} features; {seconds:.0f} s in all")
    for row in rows:
        print(f"  n={row['n_train']:6d}: alpha={row['alpha']:g}, held-out {row['held_out']:.4f}, "
              f"flip-averaged {row['flip_averaged']:.4f}")
    curves = {
        label: {"n_train": [r["n_train"] for r in rows], "value": [round(100 * r[key], 2) for r in rows]}
        for label, key in (("ridge head, mirror images averaged", "flip_averaged"), ("ridge head, one image", "held_out"))
    }
    spec = {"x": "training images (each with its mirror image)",
            "metric": "accuracy on training images 45,000-49,999", "unit": "%", "curves": curves}
    if args.out is not None:
        chosen = {str(r["n_train"]): r["alpha"] for r in rows}
        args.out.write_text(json.dumps({"learning_curves": spec, "alphas": chosen, "seconds": round(seconds)},
                                       indent=1))
    if args.record is not None:
        add_to_record(args.record, spec, argv)
    return rows


if __name__ == "__main__":
    main()
