"""Scattering1DTransformer: 1D Morlet wavelet scattering of signals as a scikit-learn transformer."""

import math
import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import get_array_module, resolve_backend, to_host
from .._kernels.fourier import get_fourier_ops
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, BATCH_SIZE, N_JOBS, VERBOSE, check_execution_params
from ..utils._sklearn_compat import Interval, StrOptions, _check_feature_names_in, _fit_context
from ..utils._validation import overflow_error, validate_signals, working_dtype
from ._core_1d import pad_signals, scattering_1d, scattering_paths_1d
from ._morlet_1d import filters_for, morlet_1d_bank
from ._precision import scatter_in_range


class _Model(NamedTuple):
    """What ``fit`` resolved: the function ``transform`` computes."""

    J: int
    Q: tuple
    T: int
    max_order: int
    length: int
    n_channels: int
    oversampling: int
    average: bool
    log_eps: float  # None without the log
    n_paths: int
    output_length: int
    n_features_out: int


def _resolve_Q(Q):
    if isinstance(Q, Integral) and not isinstance(Q, bool):
        Q = (Q, 1)
    elif isinstance(Q, (tuple, list)) and len(Q) == 1:
        Q = (Q[0], 1)
    if (
        not isinstance(Q, (tuple, list))
        or len(Q) != 2
        or not all(isinstance(q, Integral) and not isinstance(q, bool) and q >= 1 for q in Q)
    ):
        raise ValueError(f"Q={Q!r} must be a positive int (wavelets per octave at order 1) or a pair (Q1, Q2).")
    return (int(Q[0]), int(Q[1]))


def _bank(model):
    return morlet_1d_bank(model.length, model.J, *model.Q, model.T, model.oversampling)


def _largest_run(bank):
    # Most first-order wavelets applied at once (they share a subsampling).
    k1 = [max(min(j, bank.log2_T) - bank.oversampling, 0) for j in bank.j1]
    return max(k1.count(k) for k in set(k1))


def _bytes_per_sample(model, bank, itemsize, backend):
    """Temporaries of one sample (all its channels) while its batch is scattered."""
    # In units of padded_length real values per channel: the padded signal
    # and its spectrum (~4), and for the largest run of first-order
    # wavelets their products, inverse FFTs, moduli and spectra (~7 per
    # wavelet; the array backends also hold the unfolded products, ~2
    # more).  Freed buffers are not all returned to the OS at once: x2.
    per_wavelet = 7 + (2 if backend != "numba" else 0)
    units = 4 + per_wavelet * _largest_run(bank)
    return 2 * units * bank.padded_length * itemsize * model.n_channels


def _scatter_batch(signals, model, bank, ops):
    """``(R, length)`` signals -> ``(R, n_paths, output_length)`` (or ``(R, n_paths)``); None on overflow."""
    xp = ops.xp
    filters = filters_for(ops, bank, signals.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        x = pad_signals(signals, bank.length, bank.padded_length, bank.pad_left, xp)
        S = scattering_1d(x, bank, filters, model.max_order, ops)
        if model.average:
            S = S.mean(axis=2)
        if model.log_eps is not None:
            S = xp.log(xp.abs(S) + model.log_eps)
    return S if bool(xp.isfinite(S).all()) else None


class Scattering1DTransformer(TransformerMixin, BaseEstimator):
    r"""1D Morlet wavelet scattering transform of signals and time series.

    Computes the scattering coefficients of Andén & Mallat (2014) with the
    definition of kymatio's ``Scattering1D`` (same Morlet filter bank with
    its low-frequency extension, padding, subsampling and path order), with
    threaded ``scipy.fft``, fused numba kernels and an optional cupy path.
    Coefficients are stable to time shifts smaller than ``T`` samples and
    to small time warps; first order is a mel-like spectrogram averaged
    over ``T``, second order recovers the modulations it averaged away.

    Parameters
    ----------
    J : int, default=6
        Largest wavelet scale: the lowest-frequency wavelets last about
        ``2**J`` samples.
    Q : int or tuple of (int, int), default=8
        Wavelets per octave at order 1, or ``(Q1, Q2)`` for both orders (an
        int means ``(Q, 1)``).
    T : int, default=None
        Width of the low-pass averaging in samples; ``None`` means ``2**J``.
        Maps are sampled every ``2**(floor(log2 T) - oversampling)``
        samples.  Must not exceed the signal length.
    max_order : {1, 2}, default=2
        Highest scattering order.
    shape : int, default=None
        Signal length.  ``None`` takes it from ``(n, n_channels, length)``
        input, or reads flat rows as ``n_channels`` signals one after the
        other.
    oversampling : int, default=0
        Keep ``2**oversampling`` times more samples per map than the
        bandwidths require (values do not change, only the sampling).
    n_channels : int, default=None
        Channels per sample (multivariate series); ``None`` takes it from 3D
        input and means 1 for 2D input.  Each channel is scattered
        separately.
    output : {"maps", "mean"}, default="maps"
        ``"maps"`` returns every coefficient at every time sample;
        ``"mean"`` averages each path over time (fully shift invariant,
        ``n_channels * n_paths`` features).
    log : bool, default=False
        Return :math:`\log(|S| + \varepsilon)` instead of :math:`S`; follow
        it with a ``StandardScaler``.
    log_eps : float, default=1e-6
        The :math:`\varepsilon` of ``log``.
    backend : {"auto", "numpy", "numba", "cupy"}, default="auto"
        Who computes.  ``"auto"`` uses cupy for cupy input and numba
        otherwise.  All compute the same function.
    n_jobs : int, default=None
        CPU threads.  Batches of signals are transformed concurrently, each
        with serial kernels; a single batch uses ``n_jobs`` numba threads
        and ``scipy.fft`` workers instead.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all cores.
        Results do not depend on ``n_jobs``.
    batch_size : int or "auto", default="auto"
        Signals transformed at once.  ``"auto"`` takes at most 256, fewer
        when the temporaries of the concurrent batches would exceed
        ``skscatter.get_config()["working_memory"]`` MiB.
    verbose : int, default=0
        Progress of ``transform`` on stderr: 1 shows a bar with the rate
        and the ETA once the call has run a few seconds (tqdm's with
        ``skscatter[progress]``, else a line every few seconds), 2 and
        above from the start with one line per batch.  May change after
        ``fit``; results do not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        ``n_channels * length``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Input feature names, when ``X`` had string column names.
    signal_length_ : int
        Signal length used.
    n_channels_ : int
        Channels per sample.
    Q_ : tuple of (int, int)
        Wavelets per octave at orders 1 and 2.
    T_ : int
        Low-pass width used.
    padded_length_ : int
        Length (a power of two) the signals are reflect-padded to.
    output_length_ : int
        Time samples per map (1 feature per path with ``output="mean"``).
    n_paths_ : int
        Scattering paths per channel.
    paths_ : list of tuple
        ``(order, n1, n2)`` of each path in output order (``-1`` where not
        applicable); ``n1``, ``n2`` index the wavelets of ``meta_``.
    meta_ : dict of ndarray
        Per path, as kymatio's ``meta()``: ``"order"`` (n_paths,), and
        ``"xi"`` (centre frequency, cycles/sample), ``"sigma"``
        (bandwidth), ``"j"`` (scale), ``"n"`` (wavelet index), each
        ``(n_paths, 2)`` with NaN where not applicable.

    See Also
    --------
    ScatteringTransformer : The 2D transform of images.

    Notes
    -----
    With :math:`\phi_T` the low-pass filter and :math:`\psi_\lambda` the
    Morlet wavelets,

    .. math::

        S_0 x = x \star \phi_T, \quad
        S_1 x(t, \lambda_1) = |x \star \psi_{\lambda_1}| \star \phi_T(t), \quad
        S_2 x(t, \lambda_1, \lambda_2) = ||x \star \psi_{\lambda_1}|
        \star \psi_{\lambda_2}| \star \phi_T(t) \;(j_2 > j_1).

    The output is flattened in ``(channel, path, time)`` C order:
    ``X_t.reshape(n, C, n_paths_, output_length_)`` is kymatio's layout.
    Filters applied after a decimation by :math:`2^k` are the sum of their
    aliased copies, as in kymatio's reference test values (its golden
    ``Scattering1D`` file), so magnitudes do not depend on the sampling;
    kymatio 0.3 averaged them instead: its first-order coefficients are
    ours divided by :math:`2^{k_1}` and its second-order ones by
    :math:`2^{2 k_1 + k_2}`, with :math:`2^{k_1}`, :math:`2^{k_2}` the
    decimations after the first and second wavelet.  Signals are reflect-padded, so any
    length works; a length shorter than ``T`` is refused.

    References
    ----------
    .. [1] J. Andén and S. Mallat, "Deep scattering spectrum", IEEE Trans.
       Signal Processing 62(16), 2014. https://doi.org/10.1109/TSP.2014.2326991
    .. [2] M. Andreux et al., "Kymatio: Scattering transforms in Python",
       JMLR 21(60), 2020.
    .. [3] V. Lostanlen, "Convolutional operators in the time-frequency
       domain", PhD thesis, 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from skscatter import Scattering1DTransformer
    >>> t = np.arange(1024)
    >>> X = np.stack([np.sin(0.05 * t * (1 + 0.1 * k)) for k in range(4)])
    >>> scattering = Scattering1DTransformer(J=6, Q=8).fit(X)
    >>> Xt = scattering.transform(X)
    >>> Xt.shape, scattering.n_paths_, scattering.output_length_
    ((4, 2016), 126, 16)
    >>> scattering.get_feature_names_out()[[0, 16, 2015]].tolist()
    ['s0_t0', 's1_n0_j0_t0', 's2_n32_j3_n6_j4_t15']
    """

    _parameter_constraints = {
        "J": [Interval(Integral, 1, None, closed="left")],
        "Q": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "T": [Interval(Integral, 1, None, closed="left"), None],
        "max_order": [Interval(Integral, 1, 2, closed="both")],
        "shape": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "oversampling": [Interval(Integral, 0, None, closed="left")],
        "n_channels": [Interval(Integral, 1, None, closed="left"), None],
        "output": [StrOptions({"maps", "mean"})],
        "log": ["boolean"],
        "log_eps": [Interval(Real, 0, None, closed="neither")],
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "batch_size": BATCH_SIZE,
        "verbose": VERBOSE,
    }

    def __init__(
        self,
        J=6,
        Q=8,
        T=None,
        max_order=2,
        shape=None,
        *,
        oversampling=0,
        n_channels=None,
        output="maps",
        log=False,
        log_eps=1e-6,
        backend="auto",
        n_jobs=None,
        batch_size="auto",
        verbose=0,
    ):
        self.J = J
        self.Q = Q
        self.T = T
        self.max_order = max_order
        self.shape = shape
        self.oversampling = oversampling
        self.n_channels = n_channels
        self.output = output
        self.log = log
        self.log_eps = log_eps
        self.backend = backend
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the signal layout and build the filter bank.

        Nothing is learned from the values: the scattering transform is
        fixed.  Filters come from a module-level cache, so refitting clones
        is cheap.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_channels, length)
            Training signals.
        y : None
            Ignored.

        Returns
        -------
        self : Scattering1DTransformer
            The fitted transformer.
        """
        X, length, n_channels = validate_signals(self, X, reset=True)
        Q = _resolve_Q(self.Q)
        J, max_order, oversampling = int(self.J), int(self.max_order), int(self.oversampling)
        T = 2**J if self.T is None else int(self.T)
        if T > length:
            what = f"T=None means 2**J = {T}" if self.T is None else f"T={T}"
            fix = (
                f"use J <= {int(math.log2(length))} or pass T <= {length}"
                if length >= 2
                else "pass signals of at least 2 samples"
            )
            raise ValueError(
                f"The low-pass width ({what}) exceeds the signal length {length}: the averaging would wrap "
                f"the padded signal onto itself; {fix}."
            )
        bank = morlet_1d_bank(length, J, *Q, T, oversampling)
        if bank.border_effects:
            warnings.warn(
                f"Signals of length {length} are shorter than the support of the low-pass filter of width T={T}: "
                "border effects will show in the coefficients; use a smaller T (or J) for such short signals.",
                UserWarning,
                stacklevel=3,
            )
        paths = scattering_paths_1d(bank, max_order)
        average = self.output == "mean"
        self.signal_length_ = length
        self.n_channels_ = n_channels
        self.Q_ = Q
        self.T_ = T
        self.padded_length_ = bank.padded_length
        self.output_length_ = bank.output_length
        self.n_paths_ = len(paths)
        self.paths_ = paths
        self.meta_ = _meta(bank, paths)
        self._model = _Model(
            J=J,
            Q=Q,
            T=T,
            max_order=max_order,
            length=length,
            n_channels=n_channels,
            oversampling=oversampling,
            average=average,
            log_eps=float(self.log_eps) if self.log else None,
            n_paths=len(paths),
            output_length=bank.output_length,
            n_features_out=n_channels * len(paths) * (1 if average else bank.output_length),
        )
        return self

    def transform(self, X):
        """Compute the scattering coefficients of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, n_channels, length)
            Signals laid out as in ``fit``; a cupy array with
            ``backend="auto"`` or ``"cupy"`` is transformed on its GPU.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features_out)
            Coefficients in ``(channel, path, time)`` order (``(channel,
            path)`` for ``output="mean"``), float32 for float32 input and
            float64 otherwise; a cupy array for cupy input.
        """
        check_is_fitted(self)
        check_execution_params(self)
        model = self._model
        X, _, _ = validate_signals(self, X, reset=False)
        backend = resolve_backend(self.backend, X, owner=type(self).__name__)
        out_xp = get_array_module(X)
        dtype = working_dtype(X)
        bank = _bank(model)
        n = X.shape[0]
        plan = plan_execution(
            n,
            backend=backend,
            n_jobs=self.n_jobs,
            batch_size=self.batch_size,
            bytes_per_sample=_bytes_per_sample(model, bank, dtype.itemsize, backend),
            max_batch=256,
        )
        ops = get_fourier_ops(backend, plan.threads)

        def scatter(start, stop):
            xp = get_array_module(X)
            rows = xp.ascontiguousarray(X[start:stop], dtype=dtype).reshape(-1, model.length)
            signals = ops.asarray(rows)
            S = scatter_in_range(lambda data: _scatter_batch(data, model, bank, ops), signals, ops.xp)
            if S is None:
                raise overflow_error(X[start:stop], "The scattering of X")
            return S.reshape(stop - start, -1)

        result = out_xp.empty((n, model.n_features_out), dtype=dtype)
        runs = plan.run(
            scatter, numba_parallel=plan.threads > 1, verbose=self.verbose, label=type(self).__name__, unit="signals"
        )
        for start, stop, block in runs:
            result[start:stop] = block if out_xp is ops.xp else to_host(block)
        return result

    def get_feature_names_out(self, input_features=None):
        """Return the names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; output names do not
            depend on them.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``[c{c}_]s0``, ``[c{c}_]s1_n{n1}_j{j1}`` or
            ``[c{c}_]s2_n{n1}_j{j1}_n{n2}_j{j2}``, followed by ``_t{t}`` for
            ``output="maps"``; the channel prefix only when
            ``n_channels_ > 1``.  ``meta_`` gives each wavelet's frequency.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        j = self.meta_["j"]
        names = []
        for p, (order, n1, n2) in enumerate(self.paths_):
            if order == 0:
                names.append("s0")
            elif order == 1:
                names.append(f"s1_n{n1}_j{int(j[p, 0])}")
            else:
                names.append(f"s2_n{n1}_j{int(j[p, 0])}_n{n2}_j{int(j[p, 1])}")
        names = np.asarray(names, dtype=object)
        if not self._model.average:
            times = np.asarray([f"_t{t}" for t in range(self.output_length_)], dtype=object)
            names = (names[:, None] + times[None, :]).ravel()
        if self.n_channels_ > 1:
            prefixes = np.asarray([f"c{c}_" for c in range(self.n_channels_)], dtype=object)
            names = (prefixes[:, None] + names[None, :]).ravel()
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _meta(bank, paths):
    """kymatio's ``meta()`` arrays for ``paths``."""
    order, n1, n2 = np.asarray(paths, dtype=np.int64).reshape(-1, 3).T
    meta = {"order": order}
    for key, first, second in (
        ("xi", bank.xi1, bank.xi2),
        ("sigma", bank.sigma1, bank.sigma2),
        ("j", bank.j1, bank.j2),
        ("n", range(len(bank.j1)), range(len(bank.j2))),
    ):
        values = np.full((len(order), 2), np.nan)
        # NaN where a path has no wavelet of that order (index -1).
        for column, index, table in ((0, n1, first), (1, n2, second)):
            used = index >= 0
            values[used, column] = np.asarray(table, dtype=np.float64)[index[used]]
        meta[key] = values
    return meta
