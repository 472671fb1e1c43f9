"""Hostile inputs every estimator of structures answers alike (the shared part of the table)."""

import numpy as np

from ..registry import Hostile


def _replace(X, i, **fields):
    item = dict(numbers=X[i][0], positions=X[i][1])
    item.update(fields)
    return list(X[:i]) + [item] + list(X[i + 1 :])


def structure_hostile_inputs(*, coincident_atoms_rejected=True, n_jobs=True):
    """The shared rows; ``coincident_atoms_rejected`` for estimators whose geometry needs distinct atoms."""
    rows = [
        Hostile("no_structures", lambda X, r: [], "fit", match="no structures; pass at least one"),
        Hostile("no_structures_transform", lambda X, r: [], "transform", match="no structures; pass at least one"),
        Hostile("padded_array", lambda X, r: np.zeros((3, 4)), "fit", match="structures_from_padded"),
        Hostile("one_structure_not_a_list", lambda X, r: X[0], "fit", match="sequence|tuple"),
        Hostile("string", lambda X, r: "water.xyz", "fit", match="sequence"),
        Hostile(
            "nan_position",
            lambda X, r: _replace(X, 1, positions=np.where(np.eye(len(X[1][0]), 3) > 0, np.nan, X[1][1])),
            "fit",
            match=r"X\[1\] has NaN or infinite positions",
        ),
        Hostile(
            "inf_position_transform",
            lambda X, r: _replace(X, 2, positions=np.full_like(np.asarray(X[2][1], float), np.inf)),
            "transform",
            match=r"X\[2\] has NaN or infinite positions",
        ),
        Hostile(
            "huge_coordinates",
            lambda X, r: _replace(X, 0, positions=np.asarray(X[0][1]) + 1e200),
            "fit",
            match=r"X\[0\] has positions 1e\+200 Å from the origin.*Translate",
        ),
        Hostile(
            "padding_zero",
            lambda X, r: _replace(X, 0, numbers=np.r_[X[0][0][:-1], 0]),
            "fit",
            match=r"X\[0\] has atomic numbers \[0\].*1\.\.118.*structures_from_padded",
        ),
        Hostile(
            "positions_wrong_shape",
            lambda X, r: _replace(X, 1, positions=np.asarray(X[1][1])[:, :2]),
            "fit",
            match=r"X\[1\] has positions of shape.*expected \(\d+, 3\)",
        ),
        Hostile(
            "dict_without_positions",
            lambda X, r: [{"numbers": X[0][0]}] + list(X[1:]),
            "fit",
            match=r"X\[0\] is a dict with keys \['numbers'\]",
        ),
        Hostile(
            "non_integer_numbers",
            lambda X, r: _replace(X, 0, numbers=np.asarray(X[0][0]) + 0.5),
            "fit",
            match=r"X\[0\] has atomic numbers of dtype float64; they must be integers",
        ),
    ]
    if coincident_atoms_rejected:
        rows += [
            Hostile(
                "coincident_atoms",
                lambda X, r: _replace(X, 1, positions=np.r_[np.asarray(X[1][1])[:-1], np.asarray(X[1][1])[:1]]),
                "fit",
                match=r"X\[1\] has atoms 0 and \d+ at the same position",
            ),
            Hostile(
                "coincident_atoms_transform",
                lambda X, r: _replace(X, 3, positions=np.r_[np.asarray(X[3][1])[:-1], np.asarray(X[3][1])[:1]]),
                "transform",
                match=r"X\[3\] has atoms 0 and \d+ at the same position",
            ),
        ]
    if n_jobs:
        rows += [
            Hostile("n_jobs_zero", lambda X, r: X, "fit", params=dict(n_jobs=0), match="'n_jobs' parameter.*Got 0"),
            Hostile(
                "n_jobs_zero_after_fit", lambda X, r: X, "transform", after_fit=dict(n_jobs=0), match="'n_jobs' parameter"
            ),
        ]
    return rows
