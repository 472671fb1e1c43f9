"""SOAPDescriptor: the smooth overlap of atomic positions power spectrum."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._backend import resolve_backend
from .._config import get_config
from .._kernels.soap import feature_index, n_features
from ..structures import StructureInputMixin, check_species, check_structures
from ..structures._input import is_structure_stream, iter_structure_chunks, resolve_species
from ..structures._neighbors import check_distinct_atoms, check_periodic_images
from ..utils._parallel import plan_execution
from ..utils._params import BACKEND, BATCH_SIZE, N_JOBS, VERBOSE, check_execution_params
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._basis import (
    gto_basis,
    polynomial_basis,
    polynomial_radial_functions,
    radial_integral_table,
    soap_prefactor,
)
from ._core import Scratch, SoapModel, atom_rows, bytes_per_atom, radial_basis, structure_rows

# dscribe's neighbour padding: a Gaussian of width sigma centred this far
# beyond r_cut still reaches 1e-3 of its peak at r_cut.
_PADDING_DECAY = 1e-3
# Past a few thousand structures a batch gains nothing; the working memory
# usually cuts it sooner (by atoms).
_MAX_BATCH = 4096


def validate_structures(X, model, owner, *, fix=None):
    """The transform-time gate: structures, species known to the model, bounded periodic images."""
    return _check_known(check_structures(X), model, owner, fix=fix)


def _check_known(structures, model, owner, *, fix=None, first_index=0):
    """Validated structures (from ``X[first_index]`` on) against the fitted model."""
    check_species(structures, model.species, owner=owner, fix=fix, first_index=first_index)
    check_periodic_images(
        structures, model.neighbour_cutoff, padding=model.neighbour_cutoff - model.r_cut, parameter="r_cut",
        first_index=first_index,
    )
    return structures


def stream_structures(X, model, owner, *, bytes_per_atom, fix=None):
    """Validated chunks ``(first_index, structures)`` of ``X``, read lazily.

    A list gives one chunk (its whole validation before any work, as
    always).  An iterable without ``len`` (a generator over a trajectory) is
    read one chunk at a time, each about the atoms one batch of the plan
    takes (:func:`run_batches`), so only the output grows with the input.
    """
    if not is_structure_stream(X):
        yield 0, validate_structures(X, model, owner, fix=fix)
        return
    max_atoms = max(1, int(get_config()["working_memory"] * 2**20 // max(bytes_per_atom, 1)))
    for first, chunk in iter_structure_chunks(X, max_atoms=max_atoms, max_structures=_MAX_BATCH):
        yield first, _check_known(chunk, model, owner, fix=fix, first_index=first)


def run_batches(structures, task, *, backend, n_jobs, batch_size, verbose, label, bytes_per_atom):
    """Run ``task(batch, start)`` over batches of structures cut by atoms; yields ``(start, stop, result)``.

    The one plan of every SOAP transform (:func:`plan_execution`): batches
    one after another, each running the threaded numba kernels on all
    ``n_jobs`` threads (numba's thread count is set in the thread that runs
    the batch, 1 for ``n_jobs=1``).  The threaded kernels scale better than
    batches side by side, and on one thread they are no slower than serial
    code.
    """
    sizes = [len(s.numbers) for s in structures]
    plan = plan_execution(
        len(structures),
        backend=backend,
        n_jobs=n_jobs,
        batch_size=batch_size,
        bytes_per_sample=bytes_per_atom,
        max_batch=_MAX_BATCH,
        sizes=sizes,
        parallelism="kernels",
    )

    def one(start, stop):
        return task(structures[start:stop], start)

    yield from plan.run(one, numba_parallel=True, verbose=verbose, label=label, unit="structures")


class SOAPDescriptor(StructureInputMixin, TransformerMixin, BaseEstimator):
    """SOAP power spectrum of atomic environments, summed (or averaged) per structure.

    Around each atom, the neighbour density of each species ``Z`` (Gaussians
    of width ``sigma`` on the neighbours, the centre included) is expanded
    in a radial basis times real spherical harmonics, ``c^Z_{nlm}``, and the
    rotation-invariant power spectrum ``p^{Z Z'}_{n n' l} = pi sqrt(8/(2l+1))
    sum_m c^Z_{nlm} c^{Z'}_{n'lm}`` (Bartók, Kondor and Csányi 2013, with
    dscribe's normalisation) is one row per atom.  Only ``(Z, n) <= (Z', n')``
    is stored, and the off-diagonal entries are multiplied by sqrt(2), so
    that the dot product of two rows is exactly the SOAP linear kernel
    (dscribe leaves the sqrt(2) out; otherwise the values equal dscribe's
    with ``rbf="gto"``).

    ``transform`` returns one row per structure, the sum (energies are
    extensive: a linear model on summed features is a sum of atomic
    energies) or the mean of its atoms' rows; ``transform_atoms`` returns
    the atoms' rows.  Structures are processed in batches, so the per-atom
    matrix of a whole dataset is never held at once.

    Parameters
    ----------
    species : sequence of str or int, or None, default=None
        Elements the descriptor knows, as chemical symbols (``["H", "O"]``),
        atomic numbers (``[1, 8]``) or a mix, as dscribe takes them (None:
        those seen in ``fit``); ``species_`` holds them as sorted atomic
        numbers.  Structures with other elements are rejected.  Under
        cross-validation pass every element of the data: with None, a fold
        whose training part lacks an element cannot transform its test part.
    r_cut : float, default=5.0
        Cutoff radius in Ångström.
    n_max : int, default=8
        Radial basis functions per degree.
    l_max : int, default=6
        Largest spherical harmonic degree.
    sigma : float, default=0.5
        Width (Å) of the atomic Gaussians.
    rbf : {"gto", "polynomial"}, default="gto"
        Radial basis, orthonormal with weight ``r^2`` (see
        ``skscatter/soap/_basis.py``).  ``"gto"``: dscribe's
        Löwdin-orthonormalised Gaussian-type orbitals, one set per ``l``,
        projections in closed form.  ``"polynomial"``: Bartók et al.'s
        ``(r_cut - r)^(a+2)``, ``a = 1..n_max`` (``n_max <= 10``), the same
        for every ``l`` and zero beyond ``r_cut``; projections are
        integrated numerically in ``fit`` and splined (relative error about
        1e-8).  Both span different spaces, so their features differ;
        ``"polynomial"`` gives the same kernel as any other orthonormal
        basis of the same polynomials (dscribe's ``"polynomial"`` where its
        orthonormalisation is accurate, small ``n_max``).
    cutoff_function : {None, "shifted_cosine"}, default=None
        None: neighbours closer than ``r_cut`` plus dscribe's padding
        ``sigma sqrt(2 ln 1000)`` count fully (dscribe's convention).
        ``"shifted_cosine"``: neighbours are weighted by
        ``(1 + cos(pi (r - r_cut + w) / w)) / 2`` on ``[r_cut - w, r_cut]``
        and dropped beyond ``r_cut``, which makes the descriptor smooth in
        the positions (QUIP's and featomic's choice).
    cutoff_width : float, default=0.5
        ``w`` of the shifted cosine (Å).
    centre_weight : float, default=1.0
        Weight of the centre atom's own Gaussian in its density.
    reduction : {"sum", "mean"}, default="sum"
        How ``transform`` combines the atoms of a structure.
    normalize : bool, default=False
        Scale each atom's row to unit norm before the reduction (the
        normalised SOAP kernel).
    backend : {"auto", "numba", "numpy", "cupy"}, default="auto"
        Who computes the expansion and the power spectra.  ``"numba"``
        (what ``"auto"`` means): fused kernels.  ``"numpy"``: the same
        quantities as array expressions in float64 (a slower, readable
        reference).  ``"cupy"``: those array expressions on the GPU.
        Neighbour lists are always built on the CPU, and the output is
        always a NumPy array.  Resolved at transform time: a model fitted
        on a CPU machine transforms on a GPU.
    n_jobs : int, default=None
        CPU threads one call may use: batches of structures run one
        after another, each with its numba kernels on ``n_jobs`` threads.
        ``None`` means 1 unless in a :func:`joblib.parallel_config`
        context; ``-1`` means all cores.  Results do not depend on it.
    verbose : int, default=0
        Progress of ``transform`` and ``transform_atoms`` on stderr: 1
        shows a bar with the rate and the ETA once the call has run a few
        seconds (tqdm's with ``skscatter[progress]``, else a line every few
        seconds), 2 and above from the start with one line per batch.  May
        change after ``fit``; results do not depend on it.
    batch_size : int or "auto", default="auto"
        Structures per batch.  ``"auto"`` cuts batches by atoms so that the
        temporaries of the batches in flight fit
        ``skscatter.get_config()["working_memory"]`` MiB: memory stays
        bounded by the batch, whatever the number of structures (the
        output itself excepted).

    Attributes
    ----------
    species_ : ndarray of int
        Sorted atomic numbers.
    n_features_out_ : int
        ``(S n_max)(S n_max + 1) / 2 * (l_max + 1)`` for S species.
    neighbour_cutoff_ : float
        Distance (Å) within which neighbours enter an atom's density:
        ``r_cut`` plus ``sigma sqrt(2 ln 1000)`` without a cutoff function,
        ``r_cut`` with ``"shifted_cosine"``.

    Notes
    -----
    Periodic structures (``pbc`` true along an axis) are wrapped into their
    cell before the neighbour search, so moving any atom by a lattice
    vector (an unwrapped molecular-dynamics frame) leaves the output
    unchanged.  A cell so thin that the cutoff would reach an unbounded
    number of periodic images is refused at once, with the largest
    ``r_cut`` it allows; two atoms at the same position (also an atom on a
    periodic image of another) are refused too.

    Examples
    --------
    >>> from skscatter.soap import SOAPDescriptor
    >>> water = ([8, 1, 1], [[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]])
    >>> soap = SOAPDescriptor(n_max=2, l_max=2).fit([water])
    >>> soap.transform([water]).shape
    (1, 30)
    >>> P, owner = soap.transform_atoms([water, water])
    >>> P.shape, owner.tolist()
    ((6, 30), [0, 0, 0, 1, 1, 1])
    """

    _parameter_constraints = {
        "species": ["array-like", None],
        "r_cut": [Interval(Real, 1.0, None, closed="neither")],
        "n_max": [Interval(Integral, 1, None, closed="left")],
        "l_max": [Interval(Integral, 0, 20, closed="both")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "rbf": [StrOptions({"gto", "polynomial"})],
        "cutoff_function": [StrOptions({"shifted_cosine"}), None],
        "cutoff_width": [Interval(Real, 0, None, closed="neither")],
        "centre_weight": [Interval(Real, 0, None, closed="left")],
        "reduction": [StrOptions({"sum", "mean"})],
        "normalize": ["boolean"],
        "backend": BACKEND,
        "n_jobs": N_JOBS,
        "verbose": VERBOSE,
        "batch_size": BATCH_SIZE,
    }

    def __init__(
        self,
        species=None,
        r_cut=5.0,
        n_max=8,
        l_max=6,
        sigma=0.5,
        rbf="gto",
        cutoff_function=None,
        cutoff_width=0.5,
        centre_weight=1.0,
        reduction="sum",
        normalize=False,
        backend="auto",
        n_jobs=None,
        verbose=0,
        batch_size="auto",
    ):
        self.species = species
        self.r_cut = r_cut
        self.n_max = n_max
        self.l_max = l_max
        self.sigma = sigma
        self.rbf = rbf
        self.cutoff_function = cutoff_function
        self.cutoff_width = cutoff_width
        self.centre_weight = centre_weight
        self.reduction = reduction
        self.normalize = normalize
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.batch_size = batch_size

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn (or check) the species, build the radial basis and check the structures.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`; an iterable without ``len``
            (a generator) is read into a list first.
        y : None
            Ignored.

        Returns
        -------
        self : SOAPDescriptor
            The fitted descriptor.
        """
        structures = check_structures(X)
        species = resolve_species(self.species, structures)
        if self.cutoff_function == "shifted_cosine" and self.cutoff_width > self.r_cut:
            raise ValueError(
                f"cutoff_width={self.cutoff_width} exceeds r_cut={self.r_cut}; it must be at most r_cut "
                "(lower cutoff_width or raise r_cut)."
            )
        model = self._resolve_model(species)
        # The geometry checks transform makes anyway, here too: a bad
        # training set fails in fit, whose input is never computed on.
        check_periodic_images(structures, model.neighbour_cutoff, padding=model.neighbour_cutoff - model.r_cut)
        check_distinct_atoms(structures)
        self.species_ = species
        self.n_features_out_ = model.n_features_out
        self.neighbour_cutoff_ = model.neighbour_cutoff
        self._model = model
        return self

    def _resolve_model(self, species):
        """Every model parameter, resolved into the frozen :class:`SoapModel`."""
        r_cut, sigma, n_max, l_max = float(self.r_cut), float(self.sigma), int(self.n_max), int(self.l_max)
        if self.cutoff_function is None:
            neighbour_cutoff = r_cut + sigma * math.sqrt(-2 * math.log(_PADDING_DECAY))
        else:
            neighbour_cutoff = r_cut
        if self.rbf == "gto":
            alphas, betas = gto_basis(r_cut, n_max, l_max)
            radial = radial_basis("gto", alphas=alphas, betas=betas, eta=1.0 / (2.0 * sigma**2))
        else:
            W = polynomial_basis(r_cut, n_max)
            table, step = radial_integral_table(
                lambda r, l: polynomial_radial_functions(r, r_cut, W), l_max, sigma, x_max=r_cut, r_max=neighbour_cutoff
            )
            radial = radial_basis("spline", table=table, step=step)
        lookup = np.full(119, -1, dtype=np.int64)
        lookup[species] = np.arange(len(species))
        return SoapModel(
            species=species,
            lookup=lookup,
            n_max=n_max,
            l_max=l_max,
            radial=radial,
            prefactors=np.array([soap_prefactor(l) for l in range(l_max + 1)]),
            # The array backends' packed-column index: built once per fit, not per batch.
            feature_index=feature_index(len(species), n_max, l_max),
            r_cut=r_cut,
            neighbour_cutoff=neighbour_cutoff,
            cosine_width=float(self.cutoff_width) if self.cutoff_function == "shifted_cosine" else None,
            centre_weight=float(self.centre_weight),
            mean=self.reduction == "mean",
            normalize=bool(self.normalize),
            n_features_out=n_features(len(species), n_max, l_max),
        )

    def _backend(self, X):
        """Validate the execution parameters; resolve the backend."""
        check_is_fitted(self)
        check_execution_params(self)
        # A stream is not inspected here: reading it is the transform's job.
        return resolve_backend(
            self.backend, None if is_structure_stream(X) else X, owner=type(self).__name__,
            supported=("numpy", "numba", "cupy"),
        )

    def _execution(self, backend):
        return dict(backend=backend, n_jobs=self.n_jobs, batch_size=self.batch_size, verbose=self.verbose,
                    label=type(self).__name__)

    def transform(self, X):
        """One row per structure: the sum (or mean) of its atoms' power spectra.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`.  An iterable without ``len``
            (a generator, ``ase.io.iread(...)``) is read chunk by chunk, so
            only the output grows with it; the rows equal those of the
            same structures in a list.

        Returns
        -------
        X_new : ndarray of shape (n_structures, n_features_out), float64
            Summed (or averaged) power spectra.
        """
        backend = self._backend(X)
        model = self._model
        blocks = [
            self._structure_rows(structures, first_index=first, **self._execution(backend))
            for first, structures in stream_structures(
                X, model, type(self).__name__, bytes_per_atom=bytes_per_atom(model, backend)
            )
        ]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def _structure_rows(self, structures, *, backend, n_jobs, batch_size, verbose, label, first_index=0):
        """``transform`` of validated structures, ``X[first_index]`` on."""
        model = self._model
        # Batches run one after another in this thread (their threads are
        # inside the kernels), so each writes its rows straight into the output.
        out = np.empty((len(structures), model.n_features_out))
        scratch = Scratch()

        def task(batch, start):
            rows = out[start : start + len(batch)]
            return structure_rows(batch, model, backend, first_index=first_index + start, out=rows, scratch=scratch)

        batches = run_batches(
            structures, task, backend=backend, n_jobs=n_jobs, batch_size=batch_size, verbose=verbose,
            label=label, bytes_per_atom=bytes_per_atom(model, backend),
        )
        for _ in batches:
            pass
        return out

    def transform_atoms(self, X):
        """Per-atom power spectra and the structure each atom belongs to.

        Parameters
        ----------
        X : sequence of structures
            See :mod:`skscatter.structures`; an iterable without ``len`` is
            read chunk by chunk, as in :meth:`transform`.

        Returns
        -------
        P : ndarray of shape (n_atoms, n_features_out), float64
            Rows in the order of the structures, then of their atoms.
        structure_index : ndarray of shape (n_atoms,), int
            The structure of each row.
        """
        backend = self._backend(X)
        model = self._model
        blocks = [
            self._atom_rows(structures, first_index=first, **self._execution(backend))
            for first, structures in stream_structures(
                X, model, type(self).__name__, bytes_per_atom=bytes_per_atom(model, backend)
            )
        ]
        if len(blocks) == 1:
            return blocks[0]
        return np.concatenate([P for P, _ in blocks]), np.concatenate([owner for _, owner in blocks])

    def _atom_rows(self, structures, *, backend, n_jobs, batch_size, verbose, label, first_index=0):
        """``transform_atoms`` of validated structures (``X[first_index]`` on) with the given execution settings.

        Reads only the fitted model, never the estimator's parameters, and
        changes nothing on it: other estimators holding a fitted descriptor
        (``SOAPSumKernel.descriptor_``) call it with their own settings, from
        any thread.
        """
        model = self._model
        sizes = np.array([len(s.numbers) for s in structures], dtype=np.int64)
        first = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=first[1:])
        P = np.empty((first[-1], model.n_features_out))
        scratch = Scratch()

        def task(batch, start):
            rows = P[first[start] : first[start + len(batch)]]
            return atom_rows(batch, model, backend, first_index=first_index + start, out=rows, scratch=scratch)

        batches = run_batches(
            structures, task, backend=backend, n_jobs=n_jobs, batch_size=batch_size, verbose=verbose, label=label,
            # Rows are written into the output, not held per batch.
            bytes_per_atom=bytes_per_atom(model, backend),
        )
        for _ in batches:
            pass
        return P, np.repeat(np.arange(first_index, first_index + len(structures)), sizes)

    def get_feature_names_out(self, input_features=None):
        """Return the names ``"Z{z1}_Z{z2}_l{l}_n{n}_n{n2}"`` of the output columns, in order.

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
        model = self._model
        names = []
        Zs = model.species.tolist()
        for i, z1 in enumerate(Zs):
            for z2 in Zs[i:]:
                for l in range(model.l_max + 1):
                    for n in range(model.n_max):
                        for n2 in range(n if z1 == z2 else 0, model.n_max):
                            names.append(f"Z{z1}_Z{z2}_l{l}_n{n}_n{n2}")
        return np.asarray(names, dtype=object)
