"""synthesize: the statistics of the samples match the examples', reproducibly, for every layout."""

import numpy as np
import pytest

from skscatter.synthesis import ScatteringSpectra, histogram_distance, synthesis_statistics_names, synthesize
from skscatter.synthesis._synthesize import _histogram_term, _pixel_quantiles, _white_noise


def _sparse_field(rng, size=32):
    # Smooth Gaussian field through an exponential: positive, heavy-tailed.
    k = np.fft.fftfreq(size)
    envelope = np.exp(-((k[:, None] ** 2 + k[None, :] ** 2) * 60))
    f = np.fft.ifft2(np.fft.fft2(rng.normal(size=(size, size))) * envelope).real
    return np.exp(2.5 * f / f.std())


@pytest.mark.parametrize("model", ["spectra", "moments"])
def test_statistics_of_the_sample_match_the_example(model):
    example = _sparse_field(np.random.default_rng(0))
    sample, error = synthesize(example, model=model, J=2, L=4, max_iter=300, random_state=0, return_error=True)
    assert sample.shape == (1, 32, 32)
    assert error[0] < 1e-2
    # Not the example itself, nor a shifted copy: a new draw.
    assert np.abs(sample[0] - example).max() > 0.1 * np.abs(example).max()


def test_spectra_features_of_the_sample_match_as_features():
    # The transformer (own normalisation, log powers) sees the same field.
    example = _sparse_field(np.random.default_rng(1))
    sample = synthesize(example, J=2, L=4, max_iter=300, random_state=1)
    est = ScatteringSpectra(J=2, L=4).fit(example[None])
    a, b = est.transform(example[None])[0], est.transform(sample)[0]
    names = est.get_feature_names_out()
    power = np.array([n.startswith("power_") for n in names])
    np.testing.assert_allclose(b[power], a[power], atol=0.05)  # log powers within 5%


def test_single_and_double_precision_reach_the_same_match():
    example = _sparse_field(np.random.default_rng(7), size=16)
    for dtype in (np.float32, np.float64):
        _, error = synthesize(example, J=2, L=4, max_iter=300, random_state=0, return_error=True, dtype=dtype)
        assert error[0] < 1e-2, dtype


def test_seeds_reproduce_and_differ():
    example = _sparse_field(np.random.default_rng(2), size=16)
    kwargs = dict(J=1, L=4, max_iter=30)
    a = synthesize(example, random_state=3, **kwargs)
    b = synthesize(example, random_state=3, **kwargs)
    c = synthesize(example, random_state=4, **kwargs)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_layouts_colour_several_samples_and_shape():
    rng = np.random.default_rng(5)
    colour = np.stack([_sparse_field(rng, 16) for _ in range(3)], axis=-1)[None]  # (1, 16, 16, 3)
    out, error = synthesize(colour, J=1, L=2, n_samples=2, max_iter=300, random_state=0, return_error=True)
    assert out.shape == (2, 16, 16, 3)
    assert error.shape == (2,) and np.all(error < 5e-2)
    # A larger grid than the examples' (statistics are averages per pixel).
    grey, error = synthesize(colour[..., 0], J=1, L=2, shape=(32, 24), max_iter=300, random_state=0, return_error=True)
    assert grey.shape == (1, 32, 24) and error[0] < 5e-2


def test_huge_values_are_synthesised_at_their_scale():
    example = _sparse_field(np.random.default_rng(6), size=16) * 1e200
    sample, error = synthesize(example, J=1, L=4, max_iter=200, random_state=0, return_error=True)
    assert np.isfinite(sample).all() and error[0] < 5e-2
    assert 0.1 < np.abs(sample).max() / np.abs(example).max() < 10


def test_marginal_start_is_a_permutation_of_the_example():
    example = _sparse_field(np.random.default_rng(8), size=16)[None, None]  # (n, C, H, W)
    a = _white_noise(example, "marginal", 2, (16, 16), np.random.RandomState(0))
    assert a.shape == (2, 1, 16, 16)
    for start in a:
        np.testing.assert_array_equal(np.sort(start.ravel()), np.sort(example.ravel()))
    # A random order: not the example, and the two starts differ.
    assert not np.array_equal(a[0], example[0]) and not np.array_equal(a[0], a[1])
    np.testing.assert_array_equal(a, _white_noise(example, "marginal", 2, (16, 16), np.random.RandomState(0)))


def test_marginal_start_draws_whole_colour_pixels():
    rng = np.random.default_rng(9)
    grey = rng.normal(size=(2, 1, 8, 8))
    colour = np.concatenate([grey, 2 * grey + 1, -grey], axis=1)  # channels tied pixel by pixel
    for shape in ((8, 8), (8, 16), (24, 24)):  # fewer, as many and more pixels than the two examples pool
        start = _white_noise(colour, "marginal", 1, shape, np.random.RandomState(0))
        assert start.shape == (1, 3, *shape)
        np.testing.assert_array_equal(start[:, 1], 2 * start[:, 0] + 1)
        np.testing.assert_array_equal(start[:, 2], -start[:, 0])
        assert np.isin(start[:, 0], grey).all()
    # As many output pixels as pooled ones: each pooled pixel exactly once.
    start = _white_noise(colour, "marginal", 1, (8, 16), np.random.RandomState(0))
    np.testing.assert_array_equal(np.sort(start[:, 0].ravel()), np.sort(grey.ravel()))


def test_gaussian_start_has_the_examples_mean_and_variance():
    example = 3.0 + 2.0 * np.random.default_rng(10).normal(size=(1, 1, 64, 64))
    start = _white_noise(example, "gaussian", 1, (64, 64), np.random.RandomState(0))
    assert abs(start.mean() - example.mean()) < 0.1 and abs(start.std() - example.std()) < 0.1
    assert not np.isin(start, example).any()


@pytest.mark.parametrize("init", ["gaussian", "marginal"])
def test_each_start_is_reproducible_and_matches(init):
    example = _sparse_field(np.random.default_rng(11), size=16)
    kwargs = dict(J=1, L=4, max_iter=200, init=init, return_error=True)
    a, error = synthesize(example, random_state=3, **kwargs)
    b, _ = synthesize(example, random_state=3, **kwargs)
    np.testing.assert_array_equal(a, b)
    assert error[0] < 1e-2


def test_marginal_start_keeps_the_histogram_of_a_sparse_field_closer():
    # A heavy-tailed field: Gaussian noise has to be bent into its histogram
    # by the descent, noise drawn from its pixels starts there.
    example = _sparse_field(np.random.default_rng(1))
    distance = {}
    for init in ("gaussian", "marginal"):
        sample, error = synthesize(
            example, J=2, L=4, max_iter=200, init=init, histogram_weight=0.0, random_state=1, return_error=True
        )
        assert error[0] < 1e-2
        distance[init] = histogram_distance(sample[0], example)
    assert distance["marginal"] < 0.75 * distance["gaussian"], distance


def test_the_default_keeps_the_histogram_and_the_statistics():
    # The default model (marginal start, histogram term at 0.1) against the
    # statistics alone: a histogram several times closer to the example's,
    # the statistics still matched.
    example = _sparse_field(np.random.default_rng(0))
    kwargs = dict(J=2, L=4, max_iter=300, random_state=0, return_error=True)
    plain, plain_error = synthesize(example, init="gaussian", histogram_weight=0.0, **kwargs)
    default, error = synthesize(example, **kwargs)
    assert plain_error[0] < 1e-2 and error[0] < 1e-2, (plain_error, error)
    d_plain, d_default = (histogram_distance(x[0], example) / example.std() for x in (plain, default))
    assert d_default < 0.2 * d_plain, (d_default, d_plain)


def test_pixel_quantiles_average_the_quantile_function_over_equal_bins():
    rng = np.random.default_rng(12)
    fields = rng.normal(size=(2, 3, 6, 5))  # two examples, three channels: 60 pooled pixels per channel
    pooled = np.sort(np.moveaxis(fields, 1, 0).reshape(3, -1), axis=1)
    # As many bins as pixels: the sorted pixels; half as many: means of consecutive pairs.
    np.testing.assert_allclose(_pixel_quantiles(fields, 60), pooled, rtol=0, atol=1e-12)
    np.testing.assert_allclose(_pixel_quantiles(fields, 30), pooled.reshape(3, 30, 2).mean(axis=2), atol=1e-12)
    # Bins that cut pixels (7 of 60): the quantile function sampled finely at each bin's midpoints.
    u = (np.arange(7 * 6000) + 0.5) / (7 * 6000)
    fine = pooled[:, np.floor(u * 60).astype(int)].reshape(3, 7, 6000).mean(axis=2)
    np.testing.assert_allclose(_pixel_quantiles(fields, 7), fine, atol=1e-10)
    # A constant channel gets exactly constant targets, whatever the bins.
    fields[:, 1] = 0.1
    assert (_pixel_quantiles(fields, 7)[1] == 0.1).all() and (_pixel_quantiles(fields, 60)[1] == 0.1).all()


def test_histogram_term_is_the_squared_distance_of_sorted_pixels():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2, 3, 40))
    quantiles = np.sort(rng.gamma(2.0, size=(3, 40)), axis=1)
    weights = np.array([0.5, 1.0, 2.0])
    value, _ = _histogram_term(x, quantiles, weights)
    expected = sum(weights[c] * np.sum((np.sort(x[s, c]) - quantiles[c]) ** 2) for s in range(2) for c in range(3))
    assert value == pytest.approx(expected, rel=1e-12)
    # Zero exactly when the pixels are a permutation of the quantiles.
    shuffled = np.stack([[rng.permutation(q) for q in quantiles] for _ in range(2)])
    value, grad = _histogram_term(shuffled, quantiles, weights)
    assert value == 0 and not grad.any()


def test_histogram_term_gradient_matches_finite_differences():
    rng = np.random.default_rng(14)
    x = rng.normal(size=(2, 2, 30))  # distinct values: the sort is locally constant
    quantiles = np.sort(rng.standard_t(3, size=(2, 30)), axis=1)
    weights = np.array([0.7, 1.3])
    _, grad = _histogram_term(x, quantiles, weights)
    step = 1e-6
    numeric = np.empty_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        numeric[index] = (_histogram_term(up, quantiles, weights)[0]
                          - _histogram_term(down, quantiles, weights)[0]) / (2 * step)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    # Along a random direction too (all pixels moving at once).
    direction = rng.normal(size=x.shape)
    along = (_histogram_term(x + step * direction, quantiles, weights)[0]
             - _histogram_term(x - step * direction, quantiles, weights)[0]) / (2 * step)
    assert along == pytest.approx(float(np.sum(grad * direction)), rel=1e-6)


def test_synthesis_loss_gradient_with_the_histogram_term(monkeypatch):
    # The whole loss L-BFGS sees (statistics + histogram, float64): its
    # gradient against central differences along random directions.
    import scipy.optimize

    captured = {}

    def capture(fun, x0, **kwargs):
        captured["fun"], captured["x0"] = fun, x0
        raise StopIteration

    monkeypatch.setattr(scipy.optimize, "minimize", capture)
    example = _sparse_field(np.random.default_rng(15), size=16)
    with pytest.raises(StopIteration):
        synthesize(example, J=2, L=4, init="marginal", histogram_weight=3.0, dtype=np.float64, random_state=0)
    fun, x0 = captured["fun"], captured["x0"]
    x = x0 + 0.05 * np.random.default_rng(16).normal(size=x0.shape)  # off the start's ties, if any
    _, grad = fun(x)
    with pytest.raises(StopIteration):
        synthesize(example, J=2, L=4, init="marginal", histogram_weight=0.0, dtype=np.float64, random_state=0)
    value_without, grad_without = captured["fun"](x)
    assert np.abs(grad - grad_without).max() > 1e-3 * np.abs(grad).max()  # the term is in the loss
    # The term is 0.5 * weight * W2^2 / variance, in the descent's units (the example over its largest value).
    scaled = example / np.abs(example).max()
    w2 = np.mean((np.sort(x) - np.sort(scaled.ravel())) ** 2)
    assert fun(x)[0] - value_without == pytest.approx(0.5 * 3.0 * w2 / scaled.var(), rel=1e-9)
    rng = np.random.default_rng(17)
    for _ in range(3):
        direction = rng.normal(size=x.shape)
        step = 1e-6
        along = (fun(x + step * direction)[0] - fun(x - step * direction)[0]) / (2 * step)
        assert along == pytest.approx(float(grad @ direction), rel=1e-5)


def test_histogram_weight_brings_the_samples_histogram_to_the_examples():
    example = _sparse_field(np.random.default_rng(1))
    kwargs = dict(J=2, L=4, max_iter=300, init="marginal", random_state=1, return_error=True)
    distance, errors = {}, {}
    for weight in (0.0, 0.1, 1.0):
        sample, error = synthesize(example, histogram_weight=weight, **kwargs)
        distance[weight], errors[weight] = histogram_distance(sample[0], example) / example.std(), error[0]
    assert distance[1.0] < 0.2 * distance[0.0] and distance[0.1] < 0.3 * distance[0.0], distance
    # A penalty, not a constraint: on this small field the statistics give a
    # little way to the histogram as the weight grows.
    assert errors[0.0] < 1e-2 and errors[0.1] < 1e-2 and errors[1.0] < 5e-2, errors


def test_histogram_weight_works_per_colour_channel_and_reproduces():
    rng = np.random.default_rng(18)
    # Three channels of different histograms (right-, left-skewed, milder), each of unit variance.
    channels = [_sparse_field(rng), -_sparse_field(rng), _sparse_field(rng) ** 0.5]
    colour = np.stack([c / c.std() for c in channels], axis=-1)[None]
    kwargs = dict(J=1, L=4, max_iter=200, init="marginal", random_state=2)
    plain = synthesize(colour, histogram_weight=0.0, **kwargs)[0]
    kept = synthesize(colour, histogram_weight=1.0, **kwargs)[0]
    np.testing.assert_array_equal(kept, synthesize(colour, histogram_weight=1.0, **kwargs)[0])
    for c in range(3):
        d_plain = histogram_distance(plain[..., c], colour[..., c])
        d_kept = histogram_distance(kept[..., c], colour[..., c])
        assert d_kept < 0.5 * d_plain, (c, d_kept, d_plain)


def test_histogram_weight_with_a_constant_channel():
    # A constant channel's variance is no unit (it rounds to ~1e-30, not 0):
    # the term must neither blow up on it nor stop the descent.
    rng = np.random.default_rng(20)
    colour = np.stack([rng.normal(size=(16, 16)), np.full((16, 16), 2.0)], axis=-1)[None]
    kwargs = dict(J=1, L=4, max_iter=200, init="marginal", random_state=0, return_error=True)
    plain, _ = synthesize(colour, histogram_weight=0.0, **kwargs)
    kept, error = synthesize(colour, histogram_weight=1.0, **kwargs)
    assert error[0] < 3e-2 and np.ptp(kept[..., 1]) < 1e-12
    assert histogram_distance(kept[..., 0], colour[..., 0]) < 0.5 * histogram_distance(plain[..., 0], colour[..., 0])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_histogram_weight_on_each_cpu_backend(backend):
    example = _sparse_field(np.random.default_rng(19), size=16)
    kwargs = dict(J=2, L=4, max_iter=40, init="marginal", histogram_weight=1.0, random_state=0, dtype=np.float64)
    reference = synthesize(example, backend="numba", **kwargs)
    np.testing.assert_allclose(synthesize(example, backend=backend, **kwargs), reference,
                               rtol=1e-6, atol=1e-9 * np.abs(reference).max())


def test_names_count_the_matched_statistics():
    assert len(synthesis_statistics_names(2, 4, 3)) == ScatteringSpectra(J=2, L=4).fit(np.zeros((1, 8, 8, 3))).n_features_out_
    assert len(synthesis_statistics_names(2, 4, model="moments")) == 1 + 1 + 8 + 8


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(model="gauss"), "model='gauss' is not a synthesis model"),
        (dict(J=0), "J=0 must be an int >= 1"),
        (dict(J=5), "J=5 is too large"),
        (dict(n_samples=True), "n_samples=True must be an int"),
        (dict(max_iter=0), "max_iter=0 must be an int"),
        (dict(tol=-1.0), "tol=-1.0 must be a number >= 0"),
        (dict(shape=(8,)), r"shape=\(8,\) must be \(H, W\)"),
        (dict(backend="torch"), "backend='torch'"),
        (dict(dtype=np.int32), "is not a working precision"),
        (dict(init="uniform"), "init='uniform' is not a starting noise"),
        (dict(init=None), "init=None is not a starting noise"),
        (dict(histogram_weight=-1.0), r"histogram_weight=-1.0 must be a finite number >= 0"),
        (dict(histogram_weight=float("nan")), r"histogram_weight=nan must be a finite number >= 0"),
        (dict(histogram_weight=float("inf")), r"histogram_weight=inf must be a finite number >= 0"),
        (dict(histogram_weight="1"), r"histogram_weight='1' must be a finite number >= 0; use 0.0"),
        (dict(histogram_weight=True), r"histogram_weight=True must be"),
    ],
)
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        synthesize(np.random.default_rng(0).normal(size=(16, 16)), **kwargs)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros(16), "pass one grey field"),
        (np.full((8, 8), np.nan), "NaN or infinity"),
        (np.zeros((8, 8), dtype=complex), "pass real numbers"),
        (np.zeros((1, 1)), "at least 2 x 2"),
    ],
)
def test_bad_examples_are_refused(X, match):
    with pytest.raises(ValueError, match=match):
        synthesize(X, J=1)
