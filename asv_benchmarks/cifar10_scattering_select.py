"""Held-out comparison of variants of the CIFAR-10 scattering pipeline, on training images only.

Protocol (fixed, so that variants compare): fit on CIFAR-10 training images
0..9999 plus their augmented copies, score training images 45000..49999 (the
test set is never read).  For each variant the one-vs-all ridge of
:class:`skscatter.linear_model.BlockRidgeClassifier` (``standardize=True``)
is solved for a grid of penalties; the accuracy is reported on the held-out
images alone, averaged with their mirror images, and averaged over the same
shifts as the training augmentation.

The ridge is solved from accumulated moments rather than by refitting
BlockRidgeClassifier: each augmented copy of the fit images adds its Gram
matrix (about a fixed centre, so float32 products stay accurate) to a running
sum, so a larger augmentation set reuses the smaller one's sum.  ``--check``
refits BlockRidgeClassifier on the baseline to show that both agree.

Raw scattering maps (no log) are cached as float32 ``.npy`` files in
``--cache``; every non-linearity is applied to them afterwards.

    python asv_benchmarks/cifar10_scattering_select.py --stage shifts
    python asv_benchmarks/cifar10_scattering_select.py --stage nonlinear
"""

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from skscatter import ScatteringTransformer
from skscatter.datasets import fetch_cifar10

RGB_TO_YUV = np.array(
    [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]], dtype=np.float32
)
FIT = slice(0, 10000)
HELD = slice(45000, 50000)
ALPHAS = (1e3, 3e3, 1e4, 3e4, 1e5)


def shift(images, dy, dx, pad=4):
    """Translate the content by (dy, dx) pixels, the uncovered border filled by reflection."""
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    h, w = images.shape[1:3]
    return padded[:, pad - dy: pad - dy + h, pad - dx: pad - dx + w]


def augment(images, name):
    """``id``, ``flip``, ``x+2``, ``flip,y-4``, ...: the mirror image first, then the shift."""
    out = images
    for part in name.split(","):
        if part == "flip":
            out = out[:, :, ::-1]
        elif part != "id":
            axis, step = part[0], int(part[1:])
            out = shift(out, step if axis == "y" else 0, step if axis == "x" else 0)
    return np.ascontiguousarray(out)


class Features:
    """Raw scattering maps of augmented images, cached; non-linearities applied on read."""

    def __init__(self, cache, data_home):
        self.cache = Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.X, self.y = fetch_cifar10(data_home, subset="train", return_X_y=True)
        self.seconds_per_1000 = {}

    def raw(self, J, subset, name, upsample=1, max_order=2):
        tag = f"J{J}o{max_order}u{upsample}"
        path = self.cache / f"raw_{tag}_{subset}_{name}.npy"
        if path.exists():
            return np.load(path, mmap_mode="r")
        images = augment(self.X[FIT if subset == "fit" else HELD], name)
        yuv = (images.astype(np.float32) / 255.0) @ RGB_TO_YUV.T
        if upsample != 1:
            from scipy.ndimage import zoom

            yuv = zoom(yuv, (1, upsample, upsample, 1), order=1, grid_mode=True, mode="grid-mirror")
        side = 32 * upsample
        st = ScatteringTransformer(J=J, L=8, max_order=max_order, shape=(side, side), n_channels=3,
                                   channel_layout="last", n_jobs=1).fit(yuv[:1])
        start = time.perf_counter()
        S = st.transform(yuv.astype(np.float32))
        self.seconds_per_1000[tag] = 1000 * (time.perf_counter() - start) / len(yuv)
        print(f"    features {tag} {subset} {name}: {len(yuv)} images, "
              f"{self.seconds_per_1000[tag]:.2f} s per 1000", flush=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, S.astype(np.float32))
        os.replace(tmp, path)  # atomic: a concurrent run reads a whole file or computes its own
        return S

    def get(self, variant, subset, name):
        """Final float32 features of one variant."""
        kind = variant["kind"]
        if kind in ("log", "log+mean"):
            S = np.asarray(self.raw(3, subset, name))
            Z = np.log(np.abs(S) + np.float32(variant["eps"]))
            if kind == "log+mean":
                # Global average of each J=3 map (channel, path), then the same log.
                mean = np.abs(S).reshape(len(S), 3, 217, 16).mean(axis=-1).reshape(len(S), -1)
                Z = np.hstack([Z, np.log(mean + np.float32(variant["eps"]))])
            return Z.astype(np.float32, copy=False)
        if kind == "sqrt":
            return np.sqrt(np.abs(np.asarray(self.raw(3, subset, name)))).astype(np.float32)
        if kind == "log+J2":
            S3 = np.asarray(self.raw(3, subset, name))
            S2 = np.asarray(self.raw(2, subset, name, max_order=1))
            eps = np.float32(variant["eps"])
            return np.hstack([np.log(np.abs(S3) + eps), np.log(np.abs(S2) + eps)]).astype(np.float32)
        if kind == "log64":
            S = np.asarray(self.raw(4, subset, name, upsample=2))
            return np.log(np.abs(S) + np.float32(variant["eps"])).astype(np.float32)
        raise ValueError(kind)


class Moments:
    """Running sums over augmented copies: count, sum and Gram about a fixed centre, X^T Y."""

    def __init__(self, centre, n_classes=10):
        d = len(centre)
        self.centre = centre.astype(np.float32)
        self.n, self.s1 = 0, np.zeros(d)
        self.G = np.zeros((d, d))
        self.P, self.ysum = np.zeros((d, n_classes)), np.zeros(n_classes)

    def add(self, Z, y):
        Y = -np.ones((len(y), 10))
        Y[np.arange(len(y)), y] = 1.0
        for start in range(0, len(Z), 2000):
            b = Z[start: start + 2000] - self.centre
            self.G += b.T @ b  # float32 products, float64 sum
            self.s1 += b.sum(axis=0, dtype=np.float64)
            self.P += b.T.astype(np.float64) @ Y[start: start + 2000]
        self.n += len(y)
        self.ysum += Y.sum(axis=0)

    def solve(self, alphas):
        """Per alpha, (weights, intercept) as BlockRidgeClassifier(standardize=True) computes them."""
        m = self.s1 / self.n  # mean - centre
        ybar = self.ysum / self.n
        Gc = self.G - self.n * np.outer(m, m)
        Pc = self.P - np.outer(self.s1, ybar)
        var = np.diag(Gc) / self.n
        std = np.sqrt(np.maximum(var, 0))
        scale = np.where(std > 1e-12, std, 1.0)
        Gs = Gc / np.outer(scale, scale)
        Bs = Pc / scale[:, None]
        mean = m + self.centre
        out = {}
        for alpha in alphas:
            A = Gs.copy()
            A[np.diag_indices_from(A)] += alpha
            W = cho_solve(cho_factor(A, lower=True, overwrite_a=True, check_finite=False), Bs, check_finite=False)
            weights = W / scale[:, None]
            out[alpha] = (weights, ybar - mean @ weights)
            del A
        return out


def evaluate(features, variant, stages, alphas, label, check=False):
    """Accumulate the stages' fit copies in order, scoring after each stage; return rows of the table."""
    y_fit, y_held = features.y[FIT], features.y[HELD]
    rows, moments, seen_test = [], None, []
    held_scores = {}
    for stage_name, fit_names, test_names in stages:
        start = time.perf_counter()
        for name in fit_names:
            Z = features.get(variant, "fit", name)
            if moments is None:
                moments = Moments(Z.mean(axis=0))
            moments.add(Z, y_fit)
            del Z
        solutions = moments.solve(alphas)
        seen_test = seen_test + [n for n in test_names if n not in seen_test]
        for name in seen_test:
            if name not in held_scores:
                held_scores[name] = features.get(variant, "held", name)
        for alpha, (weights, intercept) in solutions.items():
            dec = {name: held_scores[name] @ weights + intercept for name in seen_test}

            def acc(names):
                return float(np.mean(sum(dec[n] for n in names).argmax(axis=1) == y_held))

            row = {"variant": f"{label} {stage_name}", "alpha": alpha, "n_fit": moments.n,
                   "d": len(weights), "held_out": acc(["id"]), "flip_avg": acc(["id", "flip"]),
                   "tta_avg": acc(seen_test)}
            rows.append(row)
            print(f"  {row['variant']:40s} alpha={alpha:8g} n={moments.n:6d} d={row['d']:6d} "
                  f"held-out {row['held_out']:.4f} flip-avg {row['flip_avg']:.4f} "
                  f"shift+flip-avg ({len(seen_test)}) {row['tta_avg']:.4f}", flush=True)
        print(f"  ({time.perf_counter() - start:.0f} s for this stage)", flush=True)
        if check:
            from skscatter.linear_model import BlockRidgeClassifier

            Z = np.vstack([features.get(variant, "fit", n) for n in fit_names])
            clf = BlockRidgeClassifier(alpha=alphas[0], standardize=True).fit(Z, np.tile(y_fit, len(fit_names)))
            ref = clf.decision_function(held_scores["id"])
            weights, intercept = solutions[alphas[0]]
            mine = held_scores["id"] @ weights + intercept
            print(f"  check against BlockRidgeClassifier: max |decision difference| "
                  f"{np.abs(ref - mine).max():.2e} (scores up to {np.abs(ref).max():.2f})", flush=True)
            check = False
    return rows


def flips_of(names):
    return [n for name in names for n in (name, f"flip,{name}")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", choices=["shifts", "nonlinear", "mean", "J2", "J2shifts", "up64", "time64"], required=True)
    parser.add_argument("--cache", default="/work/tmp/cifar21")
    parser.add_argument("--data-home", default=os.environ.get("SKSCATTER_DATA", "/work/shared/data"))
    parser.add_argument("--check", action="store_true", help="compare with BlockRidgeClassifier once")
    parser.add_argument("--out", default=None, help="JSON file for the table rows")
    args = parser.parse_args(argv)
    features = Features(args.cache, args.data_home)
    base = ("id + flips", ["id", "flip"], ["id", "flip"])
    log3 = {"kind": "log", "eps": 1e-3}
    if args.stage == "shifts":
        stages = [
            base,
            ("+ x+-2", flips_of(["x+2", "x-2"]), flips_of(["x+2", "x-2"])),
            ("+ y+-2", flips_of(["y+2", "y-2"]), flips_of(["y+2", "y-2"])),
            ("+ x+-4 y+-4", flips_of(["x+4", "x-4", "y+4", "y-4"]), []),
        ]
        rows = evaluate(features, log3, stages, ALPHAS, "log 1e-3", check=args.check)
    elif args.stage == "nonlinear":
        rows = []
        for label, variant in [("log 1e-4", {"kind": "log", "eps": 1e-4}), ("log 1e-2", {"kind": "log", "eps": 1e-2}),
                               ("sqrt", {"kind": "sqrt"}), ("log 1e-3 + global mean", {"kind": "log+mean", "eps": 1e-3})]:
            rows += evaluate(features, variant, [base], ALPHAS, label)
    elif args.stage == "mean":
        rows = evaluate(features, {"kind": "log+mean", "eps": 1e-3}, [base], ALPHAS, "log 1e-3 + global mean")
    elif args.stage == "J2":
        rows = evaluate(features, {"kind": "log+J2", "eps": 1e-3}, [base], ALPHAS, "log 1e-3 + J=2 order 1")
    elif args.stage == "J2shifts":
        moved = flips_of(["x+2", "x-2", "y+2", "y-2"])
        rows = evaluate(features, {"kind": "log+J2", "eps": 1e-3}, [base, ("+ x+-2 y+-2", moved, moved)],
                        (3e3, 1e4, 3e4), "log 1e-3 + J=2 order 1")
    elif args.stage == "up64":
        rows = evaluate(features, {"kind": "log64", "eps": 1e-3}, [base], ALPHAS, "64 px, J=4")
    else:
        rows = []
        features.raw(4, "held", "id", upsample=2)
    print("feature seconds per 1000 images (1 thread):", json.dumps(features.seconds_per_1000))
    if args.out:
        Path(args.out).write_text(json.dumps({"rows": rows, "seconds_per_1000": features.seconds_per_1000}, indent=1))


if __name__ == "__main__":
    main()
