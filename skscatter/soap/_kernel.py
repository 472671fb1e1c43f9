"""Sum-of-local-energies kernels on SOAP environments (the GAP form).

A structure's energy as a sum of local energies, ``E(A) = sum_{i in A}
eps(p_i)`` with ``eps(p) = sum_m a_m k(p, s_m)`` and the polynomial SOAP
kernel ``k(p, s) = (p_hat . s_hat)^zeta`` on unit-normalised power spectra,
is linear in ``Phi(A)_m = sum_{i in A} k(p_i, s_m)``.  With
representative environments ``s_m`` chosen in ``fit``, ``Ridge`` on
``Phi K_MM^(-1/2)`` (``K_MM`` the kernel among the ``s_m``) is the
subset-of-regressors sparse Gaussian process of GAP; ``mode="exact"``
instead returns the full sum kernel ``K(A, B) = sum_i sum_j k(p_i, p_j)``
against the training structures, for ``KernelRidge(kernel="precomputed")``.
"""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._backend import resolve_backend
from ..structures import StructureInputMixin, check_structures
from ..utils._params import N_JOBS, VERBOSE, check_execution_params
from ..utils._progress import Progress
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._core import Scratch, atom_rows, bytes_per_atom
from ._descriptor import SOAPDescriptor, run_batches, stream_structures

# How the message for an element unseen in fit says to pass the species.
_SPECIES_FIX = "SOAPSumKernel(descriptor=SOAPDescriptor(..., species={species}))"


class _KernelModel(NamedTuple):
    """What ``SOAPSumKernel.fit`` resolved: the function ``transform`` computes."""

    zeta: int
    targets: np.ndarray  # (T, n_features) unit rows: representatives, or every training atom (exact)
    target_centres: np.ndarray  # (T,) atomic number of each target's central atom
    projection: np.ndarray  # (M, M) K_MM^(-1/2), or None
    target_structures: np.ndarray  # (n_train + 1,) column starts of each training structure (exact), or None
    n_features_out: int


def _kernel(rows, centres, targets, target_centres, zeta):
    # Environments are only compared with environments around the same
    # element (as in GAP, one kernel per centre species).
    k = (rows @ targets.T) ** zeta
    k *= centres[:, None] == target_centres[None, :]
    return k


def _kernel_rows(batch, descriptor, model, backend, first_index, scratch):
    """``Phi`` (or the exact sum kernel) of a batch of structures, from the fitted models only."""
    rows = atom_rows(batch, descriptor, backend, first_index=first_index, scratch=scratch)
    centres = np.concatenate([s.numbers for s in batch])
    k = _kernel(rows, centres, model.targets, model.target_centres, model.zeta)
    sizes = np.array([len(s.numbers) for s in batch])
    out = np.add.reduceat(k, np.concatenate([[0], np.cumsum(sizes)[:-1]]), axis=0)
    if model.target_structures is not None:
        return np.add.reduceat(out, model.target_structures[:-1], axis=1)
    return out @ model.projection if model.projection is not None else out


def _farthest_point(rows, m, rng, progress=None):
    """Greedy farthest-point sampling on unit rows (cosine distance), first point at random."""
    chosen = [int(rng.randint(len(rows)))]
    dist = 2.0 - 2.0 * rows @ rows[chosen[0]]
    for _ in range(1, m):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, 2.0 - 2.0 * rows @ rows[nxt])
        if progress is not None:
            progress.update(1)
    return np.array(chosen)


class SOAPSumKernel(StructureInputMixin, TransformerMixin, BaseEstimator):
    """Sum-of-local-energies features of structures: SOAP kernels summed over each structure's atoms.

    Column ``m`` of a structure ``A`` is
    ``Phi(A)_m = sum_{i in A} (p_hat_i . s_hat_m)^zeta``, with ``p_hat_i``
    the unit-normalised power spectrum of atom ``i`` and ``s_hat_m`` a
    representative environment; a linear model on ``Phi`` is a sum of
    local energies.  The kernel is zero between environments around different elements
    (``k(p_i, s_m) = [Z_i = Z_m] (p_hat_i . s_hat_m)^zeta``, one local-energy
    function per element, as in GAP).

    Parameters
    ----------
    descriptor : SOAPDescriptor, default=None
        Computes the per-atom power spectra (cloned in ``fit``; None:
        ``SOAPDescriptor()``).  Its ``reduction`` and ``normalize`` are
        overridden: the kernel needs unit-normalised per-atom rows.  Its
        ``backend`` and ``batch_size`` decide how the rows are computed
        (those of the fitted clone ``descriptor_``).
        GridSearchCV reaches its parameters as ``descriptor__r_cut`` etc.
    n_representatives : int, default=2000
        Number ``M`` of representative environments (``mode="sparse"``).
    zeta : int, default=2
        Exponent of the polynomial kernel.
    selection : {"random", "fps"}, default="random"
        How representatives are drawn from the training environments:
        uniformly, or by farthest-point sampling on a random pool of
        ``10 M`` environments.
    mode : {"sparse", "exact"}, default="sparse"
        ``"sparse"``: ``Phi`` times ``K_MM^(-1/2)`` (``whiten=True``) so that
        ``Ridge(alpha)`` on it is the subset-of-regressors GP.  ``"exact"``:
        the full sum kernel against the training structures
        (``n_train`` columns; memory grows with the training atoms).
    whiten : bool, default=True
        Multiply ``Phi`` by ``K_MM^(-1/2)`` in sparse mode.
    jitter : float, default=1e-8
        Relative eigenvalue cut-off for ``K_MM^(-1/2)``: eigen-directions of
        ``K_MM`` below ``jitter`` times its largest eigenvalue (or machine
        epsilon times it, whichever is larger) are dropped.
    random_state : int, RandomState or None, default=None
        Seeds the choice of representatives.
    n_jobs : int, default=None
        CPU threads one call (``fit`` or ``transform``) may use, as in
        :class:`SOAPDescriptor`; ``None`` means the descriptor's ``n_jobs``.
        May change after ``fit``.
    verbose : int, default=None
        Progress on stderr of ``fit`` (describing the training atoms,
        choosing the representatives) and ``transform``: 1 shows a bar
        with the rate and the ETA once a step has run a few seconds
        (tqdm's with ``skscatter[progress]``, else a line every few
        seconds), 2 and above from the start with one line per batch.
        ``None`` means the descriptor's ``verbose``.  May change after
        ``fit``; results do not depend on it.

    Attributes
    ----------
    descriptor_ : SOAPDescriptor
        The fitted clone of ``descriptor``.
    representatives_ : ndarray of shape (M, n_features)
        Unit-normalised representative environments (sparse mode).
    representative_centres_ : ndarray of shape (M,)
        Atomic number of each representative's central atom.
    projection_ : ndarray of shape (M, M) or None
        ``K_MM^(-1/2)`` (sparse mode with ``whiten``).
    train_atoms_ : ndarray of shape (n_train_atoms, n_features)
        Unit-normalised training environments (exact mode).
    n_features_out_ : int
        ``M`` (sparse mode) or the number of training structures (exact).

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skscatter.soap import SOAPDescriptor, SOAPSumKernel
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> mols = [([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93 + 0.1 * rng.random(), 0]]) for _ in range(8)]
    >>> y = rng.random(8)
    >>> model = make_pipeline(SOAPSumKernel(SOAPDescriptor(n_max=2, l_max=2), n_representatives=5, random_state=0), Ridge(1e-3))
    >>> model.fit(mols, y).predict(mols[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        # The kernel runs the fitted descriptor's model batch by batch, so it
        # must be a SOAPDescriptor (or a subclass), not any transform_atoms.
        "descriptor": [SOAPDescriptor, None],
        "n_representatives": [Interval(Integral, 1, None, closed="left")],
        "zeta": [Interval(Integral, 1, None, closed="left")],
        "selection": [StrOptions({"random", "fps"})],
        "mode": [StrOptions({"sparse", "exact"})],
        "whiten": ["boolean"],
        "jitter": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": N_JOBS,
        "verbose": VERBOSE + [None],
    }

    def __init__(
        self,
        descriptor=None,
        n_representatives=2000,
        zeta=2,
        selection="random",
        mode="sparse",
        whiten=True,
        jitter=1e-8,
        random_state=None,
        n_jobs=None,
        verbose=None,
    ):
        self.descriptor = descriptor
        self.n_representatives = n_representatives
        self.zeta = zeta
        self.selection = selection
        self.mode = mode
        self.whiten = whiten
        self.jitter = jitter
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _execution(self):
        """The fitted descriptor's execution settings, with this estimator's ``n_jobs`` and ``verbose`` when set."""
        d = self.descriptor_
        backend = resolve_backend(d.backend, owner=type(self).__name__, supported=("numpy", "numba", "cupy"))
        n_jobs = d.n_jobs if self.n_jobs is None else self.n_jobs
        verbose = d.verbose if self.verbose is None else self.verbose
        return dict(backend=backend, n_jobs=n_jobs, batch_size=d.batch_size, verbose=verbose)

    def _atoms(self, structures):
        """Unit per-atom rows of validated structures (described in ``fit``), and their central atoms' numbers."""
        P, _ = self.descriptor_._atom_rows(structures, label=f"{type(self).__name__}.fit", **self._execution())
        return P, np.concatenate([s.numbers for s in structures])

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Compute the training environments and choose the representatives.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`; an iterable without ``len``
            (a generator) is read into a list first: ``fit`` needs every
            structure twice.
        y : None
            Ignored.

        Returns
        -------
        self : SOAPSumKernel
            The fitted estimator.
        """
        structures = check_structures(X)
        base = SOAPDescriptor() if self.descriptor is None else self.descriptor
        self.descriptor_ = clone(base).set_params(reduction="sum", normalize=True).fit(structures)
        check_execution_params(self.descriptor_)
        zeta = int(self.zeta)
        rng = check_random_state(self.random_state)
        if self.mode == "exact":
            self.train_atoms_, self.train_centres_ = self._atoms(structures)
            sizes = np.array([len(s.numbers) for s in structures])
            self.train_owner_ = np.repeat(np.arange(len(structures)), sizes)
            self.n_train_ = len(structures)
            self.n_features_out_ = self.n_train_
            self._model = _KernelModel(
                zeta=zeta,
                targets=self.train_atoms_,
                target_centres=self.train_centres_,
                projection=None,
                target_structures=np.concatenate([[0], np.cumsum(sizes)]),
                n_features_out=self.n_train_,
            )
            return self

        n_atoms = sum(len(s.numbers) for s in structures)
        M = min(self.n_representatives, n_atoms)
        pool_size = M if self.selection == "random" else min(n_atoms, 10 * M)
        pool = np.sort(rng.choice(n_atoms, size=pool_size, replace=False))  # RandomState API
        # Only the structures holding pooled atoms are described.
        sizes = np.array([len(s.numbers) for s in structures])
        owner = np.repeat(np.arange(len(structures)), sizes)
        needed = np.unique(owner[pool])
        # Row of atom a within the described subset: its structure's first
        # row there plus its index inside the structure.
        first_in_subset = np.zeros(len(structures), dtype=np.int64)
        first_in_subset[needed] = np.concatenate([[0], np.cumsum(sizes[needed])[:-1]])
        first_in_all = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        rows, centres = self._atoms([structures[b] for b in needed])
        where = first_in_subset[owner[pool]] + pool - first_in_all[owner[pool]]
        picked, picked_centres = rows[where], centres[where]
        if self.selection == "fps":
            verbose = self._execution()["verbose"]
            with Progress(M - 1, verbose=verbose, label=f"{type(self).__name__}.fit", unit="representatives") as p:
                keep = _farthest_point(picked, M, rng, p)
            picked, picked_centres = picked[keep], picked_centres[keep]
        self.representatives_ = picked
        self.representative_centres_ = picked_centres
        if self.whiten:
            K = _kernel(picked, picked_centres, picked, picked_centres, zeta)
            w, V = np.linalg.eigh(K)
            keep = w > max(self.jitter, np.finfo(float).eps) * w.max()
            self.projection_ = (V[:, keep] / np.sqrt(w[keep])) @ V[:, keep].T
        else:
            self.projection_ = None
        self.n_features_out_ = M
        self._model = _KernelModel(
            zeta=zeta,
            targets=picked,
            target_centres=picked_centres,
            projection=self.projection_,
            target_structures=None,
            n_features_out=M,
        )
        return self

    def transform(self, X):
        """``Phi`` (sparse mode) or the sum kernel against the training structures (exact mode).

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`.  An iterable without ``len``
            (a generator, ``ase.io.iread(...)``) is read chunk by chunk, as
            in :meth:`SOAPDescriptor.transform`.

        Returns
        -------
        Phi : ndarray of shape (n_structures, n_features_out)
            One row per structure.
        """
        check_is_fitted(self)
        check_execution_params(self)
        check_execution_params(self.descriptor_)
        model, descriptor = self._model, self.descriptor_._model
        execution = self._execution()
        backend = execution["backend"]
        # The kernel block (atoms x targets) and the atoms' rows are the
        # batch's temporaries, on top of the descriptor's.
        per_atom = bytes_per_atom(descriptor, backend, atom_rows=True) + 8 * 2 * len(model.targets)
        blocks = []
        for first, structures in stream_structures(
            X, descriptor, type(self).__name__, bytes_per_atom=per_atom, fix=_SPECIES_FIX
        ):
            scratch = Scratch()

            def task(batch, start, first=first, scratch=scratch):
                return _kernel_rows(batch, descriptor, model, backend, first + start, scratch)

            out = np.empty((len(structures), model.n_features_out))
            for start, stop, block in run_batches(
                structures, task, label=type(self).__name__, bytes_per_atom=per_atom, **execution
            ):
                out[start:stop] = block
            blocks.append(out)
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def get_feature_names_out(self, input_features=None):
        """``kernel0``, ``kernel1``, ...: one name per output column.

        Parameters
        ----------
        input_features : None
            Ignored (structures have no input features).

        Returns
        -------
        names : ndarray of str
            One name per output column.
        """
        check_is_fitted(self)
        return np.asarray([f"kernel{i}" for i in range(self._model.n_features_out)], dtype=object)
