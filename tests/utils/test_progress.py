"""Progress reporting: the plain line (fake clock), the tqdm bar, silence at verbose=0, results unchanged."""

import io
import sys
import threading
import types

import numpy as np
import pytest

from skscatter.utils import _progress
from skscatter.utils._parallel import ExecutionPlan
from skscatter.utils._progress import Progress


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def plain(total, clock, **kwargs):
    out = io.StringIO()
    kwargs.setdefault("verbose", 1)
    return Progress(total, label="ScatteringTransformer", unit="images", clock=clock, file=out, bar="plain", **kwargs), out


def test_plain_line_shows_count_percentage_rate_and_eta():
    clock = FakeClock()
    progress, out = plain(10_000, clock)
    clock.now += 4.0
    progress.update(3_200)
    assert out.getvalue() == "[ScatteringTransformer] 3,200 / 10,000 images (32%), 800 images/s, ETA 8 s\n"


def test_plain_lines_wait_for_the_delay_then_the_interval_and_end_with_a_summary():
    clock = FakeClock()
    progress, out = plain(100, clock, delay=2.0, interval=5.0)
    with progress:
        for _ in range(10):
            clock.now += 1.0
            progress.update(10)
    lines = out.getvalue().splitlines()
    # Shown at t=2 (the delay), t=7 (the interval) and t=10 (the end).
    assert [line.split(" / ")[0] for line in lines] == [
        "[ScatteringTransformer] 20",
        "[ScatteringTransformer] 70",
        "[ScatteringTransformer] 100",
    ]
    assert lines[1].endswith("(70%), 10.0 images/s, ETA 3 s")
    assert lines[-1].endswith("(100%), 10.0 images/s, done in 10 s")


def test_work_shorter_than_the_delay_prints_nothing_at_verbose_1():
    clock = FakeClock()
    progress, out = plain(100, clock, delay=2.0)
    with progress:
        clock.now += 1.0
        progress.update(100)
    assert out.getvalue() == ""


def test_long_work_gets_a_final_line_even_without_updates_past_the_delay():
    clock = FakeClock()
    progress, out = plain(2, clock, delay=2.0)
    with progress:
        clock.now += 1.0
        progress.update(1)
        clock.now += 2.0
        progress.update(1)
    assert out.getvalue().splitlines() == ["[ScatteringTransformer] 2 / 2 images (100%), 0.67 images/s, done in 3 s"]


def test_verbose_2_prints_every_batch_with_its_detail_from_the_start():
    clock = FakeClock()
    progress, out = plain(30, clock, verbose=2)
    with progress:
        for start in (0, 10, 20):
            clock.now += 1.0
            progress.update(10, detail=f"batch {start // 10 + 1}/3")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0] == "[ScatteringTransformer] batch 1/3: 10 / 30 images (33%), 10.0 images/s, ETA 2 s"
    assert lines[2].startswith("[ScatteringTransformer] batch 3/3: 30 / 30 images (100%)")


def test_interrupted_work_gets_no_done_line():
    clock = FakeClock()
    progress, out = plain(100, clock, delay=0.0, interval=0.0)
    with pytest.raises(RuntimeError), progress:
        clock.now += 1.0
        progress.update(10)
        raise RuntimeError("boom")
    assert out.getvalue().splitlines() == ["[ScatteringTransformer] 10 / 100 images (10%), 10.0 images/s, ETA 9 s"]


def test_unknown_eta_before_any_unit():
    clock = FakeClock()
    progress, _ = plain(10, clock)
    clock.now += 3.0
    assert progress.line(clock.now).endswith("0 images/s, ETA unknown")


def test_verbose_0_is_silent_and_reads_no_clock(capsys):
    def clock():
        raise AssertionError("verbose=0 read the clock")

    with Progress(10, verbose=0, label="X", clock=clock) as progress:
        progress.update(10, detail="batch")
    assert capsys.readouterr() == ("", "")


def test_updates_count_whatever_order_the_batches_finish_in():
    clock = FakeClock()
    progress, out = plain(100, clock, verbose=2)
    with progress:
        for size in (7, 50, 3, 40):  # batches of different sizes, out of order
            clock.now += 1.0
            progress.update(size)
    last = out.getvalue().splitlines()[-1]
    assert progress.done == 100 and "100 / 100 images (100%)" in last


class FakeTqdm:
    """Records how skscatter drives tqdm."""

    made = []

    def __init__(self, **kwargs):
        self.kwargs, self.n, self.closed, self.written = kwargs, 0, False, []
        FakeTqdm.made.append(self)

    def update(self, n):
        self.n += n

    def write(self, text, file=None):
        self.written.append(text)

    def close(self):
        self.closed = True


@pytest.fixture
def fake_tqdm(monkeypatch):
    FakeTqdm.made = []
    module = types.ModuleType("tqdm")
    module.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm", module)
    return FakeTqdm


def test_tqdm_bar_is_used_when_importable(fake_tqdm, capsys):
    plan = ExecutionPlan("numba", ((0, 4), (4, 8), (8, 10)), 1, 1)
    list(plan.run(lambda a, b: None, verbose=1, label="Demo", unit="images"))
    (bar,) = fake_tqdm.made
    assert bar.kwargs["total"] == 10 and bar.kwargs["desc"] == "Demo" and bar.kwargs["unit"] == "images"
    assert bar.kwargs["delay"] == _progress.DELAY
    assert bar.n == 10 and bar.closed and bar.written == []
    assert capsys.readouterr().err == ""  # the plain line is not printed as well


def test_tqdm_bar_at_verbose_2_starts_at_once_and_writes_batch_lines(fake_tqdm):
    plan = ExecutionPlan("numba", ((0, 4), (4, 8), (8, 10)), 1, 1)
    list(plan.run(lambda a, b: None, verbose=2, label="Demo", unit="images"))
    (bar,) = fake_tqdm.made
    assert bar.kwargs["delay"] == 0.0
    assert bar.written == ["[Demo] batch 1/3 (images 0-4)", "[Demo] batch 2/3 (images 4-8)", "[Demo] batch 3/3 (images 8-10)"]


def test_plain_line_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    assert _progress._tqdm() is None
    with pytest.raises(ImportError, match=r"skscatter\[progress\]"):
        Progress(1, verbose=1, bar="tqdm")
    monkeypatch.setattr(_progress, "DELAY", 0.0)
    plan = ExecutionPlan("numba", tuple((i, i + 1) for i in range(20)), 1, 1)
    list(plan.run(lambda a, b: None, verbose=1, label="Demo", unit="molecules"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("[Demo] 1 / 20 molecules (5%)")
    assert lines[-1].startswith("[Demo] 20 / 20 molecules (100%)")
    assert len(lines) == 2  # the next line is due INTERVAL seconds later, or at the end


def test_real_tqdm_bar_renders_rate_on_stderr(capsys):
    pytest.importorskip("tqdm")
    with Progress(5, verbose=2, label="Demo", unit="images") as progress:
        progress.update(5, detail="batch 1/1")
    err = capsys.readouterr().err
    assert "[Demo] batch 1/1" in err and "Demo: 100%" in err and "5/5" in err and "images/s" in err


def test_concurrent_batches_finishing_out_of_order_keep_results_and_counts(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    second_done = threading.Event()

    def task(start, stop):
        if start == 0:
            # The first batch finishes only after the second one.
            assert second_done.wait(30)
        else:
            second_done.set()
        return np.arange(start, stop)

    plan = ExecutionPlan("numba", ((0, 3), (3, 5)), 2, 1)
    got = list(plan.run(task, verbose=2, label="Demo", unit="images"))
    assert [(a, b) for a, b, _ in got] == [(0, 3), (3, 5)]
    assert np.array_equal(np.concatenate([r for _, _, r in got]), np.arange(5))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["[Demo] batch 1/2 (images 0-3)", "[Demo] batch 2/2 (images 3-5)"]
    assert "5 / 5 images (100%)" in lines[-1]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_scattering_output_is_the_same_with_and_without_progress(n_jobs, monkeypatch, capsys):
    from skscatter import ScatteringTransformer

    monkeypatch.setitem(sys.modules, "tqdm", None)
    X = np.random.default_rng(0).random((7, 16, 16))
    quiet = ScatteringTransformer(J=2, L=4, n_jobs=n_jobs, batch_size=2).fit(X).transform(X)
    assert capsys.readouterr().err == ""
    loud = ScatteringTransformer(J=2, L=4, n_jobs=n_jobs, batch_size=2, verbose=2).fit(X).transform(X)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4 and "7 / 7 images (100%)" in lines[-1]
    assert np.array_equal(quiet, loud)
