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

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._config import get_config
from ..structures import StructureInputMixin, check_structures
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, _fit_context
from ._descriptor import SOAPDescriptor


def _farthest_point(rows, m, rng):
    """Greedy farthest-point sampling on unit rows (cosine distance), first point at random."""
    chosen = [int(rng.randint(len(rows)))]
    dist = 2.0 - 2.0 * rows @ rows[chosen[0]]
    for _ in range(1, m):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, 2.0 - 2.0 * rows @ rows[nxt])
    return np.array(chosen)


class SOAPSumKernel(StructureInputMixin, TransformerMixin, BaseEstimator):
    """Structure features ``Phi(A)_m = sum_{i in A} (p_hat_i . s_hat_m)^zeta`` for sum-of-local-energy models.

    The kernel is zero between environments around different elements
    (``k(p_i, s_m) = [Z_i = Z_m] (p_hat_i . s_hat_m)^zeta``, one local-energy
    function per element, as in GAP).

    Parameters
    ----------
    descriptor : SOAPDescriptor, default=None
        Computes the per-atom power spectra (cloned in ``fit``; None:
        ``SOAPDescriptor()``).  Its ``reduction`` and ``normalize`` are
        overridden: the kernel needs unit-normalised per-atom rows.  GridSearchCV reaches its
        parameters as ``descriptor__r_cut`` etc.
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
    n_jobs : int, default=None
        Passed to the descriptor (numba threads).

    Attributes
    ----------
    descriptor_ : SOAPDescriptor
    representatives_ : ndarray of shape (M, n_features)
        Unit-normalised representative environments (sparse mode).
    representative_centres_ : ndarray of shape (M,)
        Atomic number of each representative's central atom.
    projection_ : ndarray of shape (M, M) or None
        ``K_MM^(-1/2)`` (sparse mode with ``whiten``).

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
        "descriptor": [HasMethods(["fit", "transform_atoms"]), None],
        "n_representatives": [Interval(Integral, 1, None, closed="left")],
        "zeta": [Interval(Integral, 1, None, closed="left")],
        "selection": [StrOptions({"random", "fps"})],
        "mode": [StrOptions({"sparse", "exact"})],
        "whiten": ["boolean"],
        "jitter": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
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

    def _atoms(self, structures):
        P, owner = self.descriptor_.transform_atoms(structures)  # unit rows: normalize=True
        return P, owner, np.concatenate([s.numbers for s in structures])

    def _kernel(self, rows, centres, targets, target_centres):
        # Environments are only compared with environments around the same
        # element (as in GAP, one kernel per centre species).
        k = (rows @ targets.T) ** self.zeta
        k *= centres[:, None] == target_centres[None, :]
        return k

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Compute the training environments and choose the representatives.

        Parameters
        ----------
        X : sequence of structures
        y : None
            Ignored.

        Returns
        -------
        self : SOAPSumKernel
        """
        structures = check_structures(X)
        base = SOAPDescriptor() if self.descriptor is None else self.descriptor
        params = {"reduction": "sum", "normalize": True}
        if self.n_jobs is not None:
            params["n_jobs"] = self.n_jobs
        self.descriptor_ = clone(base).set_params(**params).fit(structures)
        rng = check_random_state(self.random_state)
        if self.mode == "exact":
            self.train_atoms_, self.train_owner_, self.train_centres_ = self._atoms(structures)
            self.n_train_ = len(structures)
            self.n_features_out_ = self.n_train_
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
        rows, _, centres = self._atoms([structures[b] for b in needed])
        where = first_in_subset[owner[pool]] + pool - first_in_all[owner[pool]]
        picked, picked_centres = rows[where], centres[where]
        if self.selection == "fps":
            keep = _farthest_point(picked, M, rng)
            picked, picked_centres = picked[keep], picked_centres[keep]
        self.representatives_ = picked
        self.representative_centres_ = picked_centres
        if self.whiten:
            K = self._kernel(picked, picked_centres, picked, picked_centres)
            w, V = np.linalg.eigh(K)
            keep = w > max(self.jitter, np.finfo(float).eps) * w.max()
            self.projection_ = (V[:, keep] / np.sqrt(w[keep])) @ V[:, keep].T
        else:
            self.projection_ = None
        self.n_features_out_ = M
        return self

    def transform(self, X):
        """``Phi`` (sparse mode) or the sum kernel against the training structures (exact mode).

        Parameters
        ----------
        X : sequence of structures

        Returns
        -------
        Phi : ndarray of shape (n_structures, n_features_out_)
        """
        check_is_fitted(self)
        structures = check_structures(X)
        if self.mode == "exact":
            targets, target_centres = self.train_atoms_, self.train_centres_
        else:
            targets, target_centres = self.representatives_, self.representative_centres_
        out = np.zeros((len(structures), targets.shape[0]))
        # Stream: a few thousand atoms at a time keeps the per-atom rows and
        # their kernel block within the working memory.
        per_atom = 8 * (self.descriptor_.n_features_out_ + targets.shape[0])
        batch_atoms = max(1, int(get_config()["working_memory"] * 2**20 // per_atom))
        start = 0
        while start < len(structures):
            stop, atoms = start, 0
            while stop < len(structures) and (atoms < batch_atoms or stop == start):
                atoms += len(structures[stop].numbers)
                stop += 1
            rows, owner, centres = self._atoms(structures[start:stop])
            k = self._kernel(rows, centres, targets, target_centres)
            out[start:stop] = np.add.reduceat(k, np.concatenate([[0], np.flatnonzero(np.diff(owner)) + 1]), axis=0)
            start = stop
        if self.mode == "exact":
            edges = np.concatenate([[0], np.flatnonzero(np.diff(self.train_owner_)) + 1])
            return np.add.reduceat(out, edges, axis=1)
        return out @ self.projection_ if self.projection_ is not None else out

    def get_feature_names_out(self, input_features=None):
        """``kernel0``, ``kernel1``, ...: one name per output column."""
        check_is_fitted(self)
        return np.asarray([f"kernel{i}" for i in range(self.n_features_out_)], dtype=object)
