"""Slow, plain NumPy oracles for the tests: clarity over speed."""

import numpy as np


def gabor_naive(M, N, sigma, theta, xi, slant):
    """Periodised Gabor filter by direct evaluation over all 5 x 5 tiles, point by point in tiles."""
    c, s = np.cos(theta), np.sin(theta)
    rot = np.array([[c, -s], [s, c]], dtype=np.float32)
    rot_inv = np.array([[c, s], [-s, c]], dtype=np.float32)
    curv = rot @ np.diag([1.0, slant**2]) @ rot_inv / (2 * sigma**2)
    out = np.zeros((M, N), dtype=np.complex128)
    for ex in range(-2, 3):
        for ey in range(-2, 3):
            x, y = np.mgrid[ex * M : ex * M + M, ey * N : ey * N + N].astype(np.float64)
            quad = curv[0, 0] * x * x + (curv[0, 1] + curv[1, 0]) * x * y + curv[1, 1] * y * y
            out += np.exp(-quad + 1j * xi * (x * c + y * s))
    return out / (2 * 3.1415 * sigma**2 / slant)


def periodize_naive(x_hat, res):
    """Zero the frequencies a 2**res coarser grid cannot hold, then alias-sum, with loops."""
    M, N = x_hat.shape
    k = 2**res
    Mo, No = M // k, N // k
    out = np.zeros((Mo, No), dtype=x_hat.dtype)
    for u in range(M):
        for v in range(N):
            # Index u is kept when it lies in the first or last M / 2**(res+1) rows.
            if res > 0 and (M // 2 ** (res + 1) <= u < M - M // 2 ** (res + 1)):
                continue
            if res > 0 and (N // 2 ** (res + 1) <= v < N - N // 2 ** (res + 1)):
                continue
            out[u % Mo, v % No] += x_hat[u, v]
    return out


def scattering_reference(images, J, L, max_order, bank):
    """Depth-first 2D scattering with full complex spectra, in float64.

    ``bank`` is a MorletFilterBank in float64 (tested on its own);
    ``images`` is (B, H, W).  Returns (B, n_paths, H', W').
    """
    images = np.asarray(images, dtype=np.float64)
    B, H, W = images.shape
    M = 2**J * (H // 2**J + 2)
    N = 2**J * (W // 2**J + 2)
    Ho, Wo = max(1, H // 2**J), max(1, W // 2**J)
    x = np.pad(images, ((0, 0), ((M - H) // 2, (M - H + 1) // 2), ((N - W) // 2, (N - W + 1) // 2)), mode="reflect")

    def sub(z, k):
        return z.reshape(B, k, z.shape[1] // k, k, z.shape[2] // k).mean(axis=(1, 3))

    def low(z_hat, res):
        s = np.fft.ifft2(sub(z_hat * bank.phi[res], 2 ** (J - res))).real
        return s[:, 1 : 1 + Ho, 1 : 1 + Wo]

    x_hat = np.fft.fft2(x)
    out = [low(x_hat, 0)]
    s1, s2 = [], []
    for j1 in range(J):
        for t1 in range(L):
            u1 = np.abs(np.fft.ifft2(sub(x_hat * bank.psi[0][j1 * L + t1], 2**j1)))
            u1_hat = np.fft.fft2(u1)
            s1.append(low(u1_hat, j1))
            if max_order < 2:
                continue
            for j2 in range(j1 + 1, J):
                for t2 in range(L):
                    u2 = np.abs(np.fft.ifft2(sub(u1_hat * bank.psi[j1][j2 * L + t2], 2 ** (j2 - j1))))
                    s2.append(low(np.fft.fft2(u2), j2))
    return np.stack(out + s1 + s2, axis=1)
