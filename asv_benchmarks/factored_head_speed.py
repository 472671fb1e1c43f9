"""Time of FactoredLinearClassifier at the authors' CIFAR-10 size, on random codes.

4096 channels (2048 atoms, two signs) on a 6 x 6 map, float16, bottleneck
128, batches of 128: the statistics pass and one epoch (``fit`` with
``max_iter=1``, profiled), then ``predict``, on ``--rows`` random rows.

    OPENBLAS_NUM_THREADS=1 python asv_benchmarks/factored_head_speed.py --rows 1024
"""

import argparse
import cProfile
import pstats
import time

import numpy as np

from skscatter.linear_model import FactoredLinearClassifier


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--channels", type=int, default=4096)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = (rng.random((args.rows, args.channels * 36)) < 0.4).astype(np.float16) * np.float16(0.2)
    y = rng.integers(0, 10, args.rows)
    clf = FactoredLinearClassifier(n_components=128, map_shape=(args.channels, 6, 6), max_iter=1, random_state=0)
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.runcall(clf.fit, X, y)
    fit = time.perf_counter() - start
    stats = pstats.Stats(profile)
    statistics = next(v[3] for k, v in stats.stats.items() if k[2] == "_channel_statistics")
    start = time.perf_counter()
    clf.predict(X)
    predict = time.perf_counter() - start
    print(
        f"{args.rows} rows: fit {fit:.2f} s (statistics pass {statistics:.2f} s, one epoch {fit - statistics:.2f} s), "
        f"predict {predict:.2f} s"
    )


if __name__ == "__main__":
    main()
