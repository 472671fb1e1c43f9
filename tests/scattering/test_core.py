import numpy as np
import pytest

from skscatter._kernels.fourier import get_fourier_ops
from skscatter.scattering._angular import angular_filter_bank
from skscatter.scattering._core import n_paths, pad_images, reflect_indices, scattering_2d, scattering_paths
from skscatter.scattering._filter_bank import filter_bank, filter_bank_for, padded_shape
from tests._reference import scattering_reference


@pytest.mark.parametrize("size, before, total", [(5, 3, 13), (3, 7, 20), (1, 4, 8), (2, 5, 12), (8, 0, 8)])
def test_reflect_indices_match_numpy_pad(size, before, total):
    x = np.arange(size)
    expected = np.pad(x, (before, total - size - before), mode="reflect")
    np.testing.assert_array_equal(x[reflect_indices(size, before, total)], expected)


@pytest.mark.parametrize("J, L, max_order", [(1, 8, 2), (2, 8, 2), (3, 8, 2), (4, 8, 2), (3, 6, 1), (3, 3, 2)])
def test_path_count_matches_path_list(J, L, max_order):
    paths = scattering_paths(J, L, max_order)
    assert len(paths) == n_paths(J, L, max_order)
    # Second-order paths only go to coarser scales, grouped by parent.
    second = [p for p in paths if p[0] == 2]
    assert all(j2 > j1 for _, j1, _, j2, _ in second)
    assert second == sorted(second)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize(
    "shape, J, L, max_order",
    [((16, 16), 2, 4, 2), ((13, 21), 2, 3, 2), ((8, 8), 3, 2, 2), ((3, 17), 2, 4, 2), ((1, 9), 1, 5, 2), ((24, 10), 3, 4, 1)],
)
def test_core_matches_float64_reference(backend, shape, J, L, max_order, global_random_seed):
    # Non-square sizes, sizes that are not multiples of 2**J, 2**J equal to
    # or larger than one side, odd L: the half-spectrum core equals the
    # plain full-spectrum definition.
    rng = np.random.default_rng(global_random_seed)
    images = rng.normal(size=(3, *shape))
    padded = padded_shape(shape, J)
    bank = filter_bank(*padded, J, L)
    out_shape = tuple(max(1, s // 2**J) for s in shape)
    ops = get_fourier_ops(backend, 1)
    ops_bank = filter_bank_for(ops, *padded, J, L, np.float64)
    got = scattering_2d(pad_images(images, padded, np), ops_bank, max_order, ops)
    expected = scattering_reference(images, J, L, max_order, bank)
    assert got.shape[-2:] == out_shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("shape, J, L", [((16, 16), 2, 4), ((13, 21), 3, 6), ((9, 12), 2, 5), ((24, 10), 3, 8)])
def test_roto_translation_core_matches_float64_reference(backend, shape, J, L, global_random_seed):
    # The angular filtering along t1 written as explicit loops over the
    # parents' complex maps, then modulus and low-pass, in float64.
    rng = np.random.default_rng(global_random_seed)
    images = rng.normal(size=(2, *shape))
    angular, _ = angular_filter_bank(L)
    padded = padded_shape(shape, J)
    ops = get_fourier_ops(backend, 1)
    ops_bank = filter_bank_for(ops, *padded, J, L, np.float64)
    got = scattering_2d(pad_images(images, padded, np), ops_bank, 2, ops, angular=angular)
    expected = scattering_reference(images, J, L, 2, filter_bank(*padded, J, L), angular=angular)
    assert got.shape[1] == n_paths(J, L, 2, n_angular=angular.shape[0]) == len(scattering_paths(J, L, 2, angular.shape[0]))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_identity_angular_filters_give_the_translation_layer():
    # With A = I the roto-translation layer is the translation layer, path by path.
    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 16, 16))
    padded = padded_shape((16, 16), 3)
    ops = get_fourier_ops("numba", 1)
    bank = filter_bank_for(ops, *padded, 3, 4, np.float64)
    x = pad_images(images, padded, np)
    np.testing.assert_allclose(
        scattering_2d(x, bank, 2, ops, angular=np.eye(4, dtype=np.complex128)), scattering_2d(x, bank, 2, ops), rtol=1e-12
    )
