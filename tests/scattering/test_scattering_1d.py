"""Scattering1DTransformer against its references: kymatio's golden values, kymatio 0.3, and the definition."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skscatter import Scattering1DTransformer
from skscatter.scattering._morlet_1d import band_windows, morlet_1d, morlet_1d_bank, wavelet_parameters

# Made by asv_benchmarks/make_kymatio_1d_reference.py from kymatio 0.3.0.
REFERENCE = Path(__file__).parent / "data" / "kymatio_0.3_scattering1d.npz"


@pytest.fixture(scope="module")
def golden(data_dir):
    path = data_dir / "golden" / "kymatio_scattering1d.npz"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return dict(np.load(path, allow_pickle=False))


@pytest.fixture(scope="module")
def kymatio_03():
    data = dict(np.load(REFERENCE, allow_pickle=False))
    return json.loads(str(data.pop("configs"))), data


def _relative_error(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


# -- agreement with the references --------------------------------------------


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_kymatio_golden_output(golden, backend, dtype):
    x, J, Q, Sx = golden["x"], int(golden["J"]), int(golden["Q"]), golden["Sx"]
    est = Scattering1DTransformer(J=J, Q=Q, backend=backend)
    out = est.fit_transform(x.astype(dtype))
    assert out.dtype == dtype
    assert (est.n_paths_, est.output_length_) == Sx.shape[1:]
    assert _relative_error(out.reshape(Sx.shape), Sx) < 1e-5


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_kymatio_03_on_other_configurations(kymatio_03, case, backend):
    configs, data = kymatio_03
    J, Q, T, length, max_order, oversampling = configs[case]
    Q = tuple(Q) if isinstance(Q, list) else Q
    x = data[f"x_{case}"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the shortest signals warn of border effects
        est = Scattering1DTransformer(J=J, Q=Q, T=T, max_order=max_order, oversampling=oversampling, backend=backend)
        out = est.fit_transform(x).reshape(len(x), est.n_paths_, est.output_length_)
    # kymatio with its aliased filter copies summed: the same definition.
    assert _relative_error(out, data[f"sum_{case}"]) < 1e-10
    # kymatio 0.3 as released averages them: a known factor per path.
    meta = est.meta_
    log2_T, over = int(math.log2(est.T_)), oversampling
    k1 = np.where(meta["order"] >= 1, np.maximum(np.minimum(np.nan_to_num(meta["j"][:, 0]), log2_T) - over, 0), 0)
    k2 = np.where(meta["order"] == 2, np.maximum(np.minimum(np.nan_to_num(meta["j"][:, 1]), log2_T) - k1 - over, 0), 0)
    scale = np.where(meta["order"] == 2, 2.0 ** (2 * k1 + k2), 2.0**k1)
    assert _relative_error(out / scale[None, :, None], data[f"mean_{case}"]) < 1e-10


def test_order_one_is_the_definition_without_early_subsampling(global_random_seed):
    # S1 = |x * psi| * phi computed at full resolution by plain FFTs of the
    # padded signal, then sampled: the early decimations of the fast
    # algorithm only alias what the filters' bandwidths leave out.
    rng = np.random.default_rng(global_random_seed)
    length, J, Q = 300, 5, 4
    x = rng.normal(size=length)
    est = Scattering1DTransformer(J=J, Q=Q, max_order=1).fit(x[None])
    S = est.transform(x[None]).reshape(est.n_paths_, -1)
    bank = morlet_1d_bank(length, J, Q, 1, 2**J, 0)
    N, left = bank.padded_length, bank.pad_left
    padded = np.pad(x, (left, N - length - left), mode="reflect")
    X = np.fft.fft(padded)
    phi = morlet_1d(N, None, 0.1 / 2**J)
    step = 2**J
    start = bank.start[J]

    def lowpass(u):
        return np.fft.ifft(np.fft.fft(u) * phi).real[::step][start : start + est.output_length_]

    expected = [lowpass(padded)] + [lowpass(np.abs(np.fft.ifft(X * psi))) for psi in bank.psi1]
    np.testing.assert_allclose(S, np.asarray(expected), rtol=0, atol=2e-4 * np.abs(S).max())


def test_filter_bank_design():
    xi, sigma, j = wavelet_parameters(8, 8)
    # Constant-Q: consecutive centre frequencies 2**(1/8) apart above the
    # elbow, then Q - 1 = 7 evenly spaced ones down to zero.
    ratios = np.asarray(xi[:-8]) / np.asarray(xi[1:-7])
    np.testing.assert_allclose(ratios, 2 ** (1 / 8))
    np.testing.assert_allclose(np.diff(xi[-8:]), -xi[-8] / 8)
    assert sigma[-1] == pytest.approx(0.1 / 2**8)
    assert j == sorted(j) and j[0] == 0
    for xi_, s in zip(xi, sigma):
        psi = morlet_1d(1024, xi_, s)
        assert abs(psi[0]) < 1e-12  # zero mean
        assert np.abs(np.fft.ifft(psi)).sum() == pytest.approx(1.0)  # unit l1 norm
        assert np.argmax(psi) == round(xi_ * 1024) or xi_ * 1024 < 3


def _dense_morlet(n, xi, sigma, periods):
    # The definition with every sample of every period evaluated and the
    # norm from a full inverse FFT: what the windowed construction saves.
    freqs = np.arange((1 - periods) * n, periods * n) / n
    low = np.exp(-(freqs**2) / (2 * sigma**2)).reshape(-1, n).mean(axis=0)
    f = low
    if xi:
        gabor = np.exp(-((freqs - xi) ** 2) / (2 * sigma**2)).reshape(-1, n).mean(axis=0)
        f = gabor - gabor[0] / low[0] * low
    return f / np.abs(np.fft.ifft(f)).sum()


@pytest.mark.parametrize("n", [8192, 1000, 333, 7])
def test_windowed_filters_equal_the_dense_definition(n):
    # Wavelets above and below the elbow, the low-pass, wide Q=1 wavelets
    # whose Gaussians reach into the neighbouring periods, odd lengths.
    xi, sigma, _ = wavelet_parameters(8, 8)
    xi2, sigma2, _ = wavelet_parameters(8, 1)
    cases = [(None, 0.1), (0.3, 0.17), (0.35, 0.2)]
    if n > 100:  # narrower filters fall between the bins of 7 samples
        cases += list(zip(xi + xi2, sigma + sigma2)) + [(None, 0.1 / 256)]
    for xi_, s in cases:
        periods = 3 if s > 0.176 else 2
        expected = _dense_morlet(n, xi_, s, periods)
        got = morlet_1d(n, xi_, s)
        assert np.abs(got - expected).max() <= 1e-14 * np.abs(expected).max(), (n, xi_, s)


@pytest.mark.parametrize(
    "length, J, Q, T", [(4096, 8, 8, 256), (512, 6, 16, 64), (1000, 5, 1, 32), (300, 4, 2, 1), (37, 3, 3, 8)]
)
def test_bank_equals_the_dense_definition(length, J, Q, T):
    # The batched construction (norms in closed form in time where that is
    # exact, an FFT for the other rows; folded levels from halving): every
    # row of both orders, and every level of psi2 and phi, against the
    # definition evaluated densely, normalised by a full inverse FFT and
    # folded by summing its aliased copies.
    bank = morlet_1d_bank(length, J, Q, 2, T, 0)
    N = bank.padded_length

    def check(got, expected, what):
        assert np.abs(got - expected).max() <= 1e-13 * np.abs(expected).max(), what

    for order, (xis, sigmas, full) in enumerate(((bank.xi1, bank.sigma1, bank.psi1), (bank.xi2, bank.sigma2, None))):
        for n, (xi_, s) in enumerate(zip(xis, sigmas)):
            expected = _dense_morlet(N, xi_, s, 3 if s > 0.176 else 2)
            if full is not None:
                check(full[n], expected, (order, n))
                continue
            for k, level in enumerate(bank.psi2):
                if level is not None:
                    check(level[n], expected.reshape(2**k, -1).sum(axis=0), (order, n, k))
    phi = _dense_morlet(N, None, 0.1 / T, 2)
    for k, level in enumerate(bank.phi):
        check(level, phi.reshape(2**k, -1).sum(axis=0), ("phi", k))


def test_wavelets_narrower_than_a_frequency_bin_stay_finite():
    # J=6 on 16 samples: the lowest wavelets are narrower than one bin of the
    # padded length and cancel against their low-pass correction; they used
    # to be normalised by a zero norm.
    bank = morlet_1d_bank(16, 6, 4, 1, 8, 0)
    for level in (bank.psi1, *[a for a in bank.psi2 if a is not None], *bank.phi):
        assert np.isfinite(level).all()
    assert np.abs(bank.psi1).max(axis=1).min() == 0  # some cancel entirely: zero filters


def _band_window(filter_hat):
    # The window of one filter, by a loop over its kept frequencies.
    n = filter_hat.shape[0]
    keep = [i for i in range(n) if abs(filter_hat[i]) > 1e-20 * np.abs(filter_hat).max(initial=0.0)]
    if not keep:
        return 0, 0
    gaps = [(keep[(i + 1) % len(keep)] - keep[i]) % n or n for i in range(len(keep))]
    largest = gaps.index(max(gaps))
    return keep[(largest + 1) % len(keep)], n - gaps[largest] + 1


def test_band_windows_of_all_rows_at_once(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    arrays = [morlet_1d_bank(300, 4, 2, 1, 16, 0).psi1, np.zeros((2, 5)), np.eye(3), np.ones((1, 1))]
    for _ in range(200):
        shape = rng.integers(1, 6), rng.integers(1, 20)
        arrays.append(rng.random(shape) * (rng.random(shape) < rng.random()) * rng.choice([1, -1], shape))
    for a in arrays:
        starts, widths = band_windows(a)
        expected = np.asarray([_band_window(row) for row in a]).reshape(-1, 2)
        np.testing.assert_array_equal(np.c_[starts, widths], expected)


# -- layouts, outputs, names --------------------------------------------------


def test_channels_are_scattered_separately_in_either_layout(global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(3, 2, 200))
    est = Scattering1DTransformer(J=4, Q=4).fit(X)
    out = est.transform(X)
    single = Scattering1DTransformer(J=4, Q=4).fit(X[:, 0])
    per_channel = np.concatenate([single.transform(X[:, c]) for c in range(2)], axis=1)
    np.testing.assert_array_equal(out, per_channel)
    flat = Scattering1DTransformer(J=4, Q=4, n_channels=2).fit_transform(X.reshape(3, -1))
    np.testing.assert_array_equal(flat, out)
    names = est.get_feature_names_out()
    assert len(names) == out.shape[1] == 2 * est.n_paths_ * est.output_length_
    assert names[0] == "c0_s0_t0" and names[-1].startswith("c1_s2_")


@pytest.mark.parametrize("length", [1000, 1024, 97, 4097])
def test_any_length(length, global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(2, length))
    est = Scattering1DTransformer(J=5, Q=4).fit(X)
    out = est.transform(X)
    assert est.padded_length_ & (est.padded_length_ - 1) == 0
    assert est.padded_length_ <= 3 * length - 2
    # The output spans the signal: about length / 2**J samples (the
    # coarse samples that hold any part of it).
    assert length // 32 <= est.output_length_ <= math.ceil(length / 32) + 1
    assert np.isfinite(out).all() and out.shape == (2, est.n_paths_ * est.output_length_)


def test_mean_output_and_log(global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(3, 256))
    maps = Scattering1DTransformer(J=4).fit(X)
    S = maps.transform(X).reshape(3, maps.n_paths_, -1)
    mean = Scattering1DTransformer(J=4, output="mean").fit_transform(X)
    np.testing.assert_allclose(mean, S.mean(axis=2), rtol=1e-12)
    logged = Scattering1DTransformer(J=4, output="mean", log=True, log_eps=1e-3).fit_transform(X)
    np.testing.assert_allclose(logged, np.log(np.abs(mean) + 1e-3), rtol=1e-12)
    est = Scattering1DTransformer(J=4, output="mean").fit(X)
    assert est.get_feature_names_out()[1] == "s1_n0_j0"


def test_meta_describes_every_path():
    est = Scattering1DTransformer(J=6, Q=(8, 2)).fit(np.zeros((1, 512)))
    meta = est.meta_
    assert meta["order"].tolist() == [p[0] for p in est.paths_]
    second = meta["order"] == 2
    assert (meta["j"][second, 1] > meta["j"][second, 0]).all()
    assert np.isnan(meta["xi"][meta["order"] == 1, 1]).all()
    assert (np.diff(meta["xi"][meta["order"] == 1, 0]) < 0).all()


def test_oversampling_keeps_values_and_adds_samples(global_random_seed):
    x = np.random.default_rng(global_random_seed).normal(size=(1, 512))
    plain = Scattering1DTransformer(J=5, Q=4).fit(x)
    over = Scattering1DTransformer(J=5, Q=4, oversampling=1).fit(x)
    a = plain.transform(x).reshape(plain.n_paths_, -1)
    b = over.transform(x).reshape(over.n_paths_, -1)
    assert over.output_length_ == 2 * plain.output_length_
    # Every other sample of the oversampled maps is a sample of the plain ones.
    np.testing.assert_allclose(b[:, ::2], a, rtol=0, atol=1e-4 * np.abs(a).max())


def test_time_shift_stability(global_random_seed):
    # A shift much smaller than T barely changes the time-averaged output.
    rng = np.random.default_rng(global_random_seed)
    x = np.convolve(rng.normal(size=2100), np.ones(8) / 8, mode="same")[None]
    est = Scattering1DTransformer(J=8, Q=8, output="mean").fit(x[:, :2048])
    a = est.transform(x[:, :2048])
    b = est.transform(x[:, 3 : 2048 + 3])
    assert np.linalg.norm(a - b) < 0.05 * np.linalg.norm(a)


def test_signals_shorter_than_the_lowpass_support_warn_at_every_fit():
    for _ in range(2):
        with pytest.warns(UserWarning, match="length 40 are shorter than the support.*T=8.*border effects"):
            Scattering1DTransformer(J=3).fit(np.zeros((1, 40)))


def test_short_signals_are_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"2\*\*J = 256\) exceeds the signal length 100.*use J <= 6 or pass T <= 100"):
        Scattering1DTransformer(J=8).fit(np.zeros((2, 100)))
    out = Scattering1DTransformer(J=8, T=64).fit_transform(np.ones((2, 100)))
    assert np.isfinite(out).all()


def test_set_output_pandas_and_grid_search_in_a_pipeline():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    t = np.arange(256)
    # Two classes: a tone at one of two frequencies with random phase and noise.
    y = np.arange(40) % 2
    X = np.sin(np.outer(0.2 + 0.2 * y, t) + rng.uniform(0, 6, size=(40, 1))) + 0.5 * rng.normal(size=(40, 256))
    est = Scattering1DTransformer(J=4, output="mean").set_output(transform="pandas")
    frame = est.fit_transform(X)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(est.get_feature_names_out())
    pipe = Pipeline([("s", Scattering1DTransformer(output="mean", log=True)), ("z", StandardScaler()), ("c", RidgeClassifier())])
    search = GridSearchCV(pipe, {"s__J": [3, 5]}, cv=2).fit(X, y)
    assert search.best_score_ > 0.9
    assert clone(search.best_estimator_).get_params()["s__J"] in (3, 5)


@settings(max_examples=15, deadline=None)
@given(
    length=st.integers(8, 600),
    J=st.integers(1, 6),
    Q=st.one_of(st.integers(1, 12), st.tuples(st.integers(1, 8), st.integers(1, 3))),
    max_order=st.integers(1, 2),
    oversampling=st.integers(0, 2),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_configurations_agree_across_backends(length, J, Q, max_order, oversampling, dtype, seed):
    if 2**J > length:
        J = int(math.log2(length))
    X = np.random.default_rng(seed).normal(size=(2, length)).astype(dtype)
    params = dict(J=J, Q=Q, max_order=max_order, oversampling=oversampling)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # border effects of the shortest signals
        a = Scattering1DTransformer(**params, backend="numpy").fit_transform(X)
        b = Scattering1DTransformer(**params, backend="numba", n_jobs=2).fit_transform(X)
    assert a.dtype == dtype and np.isfinite(a).all()
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(b, a, rtol=0, atol=tol * np.abs(a).max())


def test_cupy_path_computes_the_same_function(fake_cupy, global_random_seed):
    X = np.random.default_rng(global_random_seed).normal(size=(3, 2, 130))
    cpu = Scattering1DTransformer(J=4, Q=(4, 2), backend="numpy").fit_transform(X)
    est = Scattering1DTransformer(J=4, Q=(4, 2), backend="cupy").fit(X)
    out = est.transform(X)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, cpu, rtol=1e-12, atol=1e-14)
    device = est.transform(fake_cupy.asarray(X.reshape(3, -1)))
    assert isinstance(device, fake_cupy.ndarray)
    np.testing.assert_allclose(np.asarray(device), cpu, rtol=1e-12, atol=1e-14)
