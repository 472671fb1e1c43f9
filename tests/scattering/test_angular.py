import numpy as np
import pytest

from skscatter.scattering._angular import angular_filter_bank


@pytest.mark.parametrize("L, n_rows", [(4, 14), (5, 25), (6, 21), (8, 28), (16, 56)])
def test_angular_bank_rows_and_labels(L, n_rows):
    A, labels = angular_filter_bank(L)
    assert A.shape == (n_rows, L) and len(labels) == n_rows == len(set(labels))
    assert labels[0] == "k0p_a0" and labels[-1].startswith("lp_")


@pytest.mark.parametrize("L", [4, 6, 8, 12])
def test_angular_filters_are_periodic_convolutions(L):
    # Each kept output is the circular convolution of the orientation
    # samples with one filter: shifting the input by one filter step shifts
    # that filter's outputs by one sample.
    rng = np.random.default_rng(L)
    A, labels = angular_filter_bank(L)
    w = rng.normal(size=L) + 1j * rng.normal(size=L)
    y = A @ w
    names = np.array([label.split("_a")[0] for label in labels])
    for name in np.unique(names):
        rows = np.flatnonzero(names == name)
        step = L // len(rows)
        shifted = A[rows] @ np.roll(w, step)
        np.testing.assert_allclose(shifted, np.roll(y[rows], 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("L", [4, 8, 16])
def test_angular_bank_is_contractive_and_wavelets_have_zero_mean(L):
    A, labels = angular_filter_bank(L)
    full = [name for name in dict.fromkeys(label.split("_a")[0] for label in labels)]
    energy = np.zeros(L)
    for name in full:
        rows = [i for i, label in enumerate(labels) if label.startswith(name + "_")]
        # The unsubsampled filter is the first row (sample 0) read backwards.
        h = A[rows[0]][(-np.arange(L)) % L]
        response = np.fft.fft(h)
        energy += np.abs(response) ** 2
        if name != "lp":
            assert abs(response[0]) < 1e-12, name
    # Littlewood-Paley: at most 1 everywhere, 1 somewhere, no frequency lost.
    assert energy.max() == pytest.approx(1.0) and energy.min() > 0.2
    # Mirror filters respond at -omega.
    k0p = A[labels.index("k0p_a0")][(-np.arange(L)) % L]
    k0m = A[labels.index("k0m_a0")][(-np.arange(L)) % L]
    np.testing.assert_allclose(np.fft.fft(k0m), np.fft.fft(k0p)[(-np.arange(L)) % L], atol=1e-12)


def test_too_few_orientations_are_refused():
    with pytest.raises(ValueError, match="L=3.*L >= 4"):
        angular_filter_bank(3)
