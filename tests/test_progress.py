"""The progress reporter: a redrawn status line on a terminal, a plain line per stage elsewhere."""

from __future__ import annotations

import io

import pytest

from crm.progress import NullProgress, Progress, TerminalProgress, format_duration


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_null_progress_accepts_every_call() -> None:
    progress = NullProgress()
    assert isinstance(progress, Progress)
    progress.advance(5)  # before any stage: ignored
    progress.start("people", 10)
    progress.advance(10)
    progress.finish()
    progress.finish()


def test_off_a_terminal_it_writes_one_line_per_finished_stage() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = TerminalProgress(stream, clock=clock)
    progress.start("people", 100)
    progress.advance(40)
    clock.now += 1
    progress.advance(60)
    clock.now += 1
    assert stream.getvalue() == ""  # nothing while the stage runs: a log stays clean
    progress.finish()
    progress.start("outreach", 3_000)
    progress.advance(3_000)
    clock.now += 0.5
    progress.finish()
    assert stream.getvalue().splitlines() == [
        "people: 100 rows in 2.0 s (50 rows/s)",
        "outreach: 3,000 rows in 0.5 s (6,000 rows/s)",
    ]


def test_starting_a_stage_finishes_the_one_before() -> None:
    stream, clock = io.StringIO(), FakeClock()
    progress = TerminalProgress(stream, clock=clock, is_terminal=False)
    progress.start("organisations", 2)
    progress.advance(2)
    clock.now += 1
    progress.start("people", 5)
    assert stream.getvalue() == "organisations: 2 rows in 1.0 s (2 rows/s)\n"


def test_on_a_terminal_it_redraws_done_rate_and_time_left() -> None:
    stream, clock = Terminal(), FakeClock()
    progress = TerminalProgress(stream, clock=clock, min_interval=0.25)
    progress.start("outreach", 1_000)
    assert stream.getvalue().startswith("\routreach: 0/1,000 rows (0%)")
    assert stream.getvalue().endswith("--:-- left")  # no rate yet, so no estimate

    clock.now += 2
    progress.advance(200)
    drawn = stream.getvalue().split("\r")[-1]
    assert drawn == "outreach: 200/1,000 rows (20%)  100 rows/s  0:08 left"

    clock.now += 0.1  # within the throttle interval: no redraw
    before = stream.getvalue()
    progress.advance(100)
    assert stream.getvalue() == before

    clock.now += 0.2
    progress.advance(100)
    assert stream.getvalue().split("\r")[-1].startswith("outreach: 400/1,000 rows (40%)")

    clock.now += 2
    progress.advance(600)
    progress.finish()
    final = stream.getvalue().split("\r")[-1]
    assert final.startswith("outreach: 1,000 rows in 4.3 s (233 rows/s)")
    assert final.endswith("\n")


def test_each_stage_ends_its_own_line() -> None:
    stream, clock = Terminal(), FakeClock()
    progress = TerminalProgress(stream, clock=clock)
    progress.start("a very long stage label indeed", 10)
    progress.finish()
    assert stream.getvalue().endswith("\n")
    progress.start("x", 0)  # unknown total: rows and rate only, not padded on a fresh line
    assert stream.getvalue().split("\n")[-1] == "\rx: 0 rows  0 rows/s"


def test_redraws_pad_over_a_longer_previous_status() -> None:
    stream, clock = Terminal(), FakeClock()
    progress = TerminalProgress(stream, clock=clock, min_interval=0)
    progress.start("people", 0)
    clock.now += 1
    progress.advance(123_456)  # "people: 123,456 rows  123,456 rows/s"
    longer = stream.getvalue().split("\r")[-1]
    clock.now += 1_000_000
    progress.advance(1)  # the rate drops to "0 rows/s": a shorter text
    shorter = stream.getvalue().split("\r")[-1]
    assert len(shorter) == len(longer)
    assert shorter.rstrip(" ") == "people: 123,457 rows  0 rows/s"


def test_the_terminal_is_detected_from_the_stream() -> None:
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        TerminalProgress(stream, clock=FakeClock()).start("people", 10)
    assert terminal.getvalue().startswith("\rpeople: 0/10 rows")
    assert log.getvalue() == ""


def test_defaults_to_standard_error(capsys: pytest.CaptureFixture[str]) -> None:
    progress = TerminalProgress(clock=FakeClock())
    progress.start("tags", 14)
    progress.advance(14)
    progress.finish()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("tags: 14 rows in 0.0 s")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (7.4, "0:07"), (59.6, "1:00"), (750, "12:30"), (3723, "1:02:03"), (-3, "0:00")],
)
def test_format_duration(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown
