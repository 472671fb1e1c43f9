"""FactoredLinearClassifier: the factored linear head, its gradient, its streaming and its limits."""

import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from skscatter import WhitenedPatchKNNEncoder
from skscatter.linear_model import FactoredLinearClassifier
from skscatter.linear_model import _factored as factored


def make_maps(n, map_shape, n_classes, seed, noise=1.0):
    """Maps whose class shifts a few channels at a few positions, with offsets and uneven channel scales."""
    rng = np.random.default_rng(seed)
    C, H, W = map_shape
    y = rng.integers(0, n_classes, n)
    y[:n_classes] = np.arange(n_classes)
    signal = rng.normal(size=(n_classes, C, H, W))
    X = signal[y] + noise * rng.normal(size=(n, C, H, W))
    X = X * rng.uniform(0.3, 3.0, C)[:, None, None] + rng.uniform(-2, 5, C)[:, None, None]
    return X.reshape(n, -1), y


def naive_scores(clf, X):
    """The model as described: standardise, bottleneck at every position, valid k x k convolution, mean."""
    C, H, W = clf.map_shape_
    if clf.channel_layout == "first":
        maps = X.reshape(-1, C, H, W)
    else:
        maps = X.reshape(-1, H, W, C).transpose(0, 3, 1, 2)
    maps = (maps - clf.mean_[:, None, None]) / clf.scale_[:, None, None]
    A, B, b = (a.astype(np.float64) for a in (clf.components_, clf.kernel_, clf.intercept_))
    K, R, kh, kw = B.shape
    scores = np.zeros((len(X), K))
    for i, m in enumerate(maps):
        z = np.einsum("chw,cr->rhw", m, A)
        outputs = []
        for u in range(H - kh + 1):
            for v in range(W - kw + 1):
                outputs.append(np.einsum("krde,rde->k", B, z[:, u : u + kh, v : v + kw]))
        scores[i] = np.mean(outputs, axis=0) + b
    return scores


@pytest.mark.parametrize("n_classes", [2, 4])
def test_gradient_equals_central_differences(n_classes, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    m, P, C, R = 7, 4, 5, 3
    A = rng.normal(size=(C, R))
    Bf = rng.normal(size=(n_classes, P * R))
    b = rng.normal(size=n_classes)
    Xw = rng.normal(size=(m, P, C))
    y = rng.integers(0, n_classes, m)
    alpha = 0.3
    _, grads = factored._loss_and_grad(A, Bf, b, Xw, y, alpha)
    params = [A, Bf, b]
    h = 1e-6
    for which, (p, g) in enumerate(zip(params, grads)):
        numeric = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            values = []
            for step in (h, -h):
                moved = [q.copy() for q in params]
                moved[which][idx] += step
                values.append(factored._loss_and_grad(*moved, Xw, y, alpha)[0])
            numeric[idx] = (values[0] - values[1]) / (2 * h)
        assert g.dtype == np.float64
        assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_zero_weights_are_stationary_so_the_kernel_starts_small_but_not_zero(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    Xw = rng.normal(size=(10, 4, 5))
    y = rng.integers(0, 3, 10)
    y[:3] = [0, 1, 2]
    _, (gA, gB, gb) = factored._loss_and_grad(np.zeros((5, 2)), np.zeros((3, 8)), np.zeros(3), Xw, y, 0.1)
    assert_array_equal(gA, 0.0)
    assert_array_equal(gB, 0.0)
    assert np.abs(gb).max() > 0  # only the intercepts could move from there

    X, y = make_maps(60, (3, 2, 2), 3, global_random_seed)
    # A step of 1e-12 leaves the initial weights: nonzero, with near-uniform probabilities.
    start = FactoredLinearClassifier(
        n_components=4, map_shape=(3, 2, 2), learning_rate=1e-12, max_iter=1, random_state=0
    )
    start = start.fit(X, y)
    assert np.abs(start.components_).min() > 0
    assert 1e-5 < np.abs(start.kernel_).max() < 0.1  # small, but not a zero the first step would have moved
    assert np.abs(start.predict_proba(X) - 1 / 3).max() < 0.05
    trained = clone(start).set_params(learning_rate=0.05, max_iter=10).fit(X, y)
    assert np.abs(trained.components_ - start.components_).max() > 1e-3
    assert np.abs(trained.kernel_ - start.kernel_).max() > 1e-3
    assert trained.loss_curve_[-1] < 0.8 * trained.loss_curve_[0]


@pytest.mark.parametrize("channel_layout", ["first", "last"])
@pytest.mark.parametrize("kernel_size", [None, 1, 2, 3])
def test_scores_are_the_described_convolution(channel_layout, kernel_size, global_random_seed):
    map_shape = (3, 4, 5)  # H != W, and k dividing neither
    X, y = make_maps(40, map_shape, 3, global_random_seed)
    clf = FactoredLinearClassifier(
        n_components=2,
        map_shape=map_shape,
        channel_layout=channel_layout,
        kernel_size=kernel_size,
        learning_rate=0.05,
        max_iter=3,
        batch_size=8,
        random_state=0,
    ).fit(X, y)
    k = (4, 5) if kernel_size is None else (kernel_size, kernel_size)
    assert clf.kernel_shape_ == k and clf.kernel_.shape == (3, 2, *k)
    reference = naive_scores(clf, X)
    assert_allclose(clf.decision_function(X), reference, rtol=1e-10, atol=1e-10)
    coef, intercept = clf.linear_coefficients()
    assert coef.shape == (3, 60)
    assert_allclose(X @ coef.T + intercept, reference, rtol=1e-10, atol=1e-10)


def test_channel_last_is_channel_first_transposed(global_random_seed):
    X, y = make_maps(50, (3, 4, 4), 3, global_random_seed)
    last = X.reshape(-1, 3, 4, 4).transpose(0, 2, 3, 1).reshape(50, -1)
    params = dict(n_components=3, map_shape=(3, 4, 4), kernel_size=2, learning_rate=0.05, max_iter=5, random_state=1)
    a = FactoredLinearClassifier(**params).fit(X, y)
    b = FactoredLinearClassifier(channel_layout="last", **params).fit(last, y)
    assert_allclose(a.mean_, b.mean_, rtol=1e-12)
    assert_allclose(a.kernel_, b.kernel_, rtol=1e-4, atol=1e-6)
    assert_allclose(a.decision_function(X), b.decision_function(last), rtol=1e-4, atol=1e-5)


def test_binary_scores_and_probabilities(global_random_seed):
    X, y = make_maps(60, (4, 1, 1), 2, global_random_seed)
    labels = np.array(["no", "yes"])[y]
    clf = FactoredLinearClassifier(n_components=2, learning_rate=0.05, max_iter=10, random_state=0).fit(X, labels)
    scores = naive_scores(clf, X)
    assert_allclose(clf.decision_function(X), scores[:, 1] - scores[:, 0], rtol=1e-10, atol=1e-10)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_allclose(np.log(proba), clf.predict_log_proba(X), rtol=1e-10, atol=1e-10)
    assert_array_equal(clf.predict(X), np.where(clf.decision_function(X) > 0, "yes", "no"))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_whole_map_wide_bottleneck_is_logistic_regression(n_classes, global_random_seed):
    # With the kernel over the whole map and n_components >= C, the model is
    # an unconstrained multinomial logistic regression on the standardised
    # data.  The weight decay is then a trace-norm penalty (not sklearn's
    # squared one), so both are compared at a penalty too small to matter:
    # LogisticRegression minimises C sum(CE) + ||W||^2 / 2, i.e. mean CE +
    # ||W||^2 / (2 C n), and C = 1 / (alpha n) matches alpha's scaling.
    X, y = make_maps(600, (5, 1, 1), n_classes, global_random_seed, noise=2.5)  # classes overlap
    X_train, y_train, X_test = X[:400], y[:400], X[400:]
    alpha = 1e-5
    clf = FactoredLinearClassifier(
        n_components=5, alpha=alpha, learning_rate=0.05, max_iter=160, batch_size=32, random_state=0
    ).fit(X_train, y_train)
    scaler = StandardScaler().fit(X_train)
    assert_allclose(clf.mean_, scaler.mean_, rtol=1e-12)
    assert_allclose(clf.scale_, scaler.scale_, rtol=1e-12)
    ref = LogisticRegression(C=1 / (alpha * 400), tol=1e-10, max_iter=10_000).fit(scaler.transform(X_train), y_train)
    best = log_loss(y_train, ref.predict_proba(scaler.transform(X_train)))
    ours = log_loss(y_train, clf.predict_proba(X_train))
    assert best > 0.2  # not separable: the optimum is finite
    assert ours - best < 1e-3 * best, (ours, best)
    agree = np.mean(clf.predict(X_test) == ref.predict(scaler.transform(X_test)))
    assert agree >= 0.97, agree
    if n_classes == 3:  # the comparison can fail: a rank-1 bottleneck cannot reach the optimum
        narrow = clone(clf).set_params(n_components=1).fit(X_train, y_train)
        assert log_loss(y_train, narrow.predict_proba(X_train)) - best > 3e-3 * best


def test_same_random_state_same_model_and_another_differs(global_random_seed):
    X, y = make_maps(80, (4, 3, 3), 3, global_random_seed)
    params = dict(n_components=3, map_shape=(4, 3, 3), kernel_size=2, learning_rate=0.05, max_iter=4, batch_size=16)
    a = FactoredLinearClassifier(random_state=5, **params).fit(X, y)
    b = FactoredLinearClassifier(random_state=5, **params).fit(X, y)
    c = FactoredLinearClassifier(random_state=6, **params).fit(X, y)
    for name in ("components_", "kernel_", "intercept_"):
        assert_array_equal(getattr(a, name), getattr(b, name))
        assert np.abs(getattr(a, name) - getattr(c, name)).max() > 1e-4
    assert a.loss_curve_ == b.loss_curve_
    # A RandomState instance is accepted too (and consumed, as in scikit-learn).
    d = FactoredLinearClassifier(random_state=np.random.RandomState(0), **params).fit(X, y)
    assert np.all(np.isfinite(d.kernel_))


def test_float16_memmap_equals_float32_array(tmp_path, global_random_seed):
    X, y = make_maps(90, (6, 2, 2), 3, global_random_seed)
    X16 = X.astype(np.float16)
    mm = np.memmap(tmp_path / "codes.f16", dtype=np.float16, mode="w+", shape=X16.shape)
    mm[:] = X16
    mm.flush()
    mm = np.memmap(tmp_path / "codes.f16", dtype=np.float16, mode="r", shape=X16.shape)  # read-only: never written
    params = dict(n_components=4, map_shape=(6, 2, 2), learning_rate=0.05, max_iter=3, batch_size=10, block_size=25)
    a = FactoredLinearClassifier(random_state=0, **params).fit(mm, y)
    b = FactoredLinearClassifier(random_state=0, **params).fit(X16.astype(np.float32), y)
    assert_array_equal(a.mean_, b.mean_)
    for name in ("components_", "kernel_", "intercept_"):
        assert_array_equal(getattr(a, name), getattr(b, name))
    assert_array_equal(a.decision_function(mm), b.decision_function(X16.astype(np.float32)))


def test_block_size_sets_the_sampling_order_as_documented(global_random_seed):
    X, y = make_maps(120, (4, 2, 2), 3, global_random_seed)
    params = dict(n_components=3, map_shape=(4, 2, 2), learning_rate=0.05, max_iter=8, batch_size=16, random_state=0)
    # Any block_size >= n_samples: one block, one uniform shuffle of all rows.
    whole = FactoredLinearClassifier(block_size=120, **params).fit(X, y)
    larger = FactoredLinearClassifier(block_size=10_000, **params).fit(X, y)
    assert_array_equal(whole.kernel_, larger.kernel_)
    # Smaller blocks: another sampling order, so other weights, of similar quality.
    small = FactoredLinearClassifier(block_size=7, **params).fit(X, y)
    assert np.abs(small.kernel_ - whole.kernel_).max() > 1e-4
    assert abs(small.loss_curve_[-1] - whole.loss_curve_[-1]) < 0.2 * whole.loss_curve_[-1] + 0.02
    assert_allclose(small.mean_, whole.mean_, rtol=1e-12)  # the statistics do not depend on the blocks


@pytest.mark.parametrize("n, block, batch", [(50, 7, 4), (50, 7, 9), (33, 100, 8), (10, 3, 1)])
def test_each_epoch_visits_every_row_once_in_contiguous_blocks(n, block, batch):
    layout = factored._Layout((1, 1, 1), (1, 1), "first", np.zeros(1), np.ones(1))
    X = np.arange(n, dtype=np.float64)[:, None]
    rng = np.random.default_rng(0)
    epochs = []
    for _ in range(2):
        batches = list(factored._minibatches(X, np.arange(n), block, batch, layout, rng))
        rows = np.concatenate([yb for _, yb in batches])
        assert_array_equal(np.sort(rows), np.arange(n))
        for Xb, yb in batches:  # the windows travel with their labels
            assert_array_equal(Xb[:, 0, 0], yb.astype(np.float32))
        assert all(len(yb) == batch for _, yb in batches[:-1]) and 0 < len(batches[-1][1]) <= batch
        epochs.append(rows)
    if n > 10:
        assert not np.array_equal(epochs[0], epochs[1])  # a new order every epoch


class _RecordingArray(np.ndarray):
    """An array that records the row ranges read from it."""

    def __getitem__(self, key):
        if isinstance(key, slice):
            self.reads.append((key.start, key.stop))
        return np.asarray(super().__getitem__(key))


def test_rows_are_read_by_contiguous_blocks():
    n, block = 40, 6
    X = np.arange(n, dtype=np.float64)[:, None].view(_RecordingArray)
    X.reads = []
    layout = factored._Layout((1, 1, 1), (1, 1), "first", np.zeros(1), np.ones(1))
    list(factored._minibatches(X, np.arange(n), block, 5, layout, np.random.default_rng(0)))
    expected = [(s, min(s + block, n)) for s in range(0, n, block)]
    assert sorted(X.reads) == expected and X.reads != expected  # each block once, in a shuffled order


@pytest.mark.parametrize("channel_layout", ["first", "last"])
def test_shift_maps_translates_each_map_and_fills_with_the_channel_means(channel_layout, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    C, H, W, m = 3, 4, 5, 12
    maps = rng.normal(size=(m, C, H, W))
    mean = rng.normal(size=C)
    layout = factored._Layout((C, H, W), (H, W), channel_layout, mean, np.ones(C))
    shifts = rng.integers(-2, 3, size=(m, 2))
    rows = maps if channel_layout == "first" else maps.transpose(0, 2, 3, 1)
    out = factored._shift_maps(rows.reshape(m, -1), layout, shifts)
    out = out.reshape(rows.shape) if channel_layout == "first" else out.reshape(rows.shape).transpose(0, 3, 1, 2)
    for i, (dy, dx) in enumerate(shifts):
        for y in range(H):
            for x in range(W):
                inside = 0 <= y - dy < H and 0 <= x - dx < W
                assert_array_equal(out[i, :, y, x], maps[i, :, y - dy, x - dx] if inside else mean)


def test_max_shift_draws_a_shift_per_row_after_the_block_order(global_random_seed):
    # The documented sampling: per block, the row order, then one (dy, dx)
    # per row in [-max_shift, max_shift]; the windows are those of the
    # shifted, standardised maps.
    C, H, W, n = 2, 3, 3, 20
    X, y = make_maps(n, (C, H, W), 2, global_random_seed)
    mean, scale = X.reshape(n, C, -1).mean(axis=(0, 2)), np.full(C, 2.0)
    layout = factored._Layout((C, H, W), (H, W), "first", mean, scale)
    got = list(factored._minibatches(X, y, 8, 5, layout, np.random.default_rng(1), max_shift=1))
    rng = np.random.default_rng(1)
    expected_rows, expected_y = [], []
    for i in rng.permutation(3):  # blocks of 8, 8 and 4 rows
        s = slice(8 * i, min(8 * i + 8, n))
        order = rng.permutation(s.stop - s.start)
        shifts = rng.integers(-1, 2, size=(len(order), 2))
        expected_rows.append(factored._shift_maps(X[s][order], layout, shifts))
        expected_y.append(y[s][order])
    windows = layout.windows(np.concatenate(expected_rows)).astype(np.float32)
    assert_array_equal(np.concatenate([Xb for Xb, _ in got]), windows)
    assert_array_equal(np.concatenate([yb for _, yb in got]), np.concatenate(expected_y))
    # Some rows moved: the shifted windows differ from the plain ones.
    plain = list(factored._minibatches(X, y, 8, 5, layout, np.random.default_rng(1)))
    assert not np.array_equal(np.concatenate([Xb for Xb, _ in plain]), windows)


def test_max_shift_teaches_a_translated_pattern(global_random_seed):
    # A class is a bump at one cell of an 8 x 8 map during training; test
    # maps carry it one cell away.  Only the head trained on shifted maps
    # has seen the bump there (the kernel covers the whole map: no weight
    # sharing across positions).
    rng = np.random.default_rng(global_random_seed)

    def bumps(n, offset):
        y = np.arange(n) % 2
        X = 0.3 * rng.normal(size=(n, 1, 8, 8))
        X[y == 1, 0, 3 + offset, 3 + offset] += 3.0
        X[y == 0, 0, 5 + offset, 2 + offset] += 3.0
        return X.reshape(n, -1), y

    X, y = bumps(400, 0)
    X_test, y_test = bumps(200, 1)
    params = dict(n_components=4, map_shape=(1, 8, 8), learning_rate=0.05, max_iter=20, batch_size=20,
                  random_state=0)
    plain = FactoredLinearClassifier(**params).fit(X, y)
    shifted = FactoredLinearClassifier(max_shift=1, **params).fit(X, y)
    assert plain.score(X, y) > 0.95 and shifted.score(X, y) > 0.95
    assert shifted.score(X_test, y_test) > 0.9 > plain.score(X_test, y_test) + 0.2


def test_step_schedule_follows_the_authors():
    lrs = [factored._step_size(3e-3, e, 80) for e in range(80)]
    assert_allclose(lrs[:50], 3e-3)
    assert_allclose(lrs[50:75], 3e-4)
    assert_allclose(lrs[75:], 3e-5)
    assert factored._step_size(1.0, 0, 1) == 1.0  # one epoch: the initial rate


def test_fit_is_the_documented_sgd(global_random_seed):
    # The optimiser written out in float64 from the docstrings (initialisation
    # from a Generator seeded by random_state, one block: a uniform shuffle per
    # epoch, heavy-ball momentum, weight decay, the step schedule), against
    # the estimator's float32 run.
    X, y = make_maps(30, (4, 1, 1), 3, global_random_seed)
    n, C, R, K, batch, momentum, alpha, lr0, epochs = 30, 4, 2, 3, 7, 0.9, 0.1, 0.2, 8
    clf = FactoredLinearClassifier(
        n_components=R, alpha=alpha, learning_rate=lr0, momentum=momentum, max_iter=epochs, batch_size=batch,
        random_state=3,
    ).fit(X, y)
    rng = np.random.default_rng(3)
    A = (rng.standard_normal((C, R)) / np.sqrt(C)).astype(np.float32).astype(np.float64)
    B = (rng.standard_normal((K, R)) * (factored._KERNEL_INIT_SCALE / np.sqrt(R))).astype(np.float32)
    B = B.astype(np.float64)
    b = np.zeros(K)
    vA, vB, vb = np.zeros_like(A), np.zeros_like(B), np.zeros_like(b)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    losses = []
    for epoch in range(epochs):
        lr = lr0 * (1.0 if epoch < 5 else 0.1 if epoch < 8 else 0.01)  # ceil(5/8 * 8) = 5, ceil(15/16 * 8) = 8
        rng.permutation(1)  # the order of the one block
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            x, t = Xs[rows], np.eye(K)[y[rows]]
            z = x @ A
            s = z @ B.T + b
            p = np.exp(s - s.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            total += -np.sum(np.log(np.sum(p * t, axis=1))) + len(rows) * alpha / 2 * (np.sum(A**2) + np.sum(B**2))
            g = (p - t) / len(rows)
            gA, gB, gb = x.T @ (g @ B) + alpha * A, g.T @ z + alpha * B, g.sum(axis=0)
            vA, vB, vb = momentum * vA + gA, momentum * vB + gB, momentum * vb + gb
            A, B, b = A - lr * vA, B - lr * vB, b - lr * vb
        losses.append(total / n)
    assert_allclose(clf.components_, A, rtol=1e-4, atol=1e-5)
    assert_allclose(clf.kernel_[:, :, 0, 0], B, rtol=1e-4, atol=1e-5)
    assert_allclose(clf.intercept_, b, rtol=1e-4, atol=1e-5)
    assert_allclose(clf.loss_curve_, losses, rtol=1e-5)


def test_fit_follows_the_schedule_and_reports_each_epoch(capsys):
    X, y = make_maps(30, (2, 1, 1), 2, 0)
    clf = FactoredLinearClassifier(learning_rate=0.5, max_iter=16, verbose=1, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 16 == len(clf.loss_curve_) == clf.n_iter_
    rates = [float(line.split("learning rate ")[1].split(",")[0]) for line in lines]
    assert_allclose(rates, [0.5] * 10 + [0.05] * 5 + [0.005])  # x0.1 after 10 = 5/8 and 15 = 15/16 of 16
    assert lines[-1].startswith("Epoch 16/16") and f"loss = {clf.loss_curve_[-1]:.6f}" in lines[-1]


def test_fit_memory_is_bounded_by_the_blocks():
    # X: 4000 x 300 float32 (4.8 MB); a block of 200 rows in float64 0.48 MB.
    rng = np.random.default_rng(0)
    n, d, block = 4000, 300, 200
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, 5, n)
    params = dict(n_components=8, map_shape=(75, 2, 2), max_iter=1, batch_size=64, block_size=block, random_state=0)
    FactoredLinearClassifier(**params).fit(X[:300], y[:300])  # imports and caches outside the measure
    tracemalloc.start()
    try:
        clf = FactoredLinearClassifier(**params).fit(X, y)
        clf.predict(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A few blocks in float64 and their float32 windows, per-sample labels and predictions.
    bound = 5 * block * d * 8 + 20 * n * 8
    assert peak < bound < X.nbytes, (peak, bound)


def test_digits_through_the_patch_encoder():
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    encoder = WhitenedPatchKNNEncoder(
        patch_size=3, n_patches=64, shape=(8, 8), pooling="window", pool_size=3, pool_stride=2, random_state=0
    ).fit(X[:1200])
    assert encoder.pooled_shape_ == (3, 3)
    # The encoder's features are (sign, atom, y, x) in C order: channel first.
    names = encoder.get_feature_names_out().reshape(2 * 64, 3, 3)
    assert names[64 + 5, 2, 1] == "neg_a5_y2_x1" and names[7, 0, 2] == "pos_a7_y0_x2"
    codes = encoder.transform(X).astype(np.float16)
    head = FactoredLinearClassifier(
        n_components=16,
        map_shape=(2 * 64, *encoder.pooled_shape_),
        learning_rate=0.01,
        max_iter=40,
        batch_size=32,
        random_state=0,
    ).fit(codes[:1200], y[:1200])
    accuracy = head.score(codes[1200:], y[1200:])
    print(f"digits, 64 atoms, 3 x 3 map, held-out accuracy {accuracy:.4f}")
    assert accuracy > 0.93, accuracy


def test_pickle_clone_and_set_params_after_fit(global_random_seed):
    X, y = make_maps(40, (3, 2, 2), 3, global_random_seed)
    clf = FactoredLinearClassifier(n_components=2, map_shape=(3, 2, 2), kernel_size=1, max_iter=2, random_state=0)
    clf.fit(X, y)
    before = clf.decision_function(X)
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.decision_function(X), before)
    fresh = clone(clf)
    assert fresh.get_params() == clf.get_params() and not hasattr(fresh, "kernel_")
    clf.set_params(map_shape=(12, 1, 1), channel_layout="last", kernel_size=None, n_components=9)
    assert_array_equal(clf.decision_function(X), before)
    assert_allclose(clf.linear_coefficients()[0], again.linear_coefficients()[0])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(map_shape=(3, 2, 3)), "map_shape=\\(3, 2, 3\\) holds C \\* H \\* W = 18 values, but X has 12 features"),
        (dict(map_shape=(3, 4)), "map_shape=\\(3, 4\\) is not three positive ints \\(C, H, W\\)"),
        (dict(map_shape=(3, 0, 4)), "map_shape=\\(3, 0, 4\\) is not three positive ints"),
        (dict(map_shape=(3, 2, 2), kernel_size=3), "kernel_size=3 is larger than the map, .* use kernel_size <= 2"),
        (dict(n_components=0), "'n_components' parameter .* must be an int in the range \\[1, inf\\)"),
        (dict(learning_rate=0.0), "'learning_rate' parameter .* must be a float in the range \\(0.0, inf\\)"),
        (dict(momentum=1.0), "'momentum' parameter .* must be a float in the range \\[0.0, 1.0\\)"),
        (dict(map_shape=(3, 2, 2), max_shift=2), "max_shift=2 would shift whole maps .* use max_shift <= 1"),
        (dict(max_shift=-1), "'max_shift' parameter .* must be an int in the range \\[0, inf\\)"),
        (dict(alpha=-1.0), "'alpha' parameter"),
        (dict(channel_layout="middle"), "'channel_layout' parameter .* must be a str among"),
        (dict(block_size=0), "'block_size' parameter"),
        (dict(batch_size=True), "'batch_size' parameter"),
        (dict(map_shape=[3, 2, 2]), "'map_shape' parameter .* must be an instance of 'tuple' or None"),
    ],
)
def test_bad_parameters_are_named(params, match):
    X, y = make_maps(20, (3, 2, 2), 2, 0)
    with pytest.raises(ValueError, match=match):
        FactoredLinearClassifier(**params).fit(X, y)


def test_non_finite_input_is_refused_in_fit_and_predict():
    X, y = make_maps(30, (2, 2, 2), 2, 0)
    bad = X.copy()
    bad[17, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or infinity \\(first in row 17\\); remove or impute"):
        FactoredLinearClassifier(block_size=4).fit(bad, y)
    clf = FactoredLinearClassifier(max_iter=1, random_state=0).fit(X, y)
    bad[17, 2] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity \\(first in row 17\\)"):
        clf.predict_proba(bad)


def test_divergence_and_other_hostile_fits_are_one_clear_error():
    X, y = make_maps(40, (3, 1, 1), 3, 0)
    with pytest.raises(ValueError, match="SGD diverged in epoch [12] .* learning_rate=1e\\+30; lower learning_rate"):
        FactoredLinearClassifier(learning_rate=1e30, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="y has only one class \\('a'\\)"):
        FactoredLinearClassifier().fit(X, ["a"] * 40)
    clf = FactoredLinearClassifier(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but FactoredLinearClassifier is expecting 3"):
        clf.predict(X[:, :2])
    # Huge but finite float64 values: squares past float64 are one error naming the size ...
    overflow = "channel statistics of X overflowed float64 \\(max \\|X\\| = .*\\); rescale X"
    with pytest.raises(ValueError, match=overflow):
        FactoredLinearClassifier().fit(X * 1e200, y)
    # ... and below that, the standardisation (in float64, before float32) takes them in its stride.
    big = FactoredLinearClassifier(learning_rate=0.05, max_iter=5, random_state=0).fit(X * 1e150, y)
    ref = FactoredLinearClassifier(learning_rate=0.05, max_iter=5, random_state=0).fit(X, y)
    assert_allclose(big.kernel_, ref.kernel_, rtol=1e-4, atol=1e-6)
    assert_array_equal(big.predict(X * 1e150), ref.predict(X))
    # float32 rows that centring in float32 would overflow (3e38 minus a mean
    # near -2.4e38) are standardised in float64.
    X32 = np.where(np.arange(40)[:, None] % 10 == 0, 3e38, -3e38).astype(np.float32) * np.ones(3, np.float32)
    big32 = FactoredLinearClassifier(learning_rate=0.05, max_iter=2, random_state=0).fit(X32, y)
    assert np.all(np.isfinite(big32.decision_function(X32)))
