import numpy as np
import pytest

from skscatter.metrics import covariance_dimension, knn_intrinsic_dimension


def _subspace(rng, n, d, D):
    basis, _ = np.linalg.qr(rng.normal(size=(D, d)))
    return rng.uniform(-1, 1, size=(n, d)) @ basis.T + rng.normal(size=D)


def _sphere(rng, n, d, D):
    # The unit d-sphere (in R^(d+1)), rotated into R^D.
    points = rng.normal(size=(n, d + 1))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    basis, _ = np.linalg.qr(rng.normal(size=(D, d + 1)))
    return points @ basis.T


@pytest.mark.parametrize("d, D", [(1, 5), (3, 20), (6, 30)])
def test_covariance_dimension_of_a_linear_subspace(d, D, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X = _subspace(rng, 4000, d, D)
    assert covariance_dimension(X, method="variance_fraction", fraction=0.9999) == d
    # Uniform on a cube: equal variance in d orthogonal directions.
    assert covariance_dimension(X) == pytest.approx(d, rel=0.1)


@pytest.mark.parametrize("d, D", [(2, 10), (4, 12), (6, 20)])
def test_knn_dimension_of_subspaces_and_spheres(d, D, global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    assert knn_intrinsic_dimension(_subspace(rng, 4000, d, D), 10) == pytest.approx(d, rel=0.15)
    # A curved manifold: the covariance sees d + 1 directions, neighbours see d.
    sphere = _sphere(rng, 4000, d, D)
    assert knn_intrinsic_dimension(sphere, 10) == pytest.approx(d, rel=0.15)
    assert covariance_dimension(sphere, method="variance_fraction", fraction=0.999) == d + 1


def test_metrics_reject_bad_arguments():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_neighbors=25"):
        knn_intrinsic_dimension(X, 25)
    with pytest.raises(ValueError, match="method='pca'"):
        covariance_dimension(X, method="pca")
    with pytest.raises(ValueError, match="fraction=0"):
        covariance_dimension(X, method="variance_fraction", fraction=0)
    with pytest.raises(ValueError, match="NaN"):
        covariance_dimension(np.array([[0.0, np.nan], [1.0, 2.0]]))


@pytest.mark.parametrize("scale", [1e300, 1e-300, 2.0**-1000, 1e-150, 1e150])
def test_metrics_are_scale_invariant_at_any_finite_scale(scale, global_random_seed):
    """Values near 1e300 overflowed inside LAPACK, near 1e-300 gave 0: both measures ignore scale."""
    rng = np.random.default_rng(global_random_seed)
    X = _subspace(rng, 800, 3, 8)
    for kwargs in [{}, dict(method="variance_fraction", fraction=0.999)]:
        expected = covariance_dimension(X, **kwargs)
        assert covariance_dimension(X * scale, **kwargs) == pytest.approx(expected, rel=1e-9)
        # Translating far away (relative to the spread) changes nothing either.
        assert covariance_dimension(X * scale + 1e3 * scale, **kwargs) == pytest.approx(expected, rel=1e-6)
    expected = knn_intrinsic_dimension(X, 10)
    assert knn_intrinsic_dimension(X * scale, 10) == pytest.approx(expected, rel=1e-9)


def test_metrics_of_degenerate_clouds():
    same = np.full((5, 3), 1e300)
    assert covariance_dimension(same) == 0.0
    assert covariance_dimension(same, method="variance_fraction") == 0.0
    with pytest.raises(ValueError, match=r"n_neighbors=2 must be .*below the number of distinct points \(1\)"):
        knn_intrinsic_dimension(same, 2)
    # A square lattice: the 4 nearest neighbours of every inner point are equidistant.
    lattice = np.stack(np.meshgrid(np.arange(6.0), np.arange(6.0)), axis=-1).reshape(-1, 2)
    with pytest.raises(ValueError, match="nearest neighbours all at one distance.*larger n_neighbors"):
        knn_intrinsic_dimension(lattice, 4)
    assert knn_intrinsic_dimension(lattice + np.random.default_rng(0).normal(scale=1e-3, size=lattice.shape), 4) > 0


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_metrics_refuse_non_finite_points_with_the_fix(bad):
    X = np.random.default_rng(0).normal(size=(20, 3))
    X[3, 1] = bad
    for measure in (covariance_dimension, knn_intrinsic_dimension):
        with pytest.raises(ValueError, match="X contains NaN or infinity; remove or impute those rows"):
            measure(X)


def test_metrics_refuse_booleans_for_numbers():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_neighbors=True must be an int"):
        knn_intrinsic_dimension(X, True)
    with pytest.raises(ValueError, match="fraction=True must be a number"):
        covariance_dimension(X, method="variance_fraction", fraction=True)
