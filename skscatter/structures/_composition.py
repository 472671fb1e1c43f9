"""SpeciesCounts: how many atoms of each element a structure holds."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._params import VERBOSE, check_execution_params
from ..utils._progress import Progress
from ..utils._sklearn_compat import _fit_context
from ._input import StructureInputMixin, check_species, check_structures, iter_structure_chunks, resolve_species

# Structures validated and counted at a time (and between two progress
# updates): a stream (a generator over a trajectory) is never held whole.
_CHUNK = 4096


class SpeciesCounts(StructureInputMixin, TransformerMixin, BaseEstimator):
    """Atom counts per element, one row per structure: the composition baseline.

    A linear model on these counts is a sum of per-element atomic energies,
    ``E(A) = sum_Z n_Z(A) e_Z``, the baseline that sum-of-local-energies
    models are usually fitted on top of (GAP subtracts isolated-atom
    energies).  Next to :class:`~skscatter.SOAPSumKernel` in a
    :class:`~sklearn.pipeline.FeatureUnion`, it lets ``Ridge`` fit the large
    per-element offsets of atomization energies, which the normalised kernel
    (values near 1 for every environment) can only approximate.

    Parameters
    ----------
    species : sequence of str or int, or None, default=None
        Elements to count, as chemical symbols (``["H", "O"]``), atomic
        numbers (``[1, 8]``) or a mix (None: those seen in ``fit``).
        Structures with other elements are rejected.  Under
        cross-validation pass every element of the data: with None, a
        fold whose training part lacks an element cannot transform its
        test part.
    verbose : int, default=0
        Progress of ``transform`` on stderr, as for the other estimators
        (counting is quick: only millions of structures last long enough
        for a bar to show).  May change after ``fit``.

    Attributes
    ----------
    species_ : ndarray of int
        Sorted atomic numbers, one output column each.

    Examples
    --------
    >>> from skscatter.structures import SpeciesCounts
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> methane = ([6, 1, 1, 1, 1], [[0, 0, 0], [1, 1, 1], [-1, -1, 1], [-1, 1, -1], [1, -1, -1]])
    >>> counts = SpeciesCounts().fit([water, methane])
    >>> counts.transform([water, methane]).tolist()
    [[2.0, 0.0, 1.0], [4.0, 1.0, 0.0]]
    >>> counts.get_feature_names_out().tolist()
    ['count_Z1', 'count_Z6', 'count_Z8']
    """

    _parameter_constraints = {"species": ["array-like", None], "verbose": VERBOSE}

    def __init__(self, species=None, *, verbose=0):
        self.species = species
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn (or check) the elements to count.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`; an iterable without ``len``
            (a generator) is read into a list first.
        y : None
            Ignored.

        Returns
        -------
        self : SpeciesCounts
            The fitted estimator.
        """
        self.species_ = resolve_species(self.species, check_structures(X))
        return self

    def transform(self, X):
        """Count each element's atoms.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`; an iterable without ``len``
            (a generator, ``ase.io.iread``) is read chunk by chunk, never
            held whole.

        Returns
        -------
        counts : ndarray of shape (n_structures, n_species), float64
            Atoms of each element of ``species_`` in each structure.
        """
        check_is_fitted(self)
        check_execution_params(self)
        species = self.species_
        lookup = np.zeros(int(species.max()) + 1, dtype=np.int64)
        lookup[species] = np.arange(len(species))
        blocks = []
        # A stream has no length to report progress against.
        total = len(X) if hasattr(X, "__len__") else 0
        verbose = self.verbose if total else 0
        with Progress(total, verbose=verbose, label=type(self).__name__, unit="structures") as progress:
            for first, structures in iter_structure_chunks(X, max_atoms=np.inf, max_structures=_CHUNK):
                check_species(structures, species, owner=type(self).__name__, first_index=first)
                block = np.zeros((len(structures), len(species)))
                for i, s in enumerate(structures):
                    block[i] = np.bincount(lookup[s.numbers], minlength=len(species))
                blocks.append(block)
                progress.update(len(structures), detail=f"structures {first:,}-{first + len(structures):,}")
        return np.concatenate(blocks)

    def get_feature_names_out(self, input_features=None):
        """Return the names ``count_Z{z}``, one per element of ``species_``.

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
        return np.asarray([f"count_Z{z}" for z in self.species_], dtype=object)
