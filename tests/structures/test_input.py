"""The structure input gate shared by the molecule estimators."""

import numpy as np
import pytest

from skscatter.structures import check_species, check_structures, structures_from_padded

WATER_Z = [8, 1, 1]
WATER_R = [[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]


def test_all_forms_give_the_same_structure():
    forms = [
        (WATER_Z, WATER_R),
        (np.array(WATER_Z, dtype=np.int8), np.array(WATER_R, dtype=np.float32), None, None),
        {"numbers": WATER_Z, "positions": WATER_R},
        [np.array(WATER_Z, dtype=float), WATER_R],  # float charges that are integers
    ]
    out = check_structures(forms)
    for s in out:
        np.testing.assert_array_equal(s.numbers, WATER_Z)
        np.testing.assert_allclose(s.positions, WATER_R, atol=1e-6)
        assert s.numbers.dtype == np.int64 and s.positions.dtype == np.float64
        assert not s.periodic


def test_ase_atoms():
    ase = pytest.importorskip("ase")
    atoms = ase.Atoms(numbers=WATER_Z, positions=WATER_R)
    (s,) = check_structures([atoms])
    np.testing.assert_array_equal(s.numbers, WATER_Z)
    bulk = pytest.importorskip("ase.build").bulk("Si", "diamond", a=5.43)
    (p,) = check_structures([bulk])
    assert p.periodic and abs(np.linalg.det(p.cell)) > 1


def test_padded_arrays():
    Z = np.array([[6, 1, 1, 1, 1], [8, 1, 1, 0, 0]])
    R = np.arange(30, dtype=float).reshape(2, 5, 3)
    S = structures_from_padded(Z, R)
    assert [len(z) for z, _ in S] == [5, 3]
    np.testing.assert_array_equal(S[1][1], R[1, :3])
    with pytest.raises(ValueError, match="expected"):
        structures_from_padded(Z, R[:, :, :2])


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "no structures"),
        (np.zeros((3, 4)), "numeric array"),
        ("H2O", "sequence"),
        ([([], np.zeros((0, 3)))], "at least one atom"),
        ([(WATER_Z, np.full((3, 3), np.nan))], "NaN"),
        ([(WATER_Z, np.zeros((3, 2)))], r"expected \(3, 3\)"),
        ([(WATER_Z, np.zeros((2, 3)))], r"expected \(3, 3\)"),
        ([([8, 1, 0], WATER_R)], "padding"),
        ([([8, 1, 200], WATER_R)], "1..118"),
        ([([8.5, 1, 1], WATER_R)], "integers"),
        ([(WATER_Z, WATER_R, np.zeros((3, 3)), [True, True, True])], "singular"),
        ([(WATER_Z, WATER_R, np.eye(2), [False] * 3)], "3 x 3"),
        ([{"numbers": WATER_Z}], "keys"),
        ([42], "int"),
    ],
)
def test_bad_structures(X, match):
    with pytest.raises(ValueError, match=match):
        check_structures(X)


def test_error_names_the_offending_structure():
    with pytest.raises(ValueError, match=r"X\[1\]"):
        check_structures([(WATER_Z, WATER_R), (WATER_Z, np.full((3, 3), np.inf))])


def test_periodic_rejected_when_not_allowed():
    periodic = (WATER_Z, WATER_R, 5 * np.eye(3), [True, True, False])
    assert check_structures([periodic])[0].periodic
    with pytest.raises(ValueError, match="finite molecules only"):
        check_structures([periodic], allow_periodic=False)


def test_unknown_species_are_named():
    S = check_structures([(WATER_Z, WATER_R), ([6, 16], [[0, 0, 0], [1.8, 0, 0]])])
    check_species(S, [1, 6, 8, 16])
    with pytest.raises(ValueError, match=r"X\[1\] contains atomic numbers \[16\]"):
        check_species(S, [1, 6, 8])


# -- chemical symbols ----------------------------------------------------------


def test_symbol_table_matches_ase():
    ase_data = pytest.importorskip("ase.data")
    from skscatter.structures._input import SYMBOLS, MAX_Z

    assert len(SYMBOLS) == MAX_Z
    assert list(SYMBOLS) == list(ase_data.chemical_symbols[1 : MAX_Z + 1])


@pytest.mark.parametrize(
    "species, expected",
    [(["H", "O"], [1, 8]), ([8, 1], [1, 8]), (["O", 1, np.int64(6)], [1, 6, 8]), (np.array([17, 1]), [1, 17]),
     (("Og", "H"), [1, 118]), (np.array(["Cl", "Na"]), [11, 17])],
)
def test_species_numbers_accepts_symbols_numbers_and_mixes(species, expected):
    from skscatter.structures._input import species_numbers

    out = species_numbers(species)
    assert out.tolist() == expected and out.dtype == np.int64


@pytest.mark.parametrize(
    "species, match",
    [
        (["H", "Xx"], r"species=\['H', 'Xx'\] holds 'Xx', which is not a chemical symbol"),
        (["cl"], r"'cl'.*did you mean 'Cl'"),
        ("HO", "single string"),
        ([], "empty"),
        ([0], r"atomic number 0.*1\.\.118"),
        ([119], r"atomic number 119"),
        ([1.5], "of type float"),
        ([True], "of type bool"),
        (["H", 1], r"names H \(Z=1\) more than once"),
        (np.zeros((2, 2), dtype=int), "flat sequence"),
    ],
)
def test_species_numbers_refuses_with_the_fix(species, match):
    from skscatter.structures._input import species_numbers

    with pytest.raises(ValueError, match=match):
        species_numbers(species)


def test_generators_are_read_and_chunked():
    from skscatter.structures._input import is_structure_stream, iter_structure_chunks

    water = (WATER_Z, WATER_R)
    assert is_structure_stream(water for _ in range(2))
    assert not any(is_structure_stream(x) for x in ([water], (water,), "water.xyz", np.zeros(3), {"a": 1}))
    assert len(check_structures(water for _ in range(4))) == 4
    chunks = list(iter_structure_chunks((water for _ in range(7)), max_atoms=7, max_structures=10))
    assert [(i, len(c)) for i, c in chunks] == [(0, 3), (3, 3), (6, 1)]
    chunks = list(iter_structure_chunks((water for _ in range(5)), max_atoms=100, max_structures=2))
    assert [(i, len(c)) for i, c in chunks] == [(0, 2), (2, 2), (4, 1)]
    with pytest.raises(ValueError, match="no structures"):
        list(iter_structure_chunks(iter([]), max_atoms=1, max_structures=1))
    periodic = (WATER_Z, WATER_R, 5 * np.eye(3), True)
    with pytest.raises(ValueError, match=r"X\[2\] is periodic.*finite molecules only"):
        list(iter_structure_chunks(iter([water, water, periodic]), max_atoms=100, max_structures=1, allow_periodic=False))
