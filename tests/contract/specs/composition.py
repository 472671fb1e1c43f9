"""SpeciesCounts in the contract suite."""

import numpy as np

from skscatter import SpeciesCounts

from ..registry import Hostile, Memory, Spec
from .soap import _replace, _same_as_numbers, invariances, molecules
from .structures import structure_hostile_inputs


def _coincident(X, rng):
    # Counting needs no geometry: two atoms at one position are two atoms.
    return _replace(X, 1, positions=np.r_[np.asarray(X[1][1])[:-1], np.asarray(X[1][1])[:1]])


def _counts_of(out, est, bad):
    expected = [[np.sum(np.asarray(z) == s) for s in est.species_] for z in (b[0] if isinstance(b, tuple) else b["numbers"] for b in bad)]
    np.testing.assert_array_equal(out, expected)


SPEC = Spec(
    cls=SpeciesCounts,
    params=dict(),
    make_X=molecules,
    input_kind="structures",
    alternatives=dict(species=(1, 6, 7, 8)),
    hostile=structure_hostile_inputs(coincident_atoms_rejected=False, n_jobs=False)
    + [
        Hostile("coincident_atoms_counted", _coincident, "fit_transform", error=None, check=_counts_of),
        Hostile("verbose_negative_after_fit", lambda X, r: X, "transform", after_fit=dict(verbose=-1), match="'verbose' parameter"),
        Hostile("species_repeated", lambda X, r: X, "fit", params=dict(species=[1, 1, 6]), match="distinct atomic numbers"),
        Hostile(
            "species_not_a_symbol",
            lambda X, r: X,
            "fit",
            params=dict(species=["H", "Xx"]),
            match=r"species=\['H', 'Xx'\] holds 'Xx', which is not a chemical symbol",
        ),
        Hostile("species_not_elements", lambda X, r: X, "fit", params=dict(species=[1.5]), match="chemical symbol"),
        Hostile(
            "species_as_symbols",
            lambda X, r: X,
            "fit_transform",
            params=dict(species=["O", "H", "C"]),
            error=None,
            check=_same_as_numbers,
        ),
        Hostile(
            "element_missing_from_species",
            lambda X, r: X,
            "fit",
            params=dict(species=[1, 6]),
            match=r"X\[\d\] contains atomic numbers \[8\] \(O\), which are not in species=\[1, 6\]; add them to species",
        ),
        Hostile(
            "unknown_species_transform",
            lambda X, r: _replace(X, 2, numbers=np.r_[16, np.asarray(X[2][0])[1:]]),
            "transform",
            match=r"X\[2\] contains atomic numbers \[16\] \(S\), but this SpeciesCounts was fitted for species_=\[1, 6, 8\].*"
            r"SpeciesCounts\(species=\[1, 6, 8, 16\]\).*refit",
        ),
        Hostile(
            "degenerate_cell_counted",
            lambda X, r: [(z, p, 0.01 * np.eye(3), True) for z, p in X],
            "fit_transform",
            error=None,
            check=_counts_of,
        ),
    ],
    invariances=invariances(rtol_molecules=0.0),
    memory=Memory(make=lambda n, rng: molecules(rng, n=n), n_small=8, n_large=256),
)
