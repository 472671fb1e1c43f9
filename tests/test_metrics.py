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
