"""The long examples' ``--json`` result files and the documentation figures drawn from them.

The long examples take hours on the real datasets, so their writers are fed
small fake results here (and one example runs end to end on a few fake
molecules); the committed files in ``docs/recorded/`` are checked against
the ``.. plot::`` directives that draw them.
"""

import argparse
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "docs" / "recorded"
DIRECTIVE = re.compile(r'plot_recorded\("(long_\w+)", "(\w+)"\)')
FIELDS = {"example", "command", "date", "commit", "machine", "provenance", "settings", "results"}


def directives():
    """``(example file, record name, series)`` for every ``plot_recorded`` call in the examples."""
    found = []
    for path in sorted((ROOT / "examples").glob("long_*.py")):
        found += [(path.stem, name, kind) for name, kind in DIRECTIVE.findall(path.read_text())]
    return found


@pytest.fixture
def figures():
    """The docs' figure module, drawing off-screen (matplotlib is a docs extra, not a test one)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import recorded_figures
    finally:
        sys.path.remove(str(ROOT / "docs"))
    yield recorded_figures
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_figure_has_its_record_and_series():
    found = directives()
    # The examples whose recorded output is plotted (issue 18 item 3, issue 21's learning curves).
    assert {name for _, name, _ in found} == {
        "long_qm9_soap", "long_qm7_solid_harmonic", "long_qm9_solid_harmonic", "long_cifar10_pyramid",
        "long_cifar10_patches", "long_mnist_scattering", "long_dask_cluster", "long_cifar10_scattering",
    }
    for stem, name, kind in found:
        assert stem == name, f"{stem}.py draws {name}'s record"
        record = json.loads((RECORDED / f"{name}.json").read_text())
        assert kind in record, f"{name}.json has no {kind!r} series for the figure of {stem}.py"


@pytest.mark.parametrize("path", sorted(RECORDED.glob("*.json")), ids=lambda p: p.stem)
def test_committed_records_have_provenance(path):
    record = json.loads(path.read_text())
    assert FIELDS <= set(record)
    assert record["example"] == path.stem and (ROOT / "examples" / f"{path.stem}.py").exists()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["date"])
    assert "examples/" + path.stem in record["command"] or "ad-hoc" in record["command"]
    # Transcribed, never written by a run that did not happen.
    assert "transcribed" in record["provenance"]
    for curve in record.get("learning_curves", {}).get("curves", {}).values():
        assert len(curve["n_train"]) == len(curve["value"]) and curve["n_train"] == sorted(curve["n_train"])
    if "selection" in record:
        # The examples keep the held-out best (a tie may be settled either way).
        values = {row["label"]: row["value"] for row in record["selection"]["rows"]}
        assert values[record["selection"]["chosen"]] == max(values.values())


@pytest.mark.parametrize("stem,name,kind", directives())
def test_committed_figures_draw(figures, stem, name, kind):
    fig = figures.plot_recorded(name, kind)
    drawn = sum(len(ax.lines) + len(ax.patches) + len(ax.collections) for ax in fig.axes)
    assert drawn > 0
    assert all(ax.get_xlabel() for ax in fig.axes)


def test_short_curves_are_not_drawn(figures, tmp_path):
    record = {
        "example": "long_fake", "command": "python examples/long_fake.py", "date": "2026-12-05", "commit": None,
        "learning_curves": {"x": "training molecules", "metric": "MAE", "unit": "kcal/mol", "curves": {
            "three points": {"n_train": [10, 20, 40], "value": [3.0, 2.0, 1.5]},
            "two points": {"n_train": [10, 40], "value": [2.5, 1.0]},
        }},
    }
    (tmp_path / "long_fake.json").write_text(json.dumps(record))
    fig = figures.plot_recorded("long_fake", "learning_curves", folder=tmp_path)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == ["three points"]
    assert ax.get_xscale() == "log" and "kcal/mol" in ax.get_ylabel()
    with pytest.raises(ValueError, match="no 'selection' series"):
        figures.plot_recorded("long_fake", "selection", folder=tmp_path)


def test_write_recorded_fields_and_unknown_series(load_example, tmp_path):
    load_example("long_qm9_soap")
    from _recorded import write_recorded

    path = tmp_path / "r.json"
    record = write_recorded(path, "long_x", settings={"a": 1}, results={"b": 2.0}, argv=["--n", "3"], selection=None)
    assert json.loads(path.read_text()) == record
    assert FIELDS <= set(record) and "selection" not in record
    assert record["command"] == "python examples/long_x.py --n 3"
    with pytest.raises(ValueError, match="learning_curve"):
        write_recorded(path, "long_x", settings={}, results={}, learning_curve={})


def test_the_record_names_the_commit_at_the_start_of_the_run(load_example, tmp_path, monkeypatch):
    load_example("long_qm9_soap")
    import _recorded

    # A commit made while a long run goes on must not be credited with it.
    monkeypatch.setattr(_recorded, "git_commit", lambda: "later")
    record = _recorded.write_recorded(tmp_path / "r.json", "long_x", settings={}, results={}, argv=[])
    assert record["commit"] == _recorded.COMMIT_AT_START != "later"


def test_git_commit_marks_uncommitted_changes(load_example, tmp_path, monkeypatch):
    load_example("long_qm9_soap")
    import _recorded

    def fake_run(args, **kwargs):
        stdout = "abc1234\n" if "rev-parse" in args else " M skscatter/x.py\n"
        return subprocess.CompletedProcess(args, 0, stdout=stdout, stderr="")

    monkeypatch.setattr(_recorded.subprocess, "run", fake_run)
    assert _recorded.git_commit() == "abc1234+dirty"
    monkeypatch.setattr(_recorded.subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(
        args, 0, stdout="abc1234\n" if "rev-parse" in args else "", stderr=""))
    assert _recorded.git_commit() == "abc1234"


def read(path):
    return json.loads(Path(path).read_text())


def test_qm9_soap_writer(load_example, tmp_path):
    example = load_example("long_qm9_soap")
    args = argparse.Namespace(n_train=40, n_test=10, seed=0, kernel=0)
    example.write_json(tmp_path / "long_qm9_soap.json", args, {"qm9_heldout_mae_kcal_mol": 1.5},
                       [(10, 3.0), (20, 2.0), (40, 1.5)])
    record = read(tmp_path / "long_qm9_soap.json")
    assert record["settings"]["n_train"] == 40 and record["settings"]["r_cut"] == 5.0
    assert record["learning_curves"]["curves"]["StandardScaler + RidgeCV"] == {"n_train": [10, 20, 40],
                                                                             "value": [3.0, 2.0, 1.5]}


def fake_qm9(n, seed=0):
    """Water and methane molecules with jittered positions and a made-up energy."""
    from sklearn.utils import Bunch

    rng = np.random.default_rng(seed)
    water = (np.array([8, 1, 1]), np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0]], dtype=float))
    methane = (np.array([6, 1, 1, 1, 1]),
               np.array([[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63], [-0.63, 0.63, -0.63],
                         [0.63, -0.63, -0.63]], dtype=float))
    data, target = [], []
    for i in range(n):
        z, r = water if i % 2 else methane
        r = r + rng.normal(scale=0.05, size=r.shape)
        data.append((z, r))
        target.append(-100.0 * len(z) + np.linalg.norm(r[1] - r[0]))
    return Bunch(data=data, target=np.array(target))


def test_qm9_soap_main_writes_json(load_example, tmp_path, monkeypatch):
    example = load_example("long_qm9_soap")
    monkeypatch.setattr(example, "fetch_qm9", lambda *args, **kwargs: fake_qm9(40))
    path = tmp_path / "long_qm9_soap.json"
    example.main(["--n-train", "30", "--n-test", "10", "--no-qm7", "--n-jobs", "1", "--json", str(path)])
    record = read(path)
    command = f"python examples/long_qm9_soap.py --n-train 30 --n-test 10 --no-qm7 --n-jobs 1 --json {path}"
    assert record["command"] == command
    assert record["results"]["n_molecules_featurised"] == 40 and record["results"]["n_environments"] == 160
    curve = record["learning_curves"]["curves"]["StandardScaler + RidgeCV"]
    assert curve["n_train"] == [30] and curve["value"] == [record["results"]["qm9_heldout_mae_kcal_mol"]]
    assert "qm7_cv_mae_kcal_mol" not in record["results"]


def test_qm7_solid_harmonic_writer(load_example, tmp_path):
    example = load_example("long_qm7_solid_harmonic")
    args = argparse.Namespace(n_molecules=50, seed=0, channels="nuclear", integral_powers="1,2")
    path = tmp_path / "qm7.json"
    curves = {"StandardScaler + RidgeCV": [(10, 4.0), (20, 3.0), (40, 2.5)],
              "quadratic": [(10, 5.0), (20, 3.5), (40, 2.0)]}
    example.write_json(path, args, {"linear_cv_mae_kcal_mol": 2.0}, curves)
    record = read(path)
    assert record["learning_curves"]["curves"]["quadratic"]["value"] == [5.0, 3.5, 2.0]
    # Without --learning-curve there is no series, not an empty one.
    example.write_json(path, args, {}, {})
    assert "learning_curves" not in read(path)


def test_qm9_solid_harmonic_writer(load_example, tmp_path):
    example = load_example("long_qm9_solid_harmonic")
    args = argparse.Namespace(n_train=40, n_test=10, seed=0)
    example.write_json(tmp_path / "r.json", args, {"kernel_ridge_heldout_mae_kcal_mol": 1.0}, [(10, 2.5), (40, 2.0)])
    record = read(tmp_path / "r.json")
    assert record["learning_curves"]["curves"]["StandardScaler + RidgeCV"]["n_train"] == [10, 40]
    assert record["settings"]["integral_powers"] == [0.5, 1.0, 2.0, 3.0]


def test_cifar10_pyramid_writer(load_example, tmp_path, figures):
    example = load_example("long_cifar10_pyramid")
    args = argparse.Namespace(query_scale=5.0, flips=True)
    example.write_json(tmp_path / "long_cifar10_pyramid.json", args, {"test_accuracy": 0.5},
                       [(0.03, 0.4), (0.1, 0.45), (0.3, 0.42)], 0.1)
    record = read(tmp_path / "long_cifar10_pyramid.json")
    assert record["settings"]["flips"] is True
    selection = record["selection"]
    assert [r["x"] for r in selection["rows"]] == [0.03, 0.1, 0.3]
    assert selection["chosen"] == "alpha = 0.1 x n_features" == selection["rows"][1]["label"]
    fig = figures.plot_recorded("long_cifar10_pyramid", "selection", folder=tmp_path)
    # The chosen setting is starred at its own score, in per cent.
    star = [line for line in fig.axes[0].lines if line.get_marker() == "*"]
    assert len(star) == 1 and star[0].get_ydata()[0] == pytest.approx(45.0)


def test_cifar10_patches_writer_and_select(load_example, tmp_path, monkeypatch):
    example = load_example("long_cifar10_patches")
    args = argparse.Namespace(alpha=1000.0, query_scale=5.0)
    path = tmp_path / "p.json"
    example.write_json(path, args, {"test_accuracy": 0.6})
    assert "selection" not in read(path)
    example.write_json(path, args, {"test_accuracy": 0.6}, [(300.0, 0.5), (1000.0, 0.55)])
    selection = read(path)["selection"]
    assert selection["chosen"] == "alpha = 1000" and selection["rows"][1] == {"label": "alpha = 1000", "x": 1000.0,
                                                                                  "value": 0.55}
    # The sweep itself on a few random images (2048 atoms need a few thousand patches).
    rng = np.random.default_rng(0)
    X = rng.random((16, 32, 32, 3), dtype=np.float32)
    y = np.arange(16) % 2
    rows = example.select(X, y, alphas=(1.0, 100.0), n_held=4, n_jobs=1)
    assert [alpha for alpha, _ in rows] == [1.0, 100.0]
    assert all(accuracy in (0.0, 0.25, 0.5, 0.75, 1.0) for _, accuracy in rows)


def test_mnist_writer(load_example, tmp_path, figures):
    example = load_example("long_mnist_scattering")
    args = argparse.Namespace(n_train=60000, select=True)
    selection = [(0.99, dict(deskewed=False, log_eps=1e-3, C=10.0, gamma="1 x scale")),
                 (0.996, dict(deskewed=True, log_eps=0.1, C=10.0, gamma="1 x scale"))]
    example.write_json(tmp_path / "long_mnist_scattering.json", args, {"test_accuracy": 0.99}, selection)
    spec = read(tmp_path / "long_mnist_scattering.json")["selection"]
    assert [r["label"] for r in spec["rows"]] == ["not deskewed, log_eps=0.001, C=10, gamma=1 x scale", spec["chosen"]]
    assert spec["standard_error"] == pytest.approx(np.sqrt(0.996 * 0.004 / 10000), abs=1e-5)
    assert "50,000" in spec["split"]
    fig = figures.plot_recorded("long_mnist_scattering", "selection", folder=tmp_path)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [r["label"] for r in spec["rows"]]


def test_cifar10_scattering_writer(load_example, tmp_path):
    example = load_example("long_cifar10_scattering")
    args = argparse.Namespace(n_train=50000, J=3, upsample=1, n_components=6000, linear_alpha=5000.0,
                              kernel_alpha=0.05, select=False, fine=False, shift=0, heads="both",
                              linear_head="ridge", C=1e-3, max_iter=300, second_order="roto-translation")
    example.write_json(tmp_path / "r.json", args, results={"linear": {"accuracy": 0.7, "flip_averaged": 0.71}})
    record = read(tmp_path / "r.json")
    assert record["results"] == {"linear_accuracy": 0.7, "linear_flip_averaged": 0.71} and "selection" not in record
    assert record["settings"]["second_order"] == "roto-translation"
    args.select = True
    example.write_json(tmp_path / "r.json", args, selection=[(0.6, "ridge alpha=1000"), (0.65, "Nystroem alpha=0.05")])
    spec = read(tmp_path / "r.json")["selection"]
    assert [(r["group"], r["x"]) for r in spec["rows"]] == [("ridge head", 1000.0), ("Nystroem head", 0.05)]
    assert spec["chosen"] == "Nystroem alpha=0.05"
    # A logistic C is no ridge alpha: its rows get no x, so the figure draws them as labelled bars.
    args.linear_head, args.C, args.max_iter = "logistic", 1e-3, 300
    example.write_json(tmp_path / "r.json", args, selection=[(0.76, "logistic C=0.001"), (0.75, "logistic C=0.003")])
    record = read(tmp_path / "r.json")
    assert record["selection"]["rows"] == [{"label": "logistic C=0.001", "group": "logistic head", "value": 0.76},
                                           {"label": "logistic C=0.003", "group": "logistic head", "value": 0.75}]
    assert record["settings"]["linear_head"] == "logistic" and record["settings"]["C"] == 1e-3


def test_dask_writer(load_example, tmp_path, figures):
    pytest.importorskip("distributed")
    example = load_example("long_dask_cluster")
    args = argparse.Namespace(subset=100, chunk_size=10, scheduler=None, only="qm9")
    task = {"unit": "molecules/s", "n": 100, "speed_up": {"n_jobs=1": 0.5, "n_jobs=-1": 0.6},
            "runs": {"one process, n_jobs=1": {"seconds": 1.0, "rate": 100.0},
                     "cluster, 10 chunks": {"seconds": 2.0, "rate": 50.0}}}
    example.write_json(tmp_path / "long_dask_cluster.json", args, {"QM9, SOAPDescriptor": task}, 2)
    record = read(tmp_path / "long_dask_cluster.json")
    assert record["results"] == {"QM9, SOAPDescriptor: cluster speed-up over one process, n_jobs=1": 0.5,
                                 "QM9, SOAPDescriptor: cluster speed-up over one process, n_jobs=-1": 0.6}
    fig = figures.plot_recorded("long_dask_cluster", "throughput", folder=tmp_path)
    assert [p.get_width() for p in fig.axes[0].patches] == [100.0, 50.0]
    assert fig.axes[0].get_xlabel() == "molecules/s"


def test_cifar10_scattering_writer_keeps_the_cost(load_example, tmp_path):
    example = load_example("long_cifar10_scattering")
    args = argparse.Namespace(n_train=50000, J=3, upsample=1, n_components=6000, linear_alpha=10000.0,
                              kernel_alpha=0.05, select=False, fine=True, shift=0, heads="linear",
                              linear_head="ridge", C=1e-3, max_iter=300, second_order="translation")
    example.write_json(tmp_path / "r.json", args, results={"linear": {"accuracy": 0.7}},
                       cost={"total_seconds": 958.2, "peak_resident_memory_GB": 18.9})
    record = read(tmp_path / "r.json")
    assert record["results"] == {"linear_accuracy": 0.7, "total_seconds": 958.2, "peak_resident_memory_GB": 18.9}
    assert record["settings"]["fine"] is True


def test_cifar10_scattering_fine_is_the_default(load_example):
    parser = load_example("long_cifar10_scattering").make_parser()
    for argv, fine in (([], True), (["--no-fine"], False), (["--fine"], True)):
        args = parser.parse_args(argv)
        assert args.fine is fine and args.linear_alpha == 10000.0


def test_learning_curve_goes_into_the_record(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "cifar10_scattering_learning_curve", ROOT / "asv_benchmarks" / "cifar10_scattering_learning_curve.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    path = tmp_path / "long_cifar10_scattering.json"
    path.write_text(json.dumps({"example": "long_cifar10_scattering", "provenance": "written by the example"}))
    curve = {"x": "training images", "metric": "accuracy", "unit": "%",
             "curves": {"linear head": {"n_train": [10, 20, 40], "value": [50.0, 60.0, 65.0]}}}
    for _ in range(2):  # a second run replaces the curve and its provenance note
        record = script.add_to_record(path, curve, ["--fine"])
    assert read(path) == record and record["learning_curves"] == curve
    assert record["provenance"] == ("written by the example; learning_curves from python "
                                    "asv_benchmarks/cifar10_scattering_learning_curve.py --fine")
