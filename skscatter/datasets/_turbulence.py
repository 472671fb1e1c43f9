"""Two-dimensional turbulent vorticity fields from a small pseudo-spectral Navier-Stokes solver.

The fields are the classic test of texture models: a random start evolves,
under the 2D incompressible Navier-Stokes equations, into coherent vortices
and filaments whose statistics are far from Gaussian -- the vorticity
histogram has heavy tails -- while the power spectrum stays smooth.  A model
that matches only the spectrum loses the vortices; this is what makes the
fields a good test of synthesis from scattering statistics.
"""

from numbers import Integral, Real

import numpy as np
import scipy.fft
from sklearn.utils import check_random_state

from ..utils._params import N_JOBS
from ..utils._sklearn_compat import Interval, validate_parameter_constraints

__all__ = ["make_turbulence"]

_CONSTRAINTS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "size": [Interval(Integral, 16, None, closed="left")],
    "wavenumber": [Interval(Real, 1, None, closed="left"), None],
    "viscosity": [Interval(Real, 0, None, closed="neither"), None],
    "forcing": [Interval(Real, 0, None, closed="left")],
    "n_steps": [Interval(Integral, 0, None, closed="left")],
    "dt": [Interval(Real, 0, None, closed="neither")],
    "n_jobs": N_JOBS,
    "random_state": ["random_state"],
}

# The classical RK4 scheme is stable for purely imaginary eigenvalues (pure
# advection) up to |lambda dt| = 2 sqrt(2); steps keep dt * k_max * max|u|
# below this, with a margin for the speed growing within a step.
_COURANT = 2.5
# Samples integrated together: enough for the FFTs of small grids to amortise
# Python's per-call cost, few enough that 256 x 256 batches stay small.
_BATCH_PIXELS = 1 << 20


def make_turbulence(
    n_samples=1,
    size=256,
    *,
    wavenumber=None,
    viscosity=None,
    forcing=0.0,
    n_steps=400,
    dt=0.075,
    n_jobs=None,
    random_state=None,
):
    r"""Vorticity fields of 2D incompressible turbulence, with coherent vortices.

    Each sample starts from an independent random vorticity field (Gaussian,
    isotropic, band-limited around ``wavenumber``, unit root mean
    square) and is integrated for ``n_steps`` steps of the 2D Navier-Stokes
    equations in vorticity form on the periodic box :math:`[0, 2\pi)^2`.
    Vortices emerge and merge (freely decaying turbulence), so the returned
    fields have heavy-tailed vorticity histograms (positive excess
    kurtosis) while the start is Gaussian.

    Parameters
    ----------
    n_samples : int, default=1
        Number of independent fields.
    size : int, default=256
        Grid points per side (at least 16); the box side is :math:`2\pi`.
    wavenumber : float or None, default=None
        Peak wavenumber :math:`k_0` of the initial field (and centre of the
        forcing band), in cycles per box side, in ``[1, size / 6]``; the
        vortices start about ``size / (2 * wavenumber)`` pixels across and
        grow as they merge.  None picks ``max(2, size / 32)``: few large vortices of
        strongly non-Gaussian statistics; ``size / 16`` gives more, smaller
        vortices (a more homogeneous texture, less heavy tails at a given
        time).
    viscosity : float or None, default=None
        Kinematic viscosity :math:`\nu` (positive), in units where the box
        side is :math:`2\pi` and the initial root mean square vorticity is 1.
        None picks :math:`\nu = 0.5 / k_{\max}^2`, with :math:`k_{\max}` the
        largest wavenumber kept after dealiasing (about ``size / 3``): the
        smallest resolved scales are damped at rate 0.5 whatever ``size``,
        which keeps the dissipation range resolved, and the same run at two
        sizes gives statistically alike fields.
    forcing : float, default=0.0
        Energy injection rate :math:`\varepsilon` (non-negative) of a random
        forcing, white in time, isotropic and band-limited to wavenumbers
        within 1 of ``wavenumber``.  0 gives freely decaying turbulence; with
        forcing the energy grows by about :math:`\varepsilon` per unit time
        (there is no large-scale drag); the initial energy is about
        :math:`1 / (2 k_0^2)` (see Notes).
    n_steps : int, default=400
        Time steps (0 returns the Gaussian initial fields).  The final time is
        ``n_steps * dt``, in units of the initial eddy turnover time
        :math:`1/\omega_{\mathrm{rms}}`; vortices are clear from about 20.
    dt : float, default=0.075
        Time step (positive).  The advection is explicit, so a step during
        which the flow is too fast for it (Courant number
        :math:`dt\, k_{\max} \max |u_i|` above 2.5) is split into equal
        substeps; each step still advances the time by ``dt``.
    n_jobs : int or None, default=None
        Threads of each Fourier transform (``scipy.fft``'s ``workers``); None
        means 1, -1 all cores.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial fields and the forcing.  For an int, sample ``i``
        does not depend on ``n_samples``: ``make_turbulence(3, ...)[:2]``
        equals ``make_turbulence(2, ...)``.

    Returns
    -------
    vorticity : ndarray of shape (n_samples, size, size)
        The vorticity :math:`\omega`, float64, zero mean over each field
        (periodic box); rows are :math:`y`, columns :math:`x`.

    Raises
    ------
    ValueError
        A parameter out of its range; the message names it and its range.

    Notes
    -----
    With velocity :math:`\mathbf{u} = (u, v)` and stream function
    :math:`\psi` (:math:`u = \partial_y \psi`, :math:`v = -\partial_x \psi`,
    :math:`\omega = \partial_x v - \partial_y u = -\nabla^2 \psi`),

    .. math::

        \partial_t \omega + \mathbf{u} \cdot \nabla \omega
            = \nu \nabla^2 \omega + f,

    solved pseudo-spectrally: the product :math:`\mathbf{u} \cdot \nabla
    \omega` is formed on the grid and truncated by the 2/3 rule (no
    aliasing), the viscous term is integrated exactly by an integrating
    factor and the advection by the classical fourth-order Runge-Kutta
    scheme.  The forcing :math:`f` is added after each step as
    :math:`\sqrt{dt}\, \xi` (Euler-Maruyama), :math:`\xi` a Gaussian field
    scaled so that the mean energy :math:`\tfrac12 \langle |\mathbf{u}|^2
    \rangle` grows by :math:`\varepsilon\, dt`.  The initial vorticity
    spectrum is :math:`|\hat\omega(k)| \propto k\, e^{-k^2 / 2 k_0^2}` with
    random phases, :math:`k_0` = ``wavenumber``.

    References
    ----------
    .. [1] J. C. McWilliams, "The emergence of isolated coherent vortices in
       turbulent flow", J. Fluid Mech. 146:21-43, 1984.
       https://doi.org/10.1017/S0022112084001750

    Examples
    --------
    >>> from skscatter.datasets import make_turbulence
    >>> w = make_turbulence(2, size=32, n_steps=20, random_state=0)
    >>> w.shape, w.dtype
    ((2, 32, 32), dtype('float64'))
    """
    params = dict(n_samples=n_samples, size=size, wavenumber=wavenumber, viscosity=viscosity, forcing=forcing,
                  n_steps=n_steps, dt=dt, n_jobs=n_jobs, random_state=random_state)
    validate_parameter_constraints(_CONSTRAINTS, params, caller_name="make_turbulence")
    k0 = max(2.0, size / 32) if wavenumber is None else float(wavenumber)
    if k0 > size / 6:
        raise ValueError(
            f"wavenumber={wavenumber!r} leaves no room for the cascade on a {size} x {size} grid "
            f"(the solver keeps wavenumbers below {size / 3:.4g}); pass at most size / 6 = {size / 6:.4g}, "
            "or a larger size."
        )
    grid = _SpectralGrid(int(size), 1 if n_jobs is None else int(n_jobs), k0)
    nu = 0.5 / grid.k_max**2 if viscosity is None else float(viscosity)

    # One child seed per sample, so that a sample depends only on the seed
    # and its index (not on how many samples are drawn, nor on batching).
    entropy = check_random_state(random_state).randint(0, 2**32, size=4, dtype=np.uint64)
    rngs = [np.random.default_rng(child) for child in np.random.SeedSequence(entropy).spawn(n_samples)]

    out = np.empty((n_samples, size, size))
    batch = max(1, _BATCH_PIXELS // size**2)
    for start in range(0, n_samples, batch):
        chunk = rngs[start:start + batch]
        w_hat = grid.initial_vorticity(chunk)
        w_hat = grid.integrate(w_hat, nu=nu, forcing=float(forcing), n_steps=int(n_steps), dt=float(dt), rngs=chunk)
        out[start:start + len(chunk)] = grid.to_grid(w_hat)
    return out


class _SpectralGrid:
    """Wavenumbers, dealiasing mask and transforms of a periodic ``size`` x ``size`` grid of side 2 pi."""

    def __init__(self, size, workers, k0):
        self.size = size
        self.workers = workers
        # Wavenumbers of the rfft2 half-plane: ky along rows (all), kx along columns (>= 0).
        self.kx = np.fft.rfftfreq(size, 1.0 / size)[None, :]
        self.ky = np.fft.fftfreq(size, 1.0 / size)[:, None]
        self.k2 = self.kx**2 + self.ky**2
        # Orszag's 2/3 rule: a product of two fields limited to |k| < size/3
        # aliases only onto wavenumbers >= size/3, which are dropped.
        self.dealias = (np.abs(self.kx) < size / 3) & (np.abs(self.ky) < size / 3)
        self.k_max = float(np.abs(self.ky[self.dealias[:, :1].ravel()]).max())
        # psi_hat = omega_hat / k^2, the mean mode (k = 0) of psi set to 0.
        self.inv_k2 = np.divide(1.0, self.k2, out=np.zeros_like(self.k2), where=self.k2 > 0)
        self.k0 = k0
        # The spectral operators of the advection as whole half-plane arrays,
        # so that each costs one pass over the spectrum:
        # u_hat = i ky psi_hat, v_hat = -i kx psi_hat, and -d/dx, -d/dy dealiased.
        self.u_op = 1j * self.ky * self.inv_k2
        self.v_op = -1j * self.kx * self.inv_k2
        self.minus_dx = -1j * self.kx * self.dealias
        self.minus_dy = -1j * self.ky * self.dealias
        self._factors = (None, None, None)

    def to_grid(self, a_hat):
        return scipy.fft.irfft2(a_hat, s=(self.size, self.size), workers=self.workers)

    def to_fourier(self, a):
        return scipy.fft.rfft2(a, workers=self.workers)

    def _band_limited(self, rngs, amplitude):
        """Gaussian fields (one per generator) filtered by ``amplitude``, in Fourier space.

        Filtering real white noise keeps the Hermitian symmetry of a real
        field for free, and each sample draws only from its own generator.
        """
        noise = np.stack([rng.standard_normal((self.size, self.size)) for rng in rngs])
        return self.to_fourier(noise) * amplitude

    def initial_vorticity(self, rngs):
        k = np.sqrt(self.k2)
        w_hat = self._band_limited(rngs, k * np.exp(-0.5 * (k / self.k0) ** 2) * self.dealias)
        rms = np.sqrt(np.mean(self.to_grid(w_hat) ** 2, axis=(1, 2), keepdims=True))
        return w_hat / rms

    def _forcing_amplitude(self):
        """Filter whose white-noise output has an expected energy 1/2 <|u|^2> of 1."""
        k = np.sqrt(self.k2)
        band = (np.abs(k - self.k0) <= 1) & (self.k2 > 0) & self.dealias
        # Real white noise of unit variance has E|noise_hat|^2 = size^2 at each
        # wavenumber; |u_hat|^2 = |omega_hat|^2 / k^2, and Parseval over the
        # full plane (the half-plane's columns 1 .. size/2 - 1 count twice).
        weight = np.full(self.kx.shape, 2.0)
        weight[:, 0] = 1.0
        if self.size % 2 == 0:
            weight[:, -1] = 1.0
        energy = 0.5 * np.sum(weight * band * self.inv_k2) / self.size**2
        return band / np.sqrt(energy)

    def _advection(self, w_hat):
        """-(u . grad omega), dealiased, in Fourier space; and the largest |u|, |v| per sample.

        Written as -div(u omega), equal since div u = 0: three inverse
        transforms and two forward ones instead of four and one.
        """
        spectra = np.empty((3, *w_hat.shape), dtype=w_hat.dtype)
        np.multiply(self.u_op, w_hat, out=spectra[0])
        np.multiply(self.v_op, w_hat, out=spectra[1])
        spectra[2] = w_hat
        u, v, w = scipy.fft.irfft2(spectra, s=(self.size, self.size), workers=self.workers, overwrite_x=True)
        speed = np.maximum(np.abs(u).max(axis=(1, 2)), np.abs(v).max(axis=(1, 2)))
        fluxes = np.empty((2, *u.shape))
        np.multiply(u, w, out=fluxes[0])
        np.multiply(v, w, out=fluxes[1])
        flux_x, flux_y = scipy.fft.rfft2(fluxes, workers=self.workers, overwrite_x=True)
        out = self.minus_dx * flux_x
        out += self.minus_dy * flux_y
        return out, speed

    def _rk4_step(self, w_hat, k1, nu, dt):
        """One step of the integrating-factor RK4 scheme, given k1 = advection(w_hat)."""
        if self._factors[0] != (nu, dt):  # most steps reuse the last step's dt
            half = np.exp(-nu * self.k2 * dt / 2)  # the integrating factor over dt/2
            self._factors = ((nu, dt), half, half * half)
        _, half, full = self._factors
        k2, _ = self._advection(half * (w_hat + 0.5 * dt * k1))
        k3, _ = self._advection(half * w_hat + 0.5 * dt * k2)
        k4, _ = self._advection(full * w_hat + dt * half * k3)
        return full * w_hat + (dt / 6) * (full * k1 + 2 * half * (k2 + k3) + k4)

    def integrate(self, w_hat, *, nu, forcing, n_steps, dt, rngs):
        if forcing > 0:
            kick = np.sqrt(forcing * dt) * self._forcing_amplitude()
        for _ in range(n_steps):
            # A step that would break the Courant condition is split into
            # equal substeps, so that every dt reaches the same final time.
            elapsed = 0.0
            while elapsed < dt:
                k1, speed = self._advection(w_hat)
                courant = (dt - elapsed) * self.k_max * speed.max()
                if not np.isfinite(courant):
                    raise FloatingPointError("the vorticity overflowed; lower dt or forcing")
                n_sub = max(1, int(np.ceil(courant / _COURANT)))
                h = (dt - elapsed) / n_sub
                w_hat = self._rk4_step(w_hat, k1, nu, h)
                elapsed = dt if n_sub == 1 else elapsed + h
            if forcing > 0:
                w_hat = w_hat + kick * self._band_limited(rngs, 1.0)
        return w_hat
