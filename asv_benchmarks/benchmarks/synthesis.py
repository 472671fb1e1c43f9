"""Scattering-spectra statistics, their gradient, and one synthesis (float32 descent, L=8)."""

from .common import Benchmark


def _field(size):
    import numpy as np

    # A smooth Gaussian field through an exponential: sparse and heavy-tailed,
    # like the textures and flows the synthesis is for.
    rng = np.random.default_rng(0)
    k = np.fft.fftfreq(size)
    envelope = np.exp(-((k[:, None] ** 2 + k[None, :] ** 2) * (size / 4) ** 2 / 16))
    f = np.fft.ifft2(np.fft.fft2(rng.normal(size=(size, size))) * envelope).real
    return np.exp(2.5 * f / f.std())


class SpectraBenchmark(Benchmark):
    """One loss-and-gradient evaluation of the synthesis, and the statistics of a batch as features."""

    param_names = ["regime"]
    params = (["64x64 J=3", "256x256 J=5"],)

    def setup(self, regime):
        import numpy as np

        from skscatter import ScatteringSpectra
        from skscatter._kernels.fourier import get_fourier_ops
        from skscatter.synthesis._layout import normaliser_of, to_vector, vector_adjoint
        from skscatter.synthesis._spectra import plan_on, spectra_plan, spectra_statistics, spectra_vjp

        size, J = (64, 3) if regime.startswith("64") else (256, 5)
        self.X = _field(size)[None]
        self.estimator = ScatteringSpectra(J=J, L=8, n_jobs=1).fit(self.X)
        ops = get_fourier_ops("numba", 1)
        plan = plan_on(spectra_plan(size, size, J, 8), ops, np.float32)
        x = self.X[:, None].astype(np.float32)
        stats, _ = spectra_statistics(self.X[:, None], spectra_plan(size, size, J, 8), ops)
        norm = normaliser_of(stats, np)
        target = to_vector(stats, norm, 8, np)

        def step():
            s, state = spectra_statistics(x, plan, ops)
            residual = to_vector(s, norm, 8, np) - target
            return spectra_vjp(vector_adjoint(residual, s, norm, 8, np), state, plan, ops)

        self.step = step
        step()

    def time_loss_and_gradient(self, regime):
        self.step()

    def time_features(self, regime):
        self.estimator.transform(self.X)


class SynthesisBenchmark(Benchmark):
    """``synthesize`` of a 64 x 64 field, 100 L-BFGS iterations."""

    timeout = 300

    def setup(self):
        self.example = _field(64)

    def time_synthesize(self):
        from skscatter.synthesis import synthesize

        synthesize(self.example, J=3, L=8, max_iter=100, random_state=0, n_jobs=1)

    def peakmem_synthesize(self):
        from skscatter.synthesis import synthesize

        synthesize(self.example, J=3, L=8, max_iter=100, random_state=0, n_jobs=1)
