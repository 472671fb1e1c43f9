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


def scattering_reference(images, J, L, max_order, bank, angular=None):
    """Depth-first 2D scattering with full complex spectra, in float64.

    ``bank`` is a MorletFilterBank in float64 (tested on its own);
    ``images`` is (B, H, W).  Returns (B, n_paths, H', W').  ``angular``
    (R, L), complex: the roto-translation layer, each second-order output
    ``r`` the sum over ``t1`` of ``angular[r, t1]`` times the complex map of
    parent ``t1``, written out as loops.
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
        u1_hats = []
        for t1 in range(L):
            u1 = np.abs(np.fft.ifft2(sub(x_hat * bank.psi[0][j1 * L + t1], 2**j1)))
            u1_hats.append(np.fft.fft2(u1))
            s1.append(low(u1_hats[-1], j1))
            if max_order < 2 or angular is not None:
                continue
            for j2 in range(j1 + 1, J):
                for t2 in range(L):
                    u2 = np.abs(np.fft.ifft2(sub(u1_hats[-1] * bank.psi[j1][j2 * L + t2], 2 ** (j2 - j1))))
                    s2.append(low(np.fft.fft2(u2), j2))
        if max_order < 2 or angular is None:
            continue
        for r in range(angular.shape[0]):
            for j2 in range(j1 + 1, J):
                for t2 in range(L):
                    w2 = 0
                    for t1 in range(L):
                        w2 = w2 + angular[r, t1] * np.fft.ifft2(sub(u1_hats[t1] * bank.psi[j1][j2 * L + t2], 2 ** (j2 - j1)))
                    s2.append(low(np.fft.fft2(np.abs(w2)), j2))
    return np.stack(out + s1 + s2, axis=1)


def patch_knn_encoding_reference(
    images, dictionary, patch_size, stride, K, reg, negative, row_cells, col_cells, query_scale=1.0
):
    """SimplePatch encoding from its definition, in float64 with explicit loops.

    ``images`` (n, H, W, C); ``dictionary`` (n_atoms, d) raw atoms.  Whitening
    statistics are computed here from ``images`` (all stride-``stride``
    patches).  The K nearest atoms are those of ``query_scale`` times the
    whitened patch.  Returns (n, S, n_atoms, n_cells_y, n_cells_x).
    """
    images = np.asarray(images, dtype=np.float64)
    n, H, W, C = images.shape
    Q = patch_size
    ys = range(0, H - Q + 1, stride)
    xs = range(0, W - Q + 1, stride)
    patches = np.array([[[images[i, y : y + Q, x : x + Q, :].ravel() for x in xs] for y in ys] for i in range(n)])
    flat = patches.reshape(-1, patches.shape[-1])
    mean = flat.mean(axis=0)
    cov = np.cov(flat.T, bias=True)
    if reg is None:
        white = np.eye(len(mean))
    else:
        vals, vecs = np.linalg.eigh(cov)
        white = vecs @ np.diag(1.0 / np.sqrt(np.clip(vals, 0, None) + reg)) @ vecs.T
    atoms = (np.asarray(dictionary, dtype=np.float64) - mean) @ white
    signs = [1.0, -1.0] if negative else [1.0]
    out = np.zeros((n, len(signs), len(atoms), len(row_cells), len(col_cells)))
    for i in range(n):
        for s, sign in enumerate(signs):
            codes = np.zeros((len(ys), len(xs), len(atoms)))
            for py in range(len(ys)):
                for px in range(len(xs)):
                    z = query_scale * sign * (patches[i, py, px] - mean) @ white
                    dist = ((z - atoms) ** 2).sum(axis=1)
                    codes[py, px] = dist < np.sort(dist)[K]
            for cy, (y0, y1) in enumerate(row_cells):
                for cx, (x0, x1) in enumerate(col_cells):
                    out[i, s, :, cy, cx] = codes[y0:y1, x0:x1].mean(axis=(0, 1))
    return out
