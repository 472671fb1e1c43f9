"""Progress of long calls: a bar with rate and ETA, or a plain periodic line.

Every estimator reports through :class:`Progress`, which
:meth:`skscatter.utils._parallel.ExecutionPlan.run` drives batch by batch
(and a few ``fit`` loops drive directly).  What ``verbose`` means is the
same everywhere:

* ``0`` (or False): silent;
* ``1`` (or True): once the work has run for :data:`DELAY` seconds, a
  progress bar with the count, the rate and the ETA -- tqdm's when tqdm is
  importable (``pip install skscatter[progress]``), else a plain line on
  stderr at most every :data:`INTERVAL` seconds and one at the end.  Work
  shorter than :data:`DELAY` prints nothing, so that ``verbose=1`` can be
  left on in a grid search of quick fits;
* ``2`` and above: from the start, plus one line per batch.

Progress only counts: it never touches the data, so results are the same
at every ``verbose``.
"""

import sys
import time

#: Seconds of work before ``verbose=1`` shows anything.
DELAY = 2.0

#: Seconds between two plain progress lines at ``verbose=1``.
INTERVAL = 5.0


def _tqdm():
    """tqdm's bar class, or None when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def format_duration(seconds):
    """Seconds as a short human duration.

    Examples
    --------
    >>> format_duration(8.4), format_duration(192), format_duration(7500)
    ('8 s', '3 min 12 s', '2 h 05 min')
    """
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def format_rate(rate):
    """Units per second with as many digits as it deserves.

    Examples
    --------
    >>> format_rate(812.3), format_rate(12.34), format_rate(0.256)
    ('812', '12.3', '0.26')
    """
    if rate >= 100:
        return f"{rate:,.0f}"
    if rate >= 1:
        return f"{rate:.1f}"
    return f"{rate:.2f}"


class Progress:
    """Counts the units one call has done and reports them on stderr.

    Use it as a context manager, calling :meth:`update` as units complete
    (in any order: only the count matters).

    Parameters
    ----------
    total : int
        Units the call will do.
    verbose : int or bool, default=0
        See the module notes; 0 makes every method a no-op.
    label : str, default=""
        Who reports (the estimator, ``"Name.fit"`` for a fit).
    unit : str, default="samples"
        What is counted, plural (``"images"``, ``"structures"``).
    clock : callable, default=time.monotonic
        Seconds, for the rate and the ETA (tests pass a fake clock).
    delay, interval : float, default=None
        Override :data:`DELAY` and :data:`INTERVAL`.
    file : file-like, default=None
        Where to write; None is ``sys.stderr`` at the time of writing.
    bar : {"auto", "tqdm", "plain"}, default="auto"
        ``"auto"``: tqdm when importable, else the plain line.

    Examples
    --------
    >>> import io
    >>> ticks = iter([0.0, 6.0, 10.0])
    >>> out = io.StringIO()
    >>> with Progress(4000, verbose=1, label="Demo", unit="images", clock=lambda: next(ticks), file=out,
    ...               bar="plain") as progress:
    ...     progress.update(3000)
    ...     progress.update(1000)
    >>> print(out.getvalue(), end="")
    [Demo] 3,000 / 4,000 images (75%), 500 images/s, ETA 2 s
    [Demo] 4,000 / 4,000 images (100%), 400 images/s, done in 10 s
    """

    def __init__(
        self,
        total,
        *,
        verbose=0,
        label="",
        unit="samples",
        clock=time.monotonic,
        delay=None,
        interval=None,
        file=None,
        bar="auto",
    ):
        self.total = int(total)
        self.verbose = int(verbose)
        self.label = label
        self.unit = unit
        self.done = 0
        self._clock = clock
        self._file = file
        self._delay = 0.0 if self.verbose >= 2 else (DELAY if delay is None else delay)
        self._interval = 0.0 if self.verbose >= 2 else (INTERVAL if interval is None else interval)
        self._bar = None
        self._shown = False
        self._last = None
        if not self.verbose:
            return
        self._start = clock()
        tqdm = _tqdm() if bar in ("auto", "tqdm") else None
        if bar == "tqdm" and tqdm is None:
            raise ImportError("bar='tqdm' needs tqdm: pip install skscatter[progress].")
        if tqdm is not None:
            self._bar = tqdm(
                total=self.total, desc=label, unit=unit, file=self._out(), delay=self._delay, dynamic_ncols=True
            )

    def _out(self):
        return sys.stderr if self._file is None else self._file

    def line(self, now):
        """The plain progress line at time ``now`` (a ``clock()`` reading)."""
        elapsed = max(now - self._start, 1e-9)
        rate = self.done / elapsed
        percent = 100.0 * self.done / self.total if self.total else 100.0
        text = f"[{self.label}] {self.done:,} / {self.total:,} {self.unit} ({percent:.0f}%), "
        text += f"{format_rate(rate)} {self.unit}/s, "
        if self.done >= self.total:
            return text + f"done in {format_duration(elapsed)}"
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        return text + ("ETA unknown" if eta == float("inf") else f"ETA {format_duration(eta)}")

    def _write(self, text):
        if self._bar is not None:
            self._bar.write(text, file=self._out())
        else:
            print(text, file=self._out(), flush=True)

    def update(self, n, detail=None):
        """Count ``n`` more units done; ``detail`` is printed as is at ``verbose >= 2``.

        Parameters
        ----------
        n : int
            Units just completed.
        detail : str, default=None
            What was done (a batch and its range), for ``verbose >= 2``.
        """
        if not self.verbose:
            return
        self.done += int(n)
        if self._bar is not None:
            if detail is not None and self.verbose >= 2:
                self._write(f"[{self.label}] {detail}")
            self._bar.update(int(n))
            return
        now = self._clock()
        if now - self._start < self._delay:
            return
        if self._last is not None and now - self._last < self._interval and self.done < self.total:
            return
        text = self.line(now)
        if detail is not None and self.verbose >= 2:
            text = f"[{self.label}] {detail}: " + text[len(self.label) + 3 :]
        self._write(text)
        self._shown = True
        self._last = now if self.done < self.total else float("inf")

    def close(self):
        """Finish: the last line (plain) or close the bar (tqdm)."""
        if not self.verbose:
            return
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close()
            return
        if self._last == float("inf") or self.done < self.total:
            # Already reported as done, or interrupted: nothing to add.
            return
        now = self._clock()
        if self._shown or now - self._start >= self._delay:
            self._write(self.line(now))
            self._last = float("inf")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False
