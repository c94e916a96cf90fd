"""Progress of long work (``crm demo --scale``, a large ``crm import``), told to whoever watches.

Services report through the ``Progress`` interface and never know where the report goes: a
terminal line that redraws itself, one plain line per stage in a log, or nowhere at all.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO


class Progress:
    """Receives the progress of work done in stages; this base class ignores everything.

    A stage is ``start(label, total)``, any number of ``advance(n)``, then ``finish()``.
    ``total`` may be 0 when the amount of work is not known in advance.
    """

    def start(self, label: str, total: int) -> None:
        """A new stage begins; ``total`` is how many rows it will handle (0: unknown)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more rows of the current stage are done."""

    def finish(self) -> None:
        """The current stage is complete."""


class NullProgress(Progress):
    """For callers that want no report: tests, web requests, nested work."""


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:30`` or ``1:02:03``: compact enough for a one-line status."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TerminalProgress(Progress):
    """Rows done, rate and time left on one redrawn line when ``stream`` is a terminal.

    Elsewhere (a log file, CI, a pipe) redrawing would leave a mess, so it writes one plain
    line per finished stage instead: label, rows, seconds and rate.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        is_terminal: bool | None = None,
        min_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        if is_terminal is None:
            isatty = getattr(self._stream, "isatty", None)
            is_terminal = bool(isatty and isatty())
        self._is_terminal = is_terminal
        self._min_interval = min_interval
        self._clock = clock
        self._label: str | None = None
        self._total = 0
        self._done = 0
        self._started = 0.0
        self._last_draw = 0.0
        self._drawn_width = 0

    # The stage -----------------------------------------------------------------------------
    def start(self, label: str, total: int) -> None:
        if self._label is not None:
            self.finish()
        self._label = label
        self._total = max(0, total)
        self._done = 0
        self._started = self._clock()
        self._last_draw = float("-inf")
        if self._is_terminal:
            self._draw(self._status_line(self._started), self._started)

    def advance(self, n: int = 1) -> None:
        if self._label is None:
            return
        self._done += n
        if not self._is_terminal:
            return
        now = self._clock()
        if now - self._last_draw >= self._min_interval:
            self._draw(self._status_line(now), now)

    def finish(self) -> None:
        if self._label is None:
            return
        now = self._clock()
        line = self._summary_line(now)
        if self._is_terminal:
            self._draw(line, now)
            self._stream.write("\n")
            self._drawn_width = 0
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._label = None

    # Rendering -----------------------------------------------------------------------------
    def _rate(self, now: float) -> float:
        elapsed = now - self._started
        return self._done / elapsed if elapsed > 0 else 0.0

    def _status_line(self, now: float) -> str:
        rate = self._rate(now)
        if self._total:
            shown = min(self._done, self._total)
            percent = 100 * shown / self._total
            if rate > 0:
                left = format_duration((self._total - shown) / rate)
            else:
                left = "--:--"
            return (
                f"{self._label}: {shown:,}/{self._total:,} rows ({percent:.0f}%)"
                f"  {rate:,.0f} rows/s  {left} left"
            )
        return f"{self._label}: {self._done:,} rows  {rate:,.0f} rows/s"

    def _summary_line(self, now: float) -> str:
        elapsed = now - self._started
        rate = self._rate(now)
        return f"{self._label}: {self._done:,} rows in {elapsed:.1f} s ({rate:,.0f} rows/s)"

    def _draw(self, line: str, now: float) -> None:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        line = line[:width]
        padding = " " * max(0, self._drawn_width - len(line))
        self._stream.write("\r" + line + padding)
        self._stream.flush()
        self._drawn_width = len(line)
        self._last_draw = now
