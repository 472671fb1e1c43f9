"""A one-vs-all ridge classifier fitted a block of rows at a time, for data too large to copy."""

import warnings
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from sklearn.exceptions import ConvergenceWarning

from .._config import get_config
from ..utils._sklearn_compat import Interval, StrOptions, _fit_context
from ._tiled import MAX_ELEMENTS, TILE, add_lower_gram, cholesky_in_place, cholesky_solve, tiles
from ._validation import validate_labelled_rows, validate_rows

#: solver="auto" leaves the exact solvers when the smaller of the d x d and
#: n x n matrices would take more than this many times the working memory
#: (4 GiB at the default 64 MiB): past a few GB one matrix is most of a
#: machine's memory, while the conjugate gradient needs a few blocks.
_MATRIX_BUDGET_FACTOR = 64


class _RidgeModel(NamedTuple):
    """What ``decision_function`` reads: weights in input units (d, k) and intercepts (k,)."""

    weights: np.ndarray
    intercept: np.ndarray


class BlockRidgeClassifier(ClassifierMixin, BaseEstimator):
    """Ridge classifier (one-vs-all, targets in {-1, 1}) fitted a block of rows at a time.

    Solves exactly the problem of :class:`sklearn.linear_model.RidgeClassifier`
    (without class or sample weights): for each class, least squares on
    targets +1 for the class and -1 for the others, with the penalty
    ``alpha * ||w||^2`` and an unpenalised intercept (fitted by centring).
    Three routes reach the same coefficients (the third to a tolerance):

    * ``solver="primal"`` forms ``X^T X`` (``d x d``, ``d`` features) from
      blocks of ``block_size`` rows, so ``n_samples`` is unbounded;
    * ``solver="dual"`` forms the Gram matrix ``X X^T`` (``n x n``) by
      tiles and maps the dual coefficients back to weights, for ``d``
      larger than ``n``;
    * ``solver="cg"`` forms neither: conjugate gradients on the normal
      equations ``(Xc^T Xc + alpha I) W = Xc^T Yc`` (``Xc`` the centred,
      scaled ``X``), every class at once, each iteration one pass over the
      blocks of ``X``, preconditioned by the diagonal of the system when
      ``n >= d``; it stops at the relative residual ``tol``.

    ``X`` is never copied: float16, float32 and float64 arrays (a
    :class:`numpy.memmap` included) are read in blocks of ``block_size``
    rows, each cast to ``compute_dtype`` (the exact solvers also centre and
    scale each block; the conjugate gradient moves the centring and scaling
    onto its ``(d, n_classes)`` operands, and reads a block of ``X`` in
    ``compute_dtype`` without a copy).  The exact solvers use the one
    ``d x d`` or ``n x n`` matrix in ``compute_dtype`` plus a few blocks;
    the conjugate gradient a block and a few ``(d, n_classes)`` arrays.  The
    matrix is factorised by a Cholesky decomposition over tiles of 2048
    rows, and no LAPACK or BLAS call sees a matrix past 2**31 elements (the
    size at which OpenBLAS crashed factorising in one call).  Only the lower
    triangle is read, and the dual never writes the upper one outside the
    diagonal tiles.

    Parameters
    ----------
    alpha : float, default=1.0
        Regularisation strength, > 0 (as ``RidgeClassifier``'s ``alpha``).
    fit_intercept : bool, default=True
        Fit an intercept by centring the features and targets.
    standardize : bool, default=False
        Scale each feature to unit variance (after centring) before the
        penalty applies, as a :class:`~sklearn.preprocessing.StandardScaler`
        in front would; ``coef_`` and ``intercept_`` still apply to the
        unscaled input.  Constant features keep scale 1.
    solver : {"auto", "primal", "dual", "cg"}, default="auto"
        ``"primal"`` solves the ``d x d`` system, ``"dual"`` the ``n x n``
        one, both exactly (the same coefficients up to rounding);
        ``"cg"`` iterates to the relative residual ``tol`` without either
        matrix.  ``"auto"`` picks the smaller of the two matrices (the dual
        when there are more features than samples), or ``"cg"`` when even
        that one would take more than 64 times the ``working_memory`` of
        :func:`skscatter.get_config` (4 GiB at the default 64 MiB).
    block_size : int or "auto", default="auto"
        Rows of ``X`` per block (and side of the tiles of the Gram matrix
        in the dual).  ``"auto"``: as many rows as fit, in float64, in the
        ``working_memory`` of :func:`skscatter.get_config`, at most 2048.
        Results do not depend on it beyond rounding.
    compute_dtype : {"float64", "float32"}, default="float64"
        Precision of the blocks and of the ``d x d`` or ``n x n`` matrix;
        ``"float32"`` halves the memory of the matrix.  Right-hand sides,
        weights and statistics are always float64.
    tol : float, default=1e-6
        ``solver="cg"`` only: stop when the residual of each class's
        system, ``||Xc^T Yc - (Xc^T Xc + alpha I) w||``, is at most ``tol``
        times the norm of its right-hand side ``||Xc^T Yc||`` (in the
        standardised units when ``standardize``).  The exact solvers ignore it.
    max_iter : int or None, default=None
        ``solver="cg"`` only: most iterations (passes over ``X``) per
        class; ``None`` means ``max(100, 2 * n_features)`` (exact
        arithmetic needs at most ``n_features``).  A
        :class:`~sklearn.exceptions.ConvergenceWarning` says when ``tol``
        was not reached.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_features,) or (n_classes, n_features)
        Weights on the input features: one vector for two classes (whose
        positive side is ``classes_[1]``), as ``RidgeClassifier``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    solver_ : str
        The solver used, ``"primal"``, ``"dual"`` or ``"cg"``.
    n_iter_ : ndarray of shape (n_classes,) or (1,)
        Conjugate gradient iterations per one-vs-all system (one system
        for two classes); 1 for the exact solvers, whose one pass is a
        direct solve (an estimator with ``max_iter`` reports at least one
        iteration, as scikit-learn's checks expect).
    mean_ : ndarray of shape (n_features,)
        Column means of the training ``X`` (zeros without ``fit_intercept``).
    scale_ : ndarray of shape (n_features,)
        Column scales applied (ones without ``standardize``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.linear_model.RidgeClassifier : The same model, fitted in memory.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import RidgeClassifier
    >>> from skscatter.linear_model import BlockRidgeClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.astype(np.float16)  # read block by block, never copied
    >>> clf = BlockRidgeClassifier(alpha=1.0, block_size=500).fit(X, y)
    >>> clf.solver_, clf.coef_.shape, clf.predict(X[:3])
    ('primal', (10, 64), array([0, 1, 2]))
    >>> reference = RidgeClassifier(alpha=1.0).fit(X.astype(np.float64), y)
    >>> np.allclose(clf.decision_function(X), reference.decision_function(X.astype(np.float64)))
    True

    Without a ``d x d`` or ``n x n`` matrix, to a relative residual of 1e-10:

    >>> cg = BlockRidgeClassifier(alpha=1.0, solver="cg", tol=1e-10, block_size=500).fit(X, y)
    >>> cg.solver_, bool(cg.n_iter_.max() <= 2 * X.shape[1])
    ('cg', True)
    >>> np.allclose(cg.decision_function(X), clf.decision_function(X))
    True
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "standardize": ["boolean"],
        "solver": [StrOptions({"auto", "primal", "dual", "cg"})],
        "block_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "compute_dtype": [StrOptions({"float64", "float32"})],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept=True,
        standardize=False,
        solver="auto",
        block_size="auto",
        compute_dtype="float64",
        tol=1e-6,
        max_iter=None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.solver = solver
        self.block_size = block_size
        self.compute_dtype = compute_dtype
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the one-vs-all ridge classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features; float16, float32 and float64 arrays (and
            memory maps) are read in blocks without a copy, other numeric
            input is converted to float64 first.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : BlockRidgeClassifier
            The fitted classifier.
        """
        X, codes = validate_labelled_rows(self, X, y)
        n, d = X.shape
        self.solver_ = self.solver if self.solver != "auto" else _auto_solver(n, d, np.dtype(self.compute_dtype))

        # Overflow is detected on the results (statistics, the matrix's
        # diagonal, the weights) and reported as one error below.
        with np.errstate(over="ignore", invalid="ignore"):
            self._fit_blocks(X, codes, n, d)
        return self

    def _fit_blocks(self, X, codes, n, d):
        cdt = np.dtype(self.compute_dtype)
        block = self.block_size if self.block_size != "auto" else _rows_in_working_memory(d, cap=2048)
        mean, scale, sum_sq = _column_statistics(X, block, centre=self.fit_intercept, standardize=self.standardize)
        # One-vs-all targets: +1 for the class, -1 otherwise; with two
        # classes only the column of classes_[1] (as RidgeClassifier).
        k = 1 if len(self.classes_) == 2 else len(self.classes_)
        target_mean = (2.0 * np.bincount(codes, minlength=len(self.classes_)) / n - 1.0)[-k:]
        if not self.fit_intercept:
            target_mean = np.zeros(k)

        def rows(s):
            """Block ``s`` of X in compute_dtype, centred and scaled (a new array: X is never written)."""
            b = X[s].astype(cdt)
            if self.fit_intercept:
                b -= mean.astype(cdt)
            if self.standardize:
                b /= scale.astype(cdt)
            return b

        def targets(s):
            Y = -np.ones((s.stop - s.start, k))
            c = codes[s] - (len(self.classes_) - k)  # column of each sample's class (-1: none, binary case)
            hit = c >= 0
            Y[np.flatnonzero(hit), c[hit]] = 1.0
            return Y - target_mean

        self.n_iter_ = np.ones(k, dtype=np.int64)  # the exact solvers' one direct solve
        try:
            if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
                raise _Overflow
            if self.solver_ == "primal":
                W = _primal(rows, targets, n, d, block, cdt, self.alpha)
            elif self.solver_ == "dual":
                W = _dual(rows, targets, n, block, cdt, self.alpha, d)
            else:
                max_iter = self.max_iter if self.max_iter is not None else max(100, 2 * d)
                normal = _NormalOperator(X, block, cdt, mean, scale, self.alpha)
                B = normal.rhs(targets, k)
                # The diagonal of Xc^T Xc bounds its entries, as in _check_diagonal.
                if not (np.all(np.isfinite(sum_sq / scale**2)) and np.all(np.isfinite(B))):
                    raise _Overflow
                # Jacobi (the diagonal of the system) evens out the scales of
                # the features when n >= d.  When d > n, Xc^T Xc has a null
                # space of dimension d - n on which the system is alpha I, one
                # eigenvalue that one step clears; Jacobi would spread it into
                # as many as the distinct scales, so the system is left as is.
                diagonal = sum_sq / scale**2 + self.alpha if n >= d else np.ones(d)
                W, self.n_iter_ = _conjugate_gradient(normal, B, diagonal, self.tol, max_iter)
        except _Overflow:
            W = np.full((d, k), np.nan)  # reported below, with the size of X
        except np.linalg.LinAlgError:
            raise ValueError(
                f"the ridge system with alpha={self.alpha!r} is not positive definite in {self.compute_dtype} "
                "(X is too ill-conditioned for this alpha); increase alpha or use compute_dtype='float64'."
            ) from None
        if not np.all(np.isfinite(W)):
            raise ValueError(
                f"the ridge solution overflowed {self.compute_dtype} (max |X| = {_max_abs(X, block):.3g}); "
                "rescale X (e.g. standardize=True or X / abs(X).max())."
            )
        weights = W / scale[:, None]
        intercept = target_mean - mean @ weights
        self._model = _RidgeModel(weights=np.ascontiguousarray(weights), intercept=intercept)
        # Shapes as RidgeClassifier's: one weight vector for two classes.
        self.coef_ = weights[:, 0].copy() if k == 1 else weights.T.copy()
        self.intercept_ = intercept.copy()
        self.mean_, self.scale_ = mean, scale

    def decision_function(self, X):
        """Signed scores of each class, ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features; read in blocks, never copied whole.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per class, or one score for two classes (positive
            for ``classes_[1]``).
        """
        check_is_fitted(self)
        model = self._model
        X = validate_rows(self, X, reset=False)
        n, d = X.shape
        out = np.empty((n, model.weights.shape[1]))
        for s in tiles(n, _rows_in_working_memory(d)):
            b = X[s].astype(np.float64)
            _check_finite(b, s)
            np.matmul(b, model.weights, out=out[s])
        out += model.intercept
        return out[:, 0] if out.shape[1] == 1 else out

    def predict(self, X):
        """Class labels: the class of largest score (the sign of the score for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features; read in blocks, never copied whole.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


def _auto_solver(n, d, cdt):
    """The exact solver with the smaller matrix, or ``"cg"`` when that matrix passes the budget."""
    side = min(n, d)
    budget = _MATRIX_BUDGET_FACTOR * get_config()["working_memory"] * 2**20
    if side * side * cdt.itemsize > budget:
        return "cg"
    return "dual" if d > n else "primal"


def _rows_in_working_memory(d, cap=None):
    """Rows of ``d`` float64 values that fit in the working memory (at least 1, at most ``cap``)."""
    # int(): working_memory may be a float (0.5 MiB), and slices need ints.
    rows = max(1, int(get_config()["working_memory"] * 2**20 // (8 * max(d, 1))))
    return rows if cap is None else min(rows, cap)


class _Overflow(ArithmeticError):
    """A product of features overflowed the compute dtype."""


def _check_finite(b, s):
    if not np.all(np.isfinite(b)):
        row = s.start + int(np.flatnonzero(~np.all(np.isfinite(b), axis=1))[0])
        raise ValueError(
            f"X contains NaN or infinity (first in row {row}); remove or impute those rows "
            "(e.g. sklearn.impute.SimpleImputer) before the classifier."
        )


def _max_abs(X, block):
    return max((float(np.abs(X[s].astype(np.float64)).max()) for s in tiles(len(X), block)), default=0.0)


def _column_statistics(X, block, *, centre, standardize):
    """Column means, scales and sums of squares in float64, merging per-block statistics (Chan et al.).

    One pass over X (two to standardise without centring).  The sums of
    squares are about the returned mean (zero without ``centre``): the
    diagonal of ``Xc^T Xc`` before scaling.  Also refuses non-finite
    values, block by block.
    """
    n, d = X.shape
    mean, m2, seen = np.zeros(d), np.zeros(d), 0
    for s in tiles(n, block):
        b = X[s].astype(np.float64)
        _check_finite(b, s)
        count = len(b)
        b_mean = b.mean(axis=0)
        b -= b_mean
        b_m2 = np.einsum("ij,ij->j", b, b)
        delta = b_mean - mean
        total = seen + count
        mean += delta * (count / total)
        m2 += b_m2 + delta**2 * (seen * count / total)
        seen = total
        del b
    if centre:
        sum_sq = m2
    else:
        sum_sq = m2 + seen * mean**2  # about zero: sum x^2 = sum (x - mean)^2 + n mean^2
        mean = np.zeros(d)
    scale = np.ones(d)
    if standardize:
        if centre:
            var = m2 / n
        else:
            var = np.zeros(d)
            for s in tiles(n, block):  # without centring, scale by the root mean square
                b = X[s].astype(np.float64)
                var += np.einsum("ij,ij->j", b, b)
            var /= n
        std = np.sqrt(var)
        scale = np.where(std > 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0), std, 1.0)
    return mean, scale, sum_sq


def _primal(rows, targets, n, d, block, cdt, alpha):
    """Weights from ``(Xc^T Xc + alpha I) W = Xc^T Yc``, the ``d x d`` matrix accumulated by row blocks."""
    G = np.zeros((d, d), dtype=cdt)
    B = np.zeros((d, targets(slice(0, 0)).shape[1]))
    feature_tiles = tiles(d, TILE)
    for s in tiles(n, block):
        b = rows(s)
        if d * d <= MAX_ELEMENTS:
            add_lower_gram(G, b)  # in place, half the products
        else:
            for fi in feature_tiles:
                # Lower triangle only: tiles (fi, fj) with j <= i, as one panel.
                cols = slice(0, fi.stop)
                G[fi, cols] += b[:, fi].T @ b[:, cols]
        B += b.T @ targets(s)
        del b  # before the next block is made
    _check_diagonal(G)
    G[np.diag_indices_from(G)] += alpha
    cholesky_in_place(G, TILE)
    return cholesky_solve(G, B, TILE)


def _dual(rows, targets, n, block, cdt, alpha, d):
    """Weights ``Xc^T C`` from the dual ``(Xc Xc^T + alpha I) C = Yc``, the ``n x n`` Gram matrix by tiles."""
    K = np.empty((n, n), dtype=cdt)  # upper triangle outside the diagonal tiles never touched
    row_tiles = tiles(n, block)
    for i, ti in enumerate(row_tiles):
        bi = rows(ti)
        for tj in row_tiles[: i + 1]:
            bj = bi if tj == ti else rows(tj)
            np.matmul(bi, bj.T, out=K[ti, tj])
            del bj  # before the next block is made: two blocks at a time, not three
    _check_diagonal(K)
    K[np.diag_indices_from(K)] += alpha
    cholesky_in_place(K, TILE)
    C = np.concatenate([targets(s) for s in row_tiles])
    cholesky_solve(K, C, TILE)
    del K
    W = np.zeros((d, C.shape[1]))
    for s in row_tiles:
        W += rows(s).T @ C[s]
    return W


def _check_diagonal(A):
    # Every entry of a Gram matrix is bounded by its diagonal (Cauchy-Schwarz),
    # so a finite diagonal means no product overflowed.
    if not np.all(np.isfinite(np.diagonal(A))):
        raise _Overflow


class _NormalOperator:
    """Products with ``Xc`` and ``Xc^T`` a block of rows at a time, ``Xc = (X - 1 mean^T) diag(1 / scale)``.

    No centred or scaled block is made: the scaling moves onto the
    ``(d, k)`` operand and the centring into a rank-one correction,
    ``Xc V = X P - 1 (mean . P)`` with ``P = V / scale``, and
    ``Xc^T Z = (X^T Z - mean (1^T Z)) / scale``.  A block is read as it is
    when ``X`` is in ``compute_dtype`` (a view, no copy), else cast.
    """

    def __init__(self, X, block, cdt, mean, scale, alpha):
        self.X, self.cdt, self.mean, self.scale, self.alpha = X, cdt, mean, scale, alpha
        self.blocks = tiles(len(X), block)

    def _block(self, s):
        b = self.X[s]
        return b if b.dtype == self.cdt else b.astype(self.cdt)

    def _back(self, XtZ, z_sum):
        """``Xc^T Z`` from ``X^T Z`` and the column sums of ``Z``."""
        return (XtZ - np.outer(self.mean, z_sum)) / self.scale[:, None]

    def rhs(self, targets, k):
        """``Xc^T Yc`` (d, k), in float64."""
        XtY, y_sum = np.zeros((self.X.shape[1], k)), np.zeros(k)
        for s in self.blocks:
            Y = targets(s)
            XtY += self._block(s).T @ Y.astype(self.cdt)
            y_sum += Y.sum(axis=0)
        return self._back(XtY, y_sum)

    def __call__(self, V):
        """``(Xc^T Xc + alpha I) V`` for ``V`` of shape (d, k), in float64; one pass over X."""
        P = V / self.scale[:, None]
        shift = self.mean @ P
        P = P.astype(self.cdt)
        XtZ, z_sum = np.zeros(V.shape), np.zeros(V.shape[1])
        for s in self.blocks:
            b = self._block(s)
            Z = b @ P  # Xc V on these rows, but for the shift
            Z -= shift.astype(self.cdt)
            XtZ += b.T @ Z
            z_sum += Z.sum(axis=0, dtype=np.float64)
            del b, Z  # before the next block is made
        out = self._back(XtZ, z_sum)
        out += self.alpha * V
        return out


def _conjugate_gradient(A, B, diagonal, tol, max_iter):
    """Solve ``A W = B`` column by column with Jacobi-preconditioned conjugate gradients.

    The recurrences of the ``k`` columns are independent but share each
    product ``A P``: one pass over ``X`` serves every column still running.
    A column stops when its residual is at most ``tol ||b||``.

    Returns
    -------
    W : ndarray of shape (d, k)
    n_iter : ndarray of shape (k,)
        Iterations of each column.
    """
    d, k = B.shape
    inverse_diagonal = (1.0 / diagonal)[:, None]
    W = np.zeros((d, k))
    R = B.copy()
    Z = R * inverse_diagonal
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    goal = tol * np.linalg.norm(B, axis=0)
    running = np.linalg.norm(R, axis=0) > goal
    n_iter = np.zeros(k, dtype=np.intp)
    for _ in range(max_iter):
        if not running.any():
            break
        cols = np.flatnonzero(running)
        Pc = P[:, cols]
        AP = A(Pc)
        step = rz[cols] / np.einsum("ij,ij->j", Pc, AP)
        W[:, cols] += step * Pc
        Rc = R[:, cols] - step * AP
        R[:, cols] = Rc
        n_iter[cols] += 1
        Zc = Rc * inverse_diagonal
        rz_next = np.einsum("ij,ij->j", Rc, Zc)
        P[:, cols] = Zc + (rz_next / rz[cols]) * Pc
        rz[cols] = rz_next
        # A non-finite residual (overflow) stops the column: reported on W.
        done = ~(np.linalg.norm(Rc, axis=0) > goal[cols])
        running[cols[done]] = False
    if running.any():
        warnings.warn(
            f"the conjugate gradient did not reach tol={tol!r} in max_iter={max_iter} iterations for "
            f"{int(running.sum())} of {k} one-vs-all systems; increase max_iter (or tol, or alpha, "
            "or use standardize=True, which usually speeds convergence).",
            ConvergenceWarning,
            stacklevel=5,  # the caller of fit, past _fit_context
        )
    return W, n_iter
